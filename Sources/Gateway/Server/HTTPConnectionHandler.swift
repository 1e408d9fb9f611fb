import Logging
import NIOCore
import NIOHTTP1
#if canImport(Glibc)
    import Glibc
#endif

/// One connection's request handling, confined to its event loop.
///
/// Bodies are collected into a buffer bounded by the route's limit: past it the handler answers 413 at
/// once and keeps nothing more. Complete requests go to the ``Router``: invocations straight to the
/// platform (which runs guests on its own threads), other routes in a task off the event loop; the
/// answer comes back to the loop to be written. Keep-alive, `Connection: close` and HTTP/1.0 are
/// honoured: when the request does not keep the connection alive, the connection closes after the answer.
///
/// Pipelined requests (sent before the previous answer) are held, in order, until that answer is
/// written, and only then is more read from the socket. The connection keeps reading while a request is
/// with the platform and nothing else has arrived: NIO's pipelining handler withheld every read until
/// the answer, which cost two `epoll_ctl` calls per request. ``ChannelShouldQuiesceEvent`` (shutdown)
/// closes an idle connection at once and a busy one after its answer, which says `Connection: close`.
/// Bytes that are not HTTP get a `bad_request` answer (after the answer to the request before them,
/// if one is pending) and the connection closes.
final class HTTPConnectionHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// Limits and timeouts the handler enforces.
    struct Limits: Sendable {
        var maxBodyBytes: Int
        var maxDeployBytes: Int
        var lingerTimeout: TimeAmount
        var requestTimeout: TimeAmount
    }

    private enum State {
        /// Waiting for a request head.
        case idle
        /// Collecting the body of a routed request.
        case receiving(route: Route, query: String, headers: HTTPHeaders, body: ByteBuffer, limit: Int)
        /// The answer is already known (an error); the body is counted and thrown away until its end.
        case discarding(answer: GatewayResponse, received: Int, limit: Int)
        /// The request is with the router.
        case processing
        /// The last answer is written or being written; nothing more is read into memory.
        case closing
    }

    private let router: Router
    private let limits: Limits
    private let logger: Logger
    private let accessLog: AccessLog
    private var state = State.idle
    /// Parts of pipelined requests that arrived while an answer was pending, oldest first.
    private var held = CircularBuffer<HTTPServerRequestPart>()
    /// A `read` withheld while parts are held.
    private var readWithheld = false
    /// Shutting down: the current answer is the connection's last.
    private var quiescing = false

    // The request being handled, for framing the answer and for the log line.
    private var keepAlive = true
    private var version = HTTPVersion.http1_1
    private var method = HTTPMethod.GET
    private var path = ""
    private var started = NIODeadline.now()
    /// Closes the connection if the current request has not arrived whole in time (armed only when a
    /// request spans more than one read).
    private var receiveTimer: Scheduled<Void>?

    init(router: Router, limits: Limits, logger: Logger, accessLog: AccessLog) {
        self.router = router
        self.limits = limits
        self.logger = logger
        self.accessLog = accessLog
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        switch state {
        case .closing:
            return  // the connection closes after its last answer; nothing more is read into memory
        case .processing:
            held.append(part)  // pipelined: waits for the answer before it
        case .idle, .receiving, .discarding:
            guard held.isEmpty else { return held.append(part) }
            receive(part, context: context)
        }
    }

    private func receive(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        switch part {
        case .head(let head): receiveHead(head, context: context)
        case .body(let chunk): receiveBody(chunk, context: context)
        case .end: receiveEnd(context: context)
        }
    }

    /// Holds the next read while pipelined parts wait, so that a client sending request after request
    /// without reading the answers fills its socket, not this process.
    func read(context: ChannelHandlerContext) {
        guard held.isEmpty else {
            readWithheld = true
            return
        }
        context.read()
    }

    /// Handles the held parts once an answer is written, until a request is with the router again;
    /// then lets reading resume if nothing is left.
    private func receiveHeld(context: ChannelHandlerContext) {
        while !held.isEmpty {
            switch state {
            case .processing, .closing:
                return
            case .idle, .receiving, .discarding:
                receive(held.removeFirst(), context: context)
            }
        }
        if readWithheld {
            readWithheld = false
            context.read()
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        // A request that arrived whole in this read needs no timer; one still arriving gets one,
        // measured from its head.
        switch state {
        case .receiving, .discarding:
            if receiveTimer == nil { armReceiveTimer(context: context) }
        case .idle, .processing, .closing:
            break
        }
        context.fireChannelReadComplete()
    }

    /// Closes the connection if the current request has not arrived whole `requestTimeout` after its head.
    private func armReceiveTimer(context: ChannelHandlerContext) {
        receiveTimer = context.eventLoop.assumeIsolated().scheduleTask(deadline: started + limits.requestTimeout) {
            switch self.state {
            case .receiving, .discarding:
                self.logger.debug("closing a connection whose request did not arrive in time", metadata: ["faas.path": "\(self.path)"])
                context.close(promise: nil)
            case .idle, .processing, .closing:
                break
            }
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            quiescing = true
            switch state {
            case .idle where held.isEmpty:
                state = .closing
                context.close(promise: nil)
            case .idle, .receiving, .discarding, .processing, .closing:
                break  // the answer under way, or the one to the request arriving, is the last
            }
            return
        }
        if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read {
            // A request with the platform may legitimately take minutes; anything else idle goes.
            if case .processing = state { return }
            logger.debug("closing idle connection", metadata: ["faas.remote": "\(context.remoteAddress.map { "\($0)" } ?? "-")"])
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("connection error", metadata: ["faas.error": "\(error)"])
        guard error is HTTPParserError else { return context.close(promise: nil) }
        // Nothing after bytes that are not HTTP can be framed: no further request is read, and the
        // connection closes after one more answer (closing drops what is held).
        keepAlive = false
        switch state {
        case .processing, .closing:
            break  // the request before them came whole; its answer is the last
        case .idle, .receiving, .discarding:
            write(.error(.badRequest, "malformed HTTP request"), context: context, requestComplete: true)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        state = .closing
        receiveTimer?.cancel()
        context.fireChannelInactive()
    }

    // MARK: - Receiving

    private func receiveHead(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        guard case .idle = state else { return }
        started = .now()
        keepAlive = head.isKeepAlive
        version = head.version
        method = head.method
        guard let target = RequestTarget(head.uri) else {
            path = head.uri
            return discard(.error(.badRequest, "malformed request target '\(head.uri)'"), limit: limits.maxBodyBytes, head: head, context: context)
        }
        path = target.path
        let route: Route
        switch Route.resolve(method: head.method, segments: target.segments) {
        case .success(let resolved):
            route = resolved
        case .failure(.noSuchPath):
            return discard(.error(.notFound, "no route for \(path)"), limit: limits.maxBodyBytes, head: head, context: context)
        case .failure(.methodNotAllowed(let allowed)):
            var answer = GatewayResponse.error(.notFound, "\(head.method.rawValue) is not a method of \(path); use \(allowed.joined(separator: ", "))")
            answer.headers.add(name: "allow", value: allowed.joined(separator: ", "))
            return discard(answer, limit: limits.maxBodyBytes, head: head, context: context)
        }
        let limit = route == .deploy ? limits.maxDeployBytes : limits.maxBodyBytes
        if route.alwaysNeedsToken, !router.authenticator.authorizes(head.headers) {
            return discard(.error(.unauthorized, "this path needs 'Authorization: Bearer <token>'"), limit: limit, head: head, context: context)
        }
        let declared = head.headers.first(name: "content-length").flatMap { Int($0) }
        if let declared, declared > limit {
            return answerEarly(Self.tooLarge(limit), context: context)
        }
        if Self.expectsContinue(head) {
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .continue))), promise: nil)
        }
        let body = context.channel.allocator.buffer(capacity: min(declared ?? 0, limit))
        state = .receiving(route: route, query: target.query, headers: head.headers, body: body, limit: limit)
    }

    private func receiveBody(_ chunk: ByteBuffer, context: ChannelHandlerContext) {
        switch state {
        case .receiving(let route, let query, let headers, var body, let limit):
            guard body.readableBytes + chunk.readableBytes <= limit else {
                return answerEarly(Self.tooLarge(limit), context: context)
            }
            state = .closing  // let `body` be uniquely referenced while appending
            var chunk = chunk
            body.writeBuffer(&chunk)
            state = .receiving(route: route, query: query, headers: headers, body: body, limit: limit)
        case .discarding(let answer, let received, let limit):
            let total = received + chunk.readableBytes
            if total > limit {
                return answerEarly(answer, context: context)
            }
            state = .discarding(answer: answer, received: total, limit: limit)
        case .idle, .processing, .closing:
            break
        }
    }

    private func receiveEnd(context: ChannelHandlerContext) {
        receiveTimer?.cancel()
        receiveTimer = nil
        switch state {
        case .receiving(let route, let query, let headers, let body, _):
            state = .processing
            if route == .healthz {
                // Nothing to look up: answered on the loop, without a task or a promise.
                return write(Self.healthy, context: context, requestComplete: true)
            }
            let request = GatewayRequest(method: method, route: route, query: query, headers: headers, body: body)
            let router = self.router
            let promise = context.eventLoop.makePromise(of: GatewayResponse.self)
            if case .invoke(let name, let rest) = route {
                // The hot path: no task; the platform hands the guest to its threads and the answer
                // comes back to this loop through the promise.
                router.invoke(name: name, rest: rest, request: request) { promise.succeed($0) }
            } else {
                // Management calls may touch storage: they run on the global executor, off the loop.
                promise.completeWithTask { await router.respond(to: request) }
            }
            promise.futureResult.assumeIsolated().whenSuccess { response in
                guard case .processing = self.state else { return }  // the client went away meanwhile
                self.write(response, context: context, requestComplete: true)
            }
        case .discarding(let answer, _, _):
            write(answer, context: context, requestComplete: true)
        case .idle, .processing, .closing:
            break
        }
    }

    /// Answers before the request has ended and closes: the rest of its body is never kept.
    private func answerEarly(_ answer: GatewayResponse, context: ChannelHandlerContext) {
        keepAlive = false
        write(answer, context: context, requestComplete: false)
    }

    private func discard(_ answer: GatewayResponse, limit: Int, head: HTTPRequestHead, context: ChannelHandlerContext) {
        if let declared = head.headers.first(name: "content-length").flatMap({ Int($0) }), declared > limit {
            return answerEarly(answer, context: context)
        }
        if Self.expectsContinue(head) {
            // The client waits for our word before sending the body: answer now, it will not come.
            return answerEarly(answer, context: context)
        }
        state = .discarding(answer: answer, received: 0, limit: limit)
    }
}

