import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// A TCP client that speaks raw bytes, so tests control exactly what goes on the wire.
/// Received bytes are collected by a handler; readers poll them without blocking a thread.
final class RawConnection: Sendable {
    /// One parsed HTTP response.
    struct Response: Sendable {
        var version: String
        var status: Int
        var headers: [(name: String, value: String)]
        var body: [UInt8]

        func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }

        var text: String { String(decoding: body, as: UTF8.self) }
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    fileprivate struct Inbox {
        var bytes: [UInt8] = []
        var closed = false
    }

    private final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let box: SharedInbox

        init(box: SharedInbox) {
            self.box = box
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            box.state.withLock { $0.bytes.append(contentsOf: buffer.readableBytesView) }
        }

        func channelInactive(context: ChannelHandlerContext) {
            box.state.withLock { $0.closed = true }
        }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            // The server closed its side (half-close): it will not answer again.
            if case ChannelEvent.inputClosed = event {
                box.state.withLock { $0.closed = true }
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }

    final class SharedInbox: Sendable {
        fileprivate let state = Mutex(Inbox())
    }

    let channel: any Channel
    private let box: SharedInbox

    private init(channel: any Channel, box: SharedInbox) {
        self.channel = channel
        self.box = box
    }

    static func connect(port: Int) async throws -> RawConnection {
        let box = SharedInbox()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Collector(box: box))
                }
            }
            .connect(host: "127.0.0.1", port: port)
            .get()
        return RawConnection(channel: channel, box: box)
    }

    func send(_ text: String) async throws {
        try await send(Array(text.utf8))
    }

    func send(_ bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(channel.allocator.buffer(bytes: bytes)).get()
    }

    var isClosed: Bool { box.state.withLock { $0.closed } }

    /// Waits until the server has closed the connection; `false` if it has not within `timeout`.
    func waitForClose(timeout: Duration = .seconds(10)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if isClosed { return true }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return isClosed
    }

    /// Reads the next complete response (skipping `100 Continue`), framed by Content-Length or by close.
    func readResponse(timeout: Duration = .seconds(10), toHead: Bool = false) async throws -> Response {
        let deadline = ContinuousClock.now + timeout
        while true {
            let parsed = box.state.withLock { inbox -> Response? in
                guard let (response, used) = Self.parse(inbox.bytes, closed: inbox.closed, toHead: toHead) else { return nil }
                inbox.bytes.removeFirst(used)
                return response
            }
            if let parsed {
                if parsed.status == 100 { continue }
                return parsed
            }
            if isClosed, box.state.withLock({ $0.bytes.isEmpty }) {
                throw Failure(description: "connection closed before a response")
            }
            guard ContinuousClock.now < deadline else {
                let pending = box.state.withLock { String(decoding: $0.bytes.prefix(300), as: UTF8.self) }
                throw Failure(description: "no complete response within \(timeout); have: \(pending)")
            }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    /// Sends one request and reads its response.
    func request(
        _ method: String, _ target: String, headers: [(String, String)] = [], body: [UInt8] = [], version: String = "HTTP/1.1"
    ) async throws -> Response {
        var head = "\(method) \(target) \(version)\r\nHost: 127.0.0.1\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if !body.isEmpty || method == "POST" || method == "PUT" { head += "Content-Length: \(body.count)\r\n" }
        head += "\r\n"
        do {
            try await send(Array(head.utf8) + body)
        } catch {
            // The server may refuse early (413) and stop reading; its answer is still there to read.
        }
        return try await readResponse(toHead: method == "HEAD")
    }

    func close() async {
        try? await channel.close()
    }

    private static func parse(_ bytes: [UInt8], closed: Bool, toHead: Bool) -> (Response, Int)? {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let end = bytes.firstRange(of: separator) else { return nil }
        let headText = String(decoding: bytes[..<end.lowerBound], as: UTF8.self)
        var lines = headText.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ", maxSplits: 2)
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { return nil }
        let headers = lines.compactMap { line -> (String, String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        let bodyStart = end.upperBound
        var response = Response(version: String(statusLine[0]), status: status, headers: headers.map { (name: $0.0, value: $0.1) }, body: [])
        if toHead || status == 100 || status == 204 || status == 304 {
            return (response, bodyStart)
        }
        if let length = response.header("content-length").flatMap(Int.init) {
            guard bytes.count - bodyStart >= length else { return nil }
            response.body = Array(bytes[bodyStart..<bodyStart + length])
            return (response, bodyStart + length)
        }
        guard closed else { return nil }
        response.body = Array(bytes[bodyStart...])
        return (response, bytes.count)
    }
}
