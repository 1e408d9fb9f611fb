/// One entry of `capabilities.http`: `scheme://host[:port]` (SPEC "Outbound HTTP").
///
/// Parsed and checked at deploy; matched against every request's URL when it is made. Hosts are
/// compared lower-cased and without a trailing dot; non-ASCII names are refused (write the IDNA
/// `xn--` form), as are numeric forms that are not strict dotted quads.
///
/// ```swift
/// let grant = try HTTPGrant(parsing: "https://*.example.com")
/// grant.matches(try OutboundURL(parsing: "https://api.example.com/v1"))   // true
/// grant.matches(try OutboundURL(parsing: "https://example.com/"))         // false: one label or more in front
/// ```
public struct HTTPGrant: Sendable, Hashable, CustomStringConvertible {
    public enum Host: Sendable, Hashable {
        /// One DNS name.
        case name(String)
        /// `*.suffix`: any name with one or more labels in front of `suffix`.
        case wildcard(suffix: String)
        /// An IP literal: the only way to reach a private or loopback address besides `localhost`.
        case address(IPAddress)
        /// `localhost`: the loopback addresses.
        case localhost
    }

    public let scheme: OutboundURL.Scheme
    public let host: Host
    /// The port, or nil for `*` (any port).
    public let port: Int?
    /// The grant as written in the manifest.
    public let text: String

    /// Parses a grant.
    /// - Throws: ``GrantError`` naming what is wrong: the scheme, a path, query, fragment or user
    ///   info, the host or the port.
    public init(parsing text: String) throws(GrantError) {
        self.text = text
        guard let separator = text.firstRange(of: "://") else {
            throw GrantError(text, "must be scheme://host[:port] with scheme http or https")
        }
        guard let scheme = OutboundURL.Scheme(rawValue: text[..<separator.lowerBound].lowercased()) else {
            throw GrantError(text, "scheme must be http or https")
        }
        self.scheme = scheme
        let authority = text[separator.upperBound...]
        if let bad = authority.firstIndex(where: { "/?#@\\".contains($0) }) {
            throw GrantError(
                text, "a grant names scheme://host[:port] only; \"\(authority[bad...])\" (path, query, fragment or user info) is not allowed")
        }
        let (hostText, portText) = try Self.split(authority: String(authority), text: text)
        if let portText {
            if portText == "*" {
                port = nil
            } else if let number = OutboundURL.port(portText) {
                port = number
            } else {
                throw GrantError(text, "port must be a number from 1 to 65535 or *")
            }
        } else {
            port = scheme.defaultPort
        }
        if hostText.hasPrefix("*.") {
            guard let suffix = OutboundURL.normalisedName(String(hostText.dropFirst(2))) else {
                throw GrantError(text, "\"\(hostText)\" is not *. followed by a DNS name")
            }
            host = .wildcard(suffix: suffix)
        } else if hostText.hasPrefix("[") {
            guard hostText.hasSuffix("]"), let address = IPAddress(literal: String(hostText.dropFirst().dropLast())),
                case .v6 = address
            else { throw GrantError(text, "\"\(hostText)\" is not an IPv6 literal") }
            host = .address(address)
        } else if let address = IPAddress(literal: hostText), case .v4 = address {
            host = .address(address)
        } else if let name = OutboundURL.normalisedName(hostText) {
            host = name == "localhost" ? .localhost : .name(name)
        } else {
            throw GrantError(
                text, "\"\(hostText)\" is not a DNS name (ASCII; IDNA names in their xn-- form), *.name, an IPv4 or [IPv6] literal or localhost")
        }
    }

    /// Whether a request to `url` is allowed by this grant (scheme, host and port).
    public func matches(_ url: OutboundURL) -> Bool {
        guard url.scheme == scheme, port == nil || port == url.port else { return false }
        switch (host, url.host) {
        case (.name(let granted), .name(let name)): return granted == name
        case (.wildcard(let suffix), .name(let name)):
            return name.count > suffix.count + 1 && name.hasSuffix("." + suffix)
        case (.localhost, .name(let name)): return name == "localhost"
        case (.address(let granted), .address(let address)): return granted == address
        default: return false
        }
    }

    /// Whether this grant lets a request reach `address` even though it is in a forbidden range: only
    /// a grant naming that address literally, or `localhost` for loopback addresses.
    public func allowsForbidden(_ address: IPAddress) -> Bool {
        switch host {
        case .address(let granted): granted == address
        case .localhost: address == .v4([127, 0, 0, 1]) || address == .v6(Array(repeating: 0, count: 15) + [1])
        case .name, .wildcard: false
        }
    }

    public var description: String { text }

    private static func split(authority: String, text: String) throws(GrantError) -> (String, String?) {
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw GrantError(text, "unclosed [ in the host") }
            let host = String(authority[...close])
            let rest = authority[authority.index(after: close)...]
            if rest.isEmpty { return (host, nil) }
            guard rest.hasPrefix(":") else { throw GrantError(text, "unexpected \"\(rest)\" after the host") }
            return (host, String(rest.dropFirst()))
        }
        let parts = authority.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count <= 2, !parts[0].isEmpty else { throw GrantError(text, "host is missing or malformed") }
        return (String(parts[0]), parts.count == 2 ? String(parts[1]) : nil)
    }
}

/// A `capabilities.http` entry that is not a grant; the deploy answers 422 with the message.
public struct GrantError: Error, Sendable, CustomStringConvertible {
    public let grant: String
    public let reason: String

    init(_ grant: String, _ reason: String) {
        self.grant = grant
        self.reason = reason
    }

    public var description: String { "\"\(grant)\": \(reason)" }
}