extension HTTPConnectionHandler {
    // MARK: - Writing

    /// Writes `response`; then either waits for the next request or closes the connection.
    private func write(_ response: GatewayResponse, context: ChannelHandlerContext, requestComplete: Bool) {
        let close = !keepAlive || quiescing
        var head = HTTPResponseHead(version: version, status: response.status, headers: response.headers)
        // Answers never carry framing headers of their own (`Router.copy` drops a function's), so
        // these are added, not searched for.
        if response.status != .noContent && response.status != .notModified {
            head.headers.add(name: "content-length", value: String(response.body.count))
        }
        if close {
            head.headers.add(name: "connection", value: "close")
        } else if version.major == 1 && version.minor == 0 {
            head.headers.add(name: "connection", value: "keep-alive")
        }
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if method != .HEAD, !response.body.isEmpty {
            var buffer = context.channel.allocator.buffer(capacity: response.body.count)
            buffer.writeBytes(response.body)
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        }
        log(response)
        guard close else {
            state = .idle
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            receiveHeld(context: context)
            return
        }
        state = .closing
        held.removeAll()
        let linger = limits.lingerTimeout
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            guard !requestComplete else {
                context.close(promise: nil)
                return
            }
            // The client may still be sending the body we refused: stop writing, let it read the answer,
            // throw away what it still sends, and close for good after a short while.
            context.close(mode: .output, promise: nil)
            context.eventLoop.assumeIsolated().scheduleTask(in: linger) { context.close(promise: nil) }
        }
    }

    private func log(_ response: GatewayResponse) {
        guard accessLog.isEnabled else { return }
        accessLog.record(
            AccessEntry(
                method: method, path: path, status: response.status.code,
                micros: (NIODeadline.now() - started).nanoseconds / 1000, activation: response.activation,
                time: time(nil)))
    }

    /// The answer of `GET /healthz`.
    private static let healthy = GatewayResponse.text(.ok, "ok")

    private static func tooLarge(_ limit: Int) -> GatewayResponse {
        .error(.payloadTooLarge, "the request body is larger than \(limit) bytes")
    }

    private static func expectsContinue(_ head: HTTPRequestHead) -> Bool {
        head.version.major == 1 && head.version.minor >= 1
            && head.headers["expect"].contains { $0.lowercased() == "100-continue" }
    }
}
