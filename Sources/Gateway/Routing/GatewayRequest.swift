import NIOCore
import NIOHTTP1

/// A complete, size-checked request, routed and ready for the ``Router``.
struct GatewayRequest: Sendable {
    var method: HTTPMethod
    var route: Route
    /// The raw query string, without `?`.
    var query: String
    var headers: HTTPHeaders
    var body: ByteBuffer
}
