import NIOCore
import NIOHTTP1
import Sandbox

extension Router {
    /// The `/kv` routes (the token was checked): stores, keys, and one key's raw value.
    ///
    /// Keys arrive percent-decoded from the path (a key may hold `/`); the store checks the store
    /// name, the key and the value's size, and its failures map to 400, 413 and 503.
    func keyValue(_ route: Route, request: GatewayRequest) async throws(PlatformError) -> GatewayResponse {
        switch route {
        case .listStores:
            return .json(.ok, try await platform.keyValueStores())
        case .listKeys(let store):
            let query = QueryParameters(request.query)
            let prefix = try query.string("prefix") ?? ""
            let limit = try query.integer("limit", in: 0...KeyValueRules.maxListLimit) ?? Self.defaultKeyLimit
            let keys = try await platform.keyValueKeys(store: store, prefix: Array(prefix.utf8), limit: limit)
            return .json(.ok, keys.map { String(decoding: $0, as: UTF8.self) })
        case .getValue(let store, let key):
            guard let value = try await platform.keyValueGet(store: store, key: Array(key.utf8)) else {
                throw Self.absent(store: store, key: key)
            }
            var response = GatewayResponse(status: .ok, body: value)
            response.headers.add(name: "content-type", value: "application/octet-stream")
            return response
        case .putValue(let store, let key):
            let value = Array(request.body.readableBytesView)
            try await platform.keyValuePut(store: store, key: Array(key.utf8), value: value)
            return GatewayResponse(status: .noContent)
        case .deleteValue(let store, let key):
            guard try await platform.keyValueDelete(store: store, key: Array(key.utf8)) else {
                throw Self.absent(store: store, key: key)
            }
            return GatewayResponse(status: .noContent)
        default:
            return .error(.notFound, "no route")  // only the routes above come here
        }
    }

    /// Keys `GET /kv/{store}` lists without `limit`.
    static let defaultKeyLimit = 1000

    private static func absent(store: String, key: String) -> PlatformError {
        PlatformError(.notFound, "no key '\(key)' in store '\(store)'")
    }
}
