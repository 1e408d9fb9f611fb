public import Sandbox

/// Turns a host name into addresses for ``CurlClient``, which checks every one of them before it
/// connects and then pins the connection to them. A seam: tests and benchmarks give names the
/// answers they need (``StaticResolver``); the server uses ``SystemResolver``.
public protocol HostResolver: Sendable {
    /// The addresses of `name` (no duplicates), or why there are none.
    func resolve(_ name: String) -> Result<[IPAddress], ResolveFailure>

    /// The same, but giving up at `deadline`: a request must end by its deadline even when the
    /// DNS server does not answer. The default calls ``resolve(_:)``, for resolvers that never
    /// wait.
    func resolve(_ name: String, before deadline: ContinuousClock.Instant) -> Result<[IPAddress], ResolveFailure>
}

extension HostResolver {
    public func resolve(_ name: String, before deadline: ContinuousClock.Instant) -> Result<[IPAddress], ResolveFailure> {
        resolve(name)
    }
}

/// Why a name has no addresses; the message goes to the activation log.
public struct ResolveFailure: Error, Sendable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
