import NIOHTTP1

/// A complete answer, built off the event loop and written on it.
struct GatewayResponse: Sendable {
    var status: HTTPResponseStatus
    var headers: HTTPHeaders
    var body: [UInt8]
    /// The activation this answer belongs to, for the request log.
    var activation: String?

    init(status: HTTPResponseStatus, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = [], activation: String? = nil) {
        self.status = status
        self.headers = headers
        self.body = body
        self.activation = activation
    }

    /// A JSON answer.
    static func json(_ status: HTTPResponseStatus, _ value: some Encodable) -> GatewayResponse {
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "application/json")
        return GatewayResponse(status: status, headers: headers, body: GatewayJSON.encode(value))
    }

    /// A plain-text answer.
    static func text(_ status: HTTPResponseStatus, _ text: String, contentType: String = "text/plain; charset=utf-8")
        -> GatewayResponse
    {
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: contentType)
        return GatewayResponse(status: status, headers: headers, body: Array(text.utf8))
    }
}
