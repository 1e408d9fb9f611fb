import NIOCore
import NIOHTTP1

/// Turns a routed request into an answer by asking the platform; runs off the event loop.
struct Router: Sendable {
    let platform: any FunctionPlatform
    let authenticator: BearerAuthenticator

    /// Answers one request. Never throws: every failure becomes the contract's error JSON.
    func respond(to request: GatewayRequest) async -> GatewayResponse {
        do {
            return try await dispatch(request)
        } catch {
            return .error(error)
        }
    }

    private func dispatch(_ request: GatewayRequest) async throws(PlatformError) -> GatewayResponse {
        switch request.route {
        case .healthz:
            return .text(.ok, "ok")
        case .invoke(let name, let rest):
            return await invoke(name: name, rest: rest, request: request)
        default:
            break
        }
        guard authenticator.authorizes(request.headers) else {
            throw PlatformError(.unauthorized, "this path needs 'Authorization: Bearer <token>'")
        }
        switch request.route {
        case .healthz, .invoke:
            return .error(.notFound, "no route")  // answered above; listed for exhaustiveness
        case .metrics:
            return .text(.ok, await platform.metricsText(), contentType: "text/plain; version=0.0.4; charset=utf-8")
        case .compartments:
            return .json(.ok, await platform.compartments())
        case .nodes:
            return .json(.ok, try await platform.nodes())
        case .listFunctions:
            return .json(.ok, try await platform.list())
        case .deploy:
            return try await deploy(request)
        case .functionInfo(let name):
            guard let info = try await platform.info(function: name) else {
                throw PlatformError(.notFound, "no function named '\(name)'")
            }
            return .json(.ok, info)
        case .removeFunction(let name):
            try await platform.remove(function: name)
            return GatewayResponse(status: .noContent)
        case .rollback(let name):
            return try await rollback(name: name, request: request)
        case .listActivations:
            let query = QueryParameters(request.query)
            let function = try query.string("function").flatMap { $0.isEmpty ? nil : $0 }
            let limit = try query.integer("limit", in: 1...1000) ?? 50
            var status: ActivationStatus?
            if let text = try query.string("status"), !text.isEmpty {
                guard let parsed = ActivationStatus(rawValue: text) else {
                    throw PlatformError(.badRequest, "status must be queued, running, succeeded, failed or dead, not '\(text)'")
                }
                status = parsed
            }
            return .json(.ok, try await platform.activations(function: function, status: status, limit: limit))
        case .activation(let id):
            guard let record = try await platform.activation(id: id) else {
                throw PlatformError(.notFound, "no activation '\(id)'")
            }
            return .json(.ok, record)
        case .retryActivation(let id):
            try await platform.retry(activation: id)
            return .json(.accepted, AcceptedBody(activation: id))
        case .listStores, .listKeys, .getValue, .putValue, .deleteValue:
            return try await keyValue(request.route, request: request)
        case .activationResult(let id):
            guard let result = try await platform.activationResult(id: id), (200...599).contains(result.status) else {
                throw PlatformError(.notFound, "no stored result for activation '\(id)'")
            }
            var response = GatewayResponse(status: HTTPResponseStatus(statusCode: result.status))
            Self.copy(result.headers, into: &response.headers)
            response.body = result.body
            response.activation = id
            return response
        }
    }

    private func deploy(_ request: GatewayRequest) async throws(PlatformError) -> GatewayResponse {
        guard request.body.readableBytes > 0 else {
            throw PlatformError(.invalidArchive, "the request body must be a fn.tar.gz archive; it is empty")
        }
        let result = try await platform.deploy(archive: Array(request.body.readableBytesView))
        return .json(.created, result)
    }

    private func rollback(name: String, request: GatewayRequest) async throws(PlatformError) -> GatewayResponse {
        let target = try RollbackBody.version(from: request.body)
        let current = try await platform.rollback(function: name, to: target)
        return .json(.ok, RollbackResult(name: name, current: current))
    }
}

extension Router {
    /// Response headers a function may not set: the gateway frames the message itself.
    private static let framingHeaders = ["content-length", "transfer-encoding", "connection", "keep-alive"]

    /// Adds a function's response headers to `headers`, without framing headers and without the
    /// names in `reserved` (headers the gateway sets itself).
    static func copy(_ fields: [HeaderField], into headers: inout HTTPHeaders, reserving reserved: [String] = []) {
        for field in fields {
            let name = field.name
            guard !framingHeaders.contains(where: { name.equalsIgnoringASCIICase($0) }),
                !reserved.contains(where: { name.equalsIgnoringASCIICase($0) })
            else { continue }
            headers.add(name: name, value: field.value)
        }
    }
}

extension String {
    /// Whether the two are equal once ASCII letters are lowercased (HTTP field names), without
    /// allocating a lowercased copy.
    func equalsIgnoringASCIICase(_ other: String) -> Bool {
        utf8.count == other.utf8.count
            && zip(utf8, other.utf8).allSatisfy { a, b in
                a == b || (a | 0x20 == b | 0x20 && (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(a | 0x20))
            }
    }
}
