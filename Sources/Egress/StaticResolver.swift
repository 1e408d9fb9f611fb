public import Sandbox

/// Fixed answers, for tests and benchmarks: a name it was not given does not resolve.
///
/// ```swift
/// let resolver = StaticResolver(["api.test": [IPAddress(literal: "203.0.113.7")!]])
/// ```
public struct StaticResolver: HostResolver {
    public let answers: [String: [IPAddress]]

    /// `answers` by lower-case name, as ``OutboundURL`` writes hosts.
    public init(_ answers: [String: [IPAddress]]) {
        self.answers = answers
    }

    public func resolve(_ name: String) -> Result<[IPAddress], ResolveFailure> {
        guard let addresses = answers[name], !addresses.isEmpty else { return .failure(ResolveFailure("unknown name")) }
        var unique: [IPAddress] = []
        for address in addresses where !unique.contains(address) { unique.append(address) }
        return .success(unique)
    }
}
