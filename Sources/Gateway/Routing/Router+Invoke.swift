import NIOCore
import NIOHTTP1

extension Router {
    /// `/invoke/{name}[/{rest}]`: authorizes, runs the function and writes its bytes as they are
    /// (no JSON on the success path), with the activation headers.
    ///
    /// Called on the connection's event loop; never blocks it: the platform runs the function on
    /// its own threads and `completion` gets the answer on whichever thread finishes (a worker
    /// thread for a run, this one for an answer known at once).
    func invoke(
        name: String, rest: String, request: GatewayRequest,
        completion: @escaping @Sendable (GatewayResponse) -> Void
    ) {
        let version: Int?
        let isAsync: Bool
        let idempotencyKey: String?
        do {
            version = try QueryParameters(request.query).integer("version", in: 1...Int(Int32.max))
            isAsync = try Self.asyncFlag(request.headers)
            idempotencyKey = isAsync ? try Self.idempotencyKey(request.headers) : nil
        } catch {
            return completion(.error(error))
        }
        let functionRequest = functionRequest(rest: rest, request: request)
        let platform = self.platform
        let run: @Sendable () -> Void
        if isAsync {
            run = {
                Task {
                    let answer = await platform.enqueue(
                        function: name, version: version, request: functionRequest, idempotencyKey: idempotencyKey)
                    completion(Self.response(for: answer))
                }
            }
        } else {
            run = {
                platform.invoke(function: name, version: version, request: functionRequest) { answer in
                    completion(Self.response(for: answer))
                }
            }
        }
        guard authenticator.isEnabled, !authenticator.authorizes(request.headers) else { return run() }
        // No valid token: only a public function may run. Whether it is may need the registry.
        Task {
            guard await platform.isPublic(function: name) else {
                return completion(
                    .error(.unauthorized, "function '\(name)' is not public: it needs 'Authorization: Bearer <token>'"))
            }
            run()
        }
    }

    /// The same, for async callers.
    func invoke(name: String, rest: String, request: GatewayRequest) async -> GatewayResponse {
        await withCheckedContinuation { continuation in
            invoke(name: name, rest: rest, request: request) { continuation.resume(returning: $0) }
        }
    }

    /// The function's answer as HTTP: its status, headers and bytes, or the contract's error, plus
    /// the activation headers.
    private static func response(for answer: InvokeAnswer) -> GatewayResponse {
        var response: GatewayResponse
        switch answer.outcome {
        case .response(let result) where (200...599).contains(result.status):
            response = GatewayResponse(status: HTTPResponseStatus(statusCode: result.status))
            Self.copy(result.headers, into: &response.headers, reserving: Self.activationHeaders)
            response.body = result.body
        case .response(let result):
            response = .error(.functionError, "the function answered with an invalid HTTP status \(result.status)")
        case .accepted:
            response = .json(.accepted, AcceptedBody(activation: answer.activation ?? ""))
        case .failure(let failure):
            response = .error(failure)
        }
        // Added, not replaced: a function's own headers of these names were not copied, and an
        // error answer has none.
        if let activation = answer.activation {
            response.headers.add(name: "x-faas-activation", value: activation)
            response.activation = activation
        }
        if let start = answer.start {
            response.headers.add(name: "x-faas-start", value: start.rawValue)
        }
        if answer.activation != nil || answer.start != nil {
            response.headers.add(name: "x-faas-duration-us", value: String(answer.durationUs))
        }
        return response
    }

    /// The headers the gateway sets on an invocation's answer; a function cannot set them.
    private static let activationHeaders = ["x-faas-activation", "x-faas-start", "x-faas-duration-us"]

    /// The request as the function sees it; the gateway's own bearer token is not passed on.
    private func functionRequest(rest: String, request: GatewayRequest) -> FunctionRequest {
        var fields: [HeaderField] = []
        fields.reserveCapacity(request.headers.count)
        for (name, value) in request.headers {
            if authenticator.isEnabled, name.equalsIgnoringASCIICase("authorization"), authenticator.isToken(authorization: value) {
                continue
            }
            fields.append(HeaderField(name: name, value: value))
        }
        return FunctionRequest(
            method: request.method.rawValue, path: rest, query: request.query, headers: fields,
            body: Array(request.body.readableBytesView))
    }

    /// `Idempotency-Key` of an async invocation: 1–256 bytes without control characters; absent is `nil`.
    static func idempotencyKey(_ headers: HTTPHeaders) throws(PlatformError) -> String? {
        let values = headers["idempotency-key"]
        guard let key = values.first else { return nil }
        guard values.count == 1 else { throw PlatformError(.badRequest, "Idempotency-Key is given more than once") }
        guard !key.isEmpty else { throw PlatformError(.badRequest, "Idempotency-Key is empty") }
        guard key.utf8.count <= 256 else {
            throw PlatformError(.badRequest, "Idempotency-Key is longer than 256 bytes (\(key.utf8.count))")
        }
        guard !key.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw PlatformError(.badRequest, "Idempotency-Key contains a control character")
        }
        return key
    }

    /// `X-Faas-Async`: `true` or `false` (any case); absent is `false`.
    private static func asyncFlag(_ headers: HTTPHeaders) throws(PlatformError) -> Bool {
        guard let value = headers.first(name: "x-faas-async") else { return false }
        switch value.lowercased() {
        case "true": return true
        case "false": return false
        default: throw PlatformError(.badRequest, "X-Faas-Async must be 'true' or 'false', not '\(value)'")
        }
    }
}

/// `202 {"activation": id}`
struct AcceptedBody: Codable, Sendable {
    var activation: String
}
