/// One HTTP header as a name and a value, in the order received or produced.
public struct HeaderField: Sendable, Equatable, Codable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// The part of an HTTP request a function sees.
public struct FunctionRequest: Sendable, Equatable {
    /// `GET`, `POST`, …
    public var method: String
    /// What follows `/invoke/NAME`, percent-decoded: `""` or a path starting with `/` (CGI `PATH_INFO`).
    public var path: String
    /// The raw query string without the `?` (CGI `QUERY_STRING`).
    public var query: String
    /// The request headers in order, without the gateway's own bearer token.
    public var headers: [HeaderField]
    public var body: [UInt8]

    public init(method: String, path: String, query: String, headers: [HeaderField], body: [UInt8]) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
    }
}

/// A function's response: status, headers and body bytes, written to the client as they are.
public struct FunctionResponse: Sendable, Equatable {
    public var status: Int
    public var headers: [HeaderField]
    public var body: [UInt8]

    public init(status: Int, headers: [HeaderField] = [], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}
