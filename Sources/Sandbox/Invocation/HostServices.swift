/// What a compartment's hostcalls reach outside it: CAP-Calls, outbound HTTP, key-value stores.
/// Each is nil when the server offers none; a guest still reaches one only through its grants.
public struct HostServices: Sendable {
    public var calls: (any CallHandler)?
    public var http: (any OutboundHTTP)?
    public var kv: (any KeyValueAccess)?

    public init(calls: (any CallHandler)? = nil, http: (any OutboundHTTP)? = nil, kv: (any KeyValueAccess)? = nil) {
        self.calls = calls
        self.http = http
        self.kv = kv
    }

    /// Nothing outside the compartment.
    public static let none = HostServices()
}
