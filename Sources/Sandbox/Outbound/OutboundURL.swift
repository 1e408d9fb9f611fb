/// The URL of an outbound request, parsed strictly by the monitor (SPEC "Outbound HTTP").
///
/// The request that goes out is rebuilt from these parts (``text``), so the HTTP client never
/// interprets a string the grant check did not see: no user info, no backslashes, no spaces or
/// control bytes, no numeric host forms other than strict dotted quads, ASCII host names only.
public struct OutboundURL: Sendable, Hashable, CustomStringConvertible {
    public enum Scheme: String, Sendable, Hashable {
        case http, https

        public var defaultPort: Int { self == .http ? 80 : 443 }
    }

    public enum Host: Sendable, Hashable {
        /// A DNS name, lower-cased, without a trailing dot.
        case name(String)
        /// An IP literal.
        case address(IPAddress)
    }

    public let scheme: Scheme
    public let host: Host
    public let port: Int
    /// Path and query (`/` at least), as sent.
    public let target: String

    /// Parses `text`; nil when it is not an absolute http(s) URL of the accepted form.
    public init?(parsing text: String) {
        guard text.utf8.count <= 8192, text.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\\") }),
            let separator = text.firstRange(of: "://"),
            let scheme = Scheme(rawValue: text[..<separator.lowerBound].lowercased())
        else { return nil }
        self.scheme = scheme
        var rest = text[separator.upperBound...]
        if let fragment = rest.firstIndex(of: "#") { rest = rest[..<fragment] }
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var target = String(rest[authorityEnd...])
        if target.isEmpty || target.hasPrefix("?") { target = "/" + target }
        self.target = target
        guard !authority.contains("@"), !authority.isEmpty else { return nil }

        var hostText = Substring(authority)
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            hostText = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return nil }
                portText = after.dropFirst()
            }
            guard let address = IPAddress(literal: String(hostText)), case .v6 = address else { return nil }
            host = .address(address)
        } else {
            let parts = authority.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count <= 2 else { return nil }
            hostText = parts[0]
            if parts.count == 2 { portText = parts[1] }
            if let address = IPAddress(literal: String(hostText)), case .v4 = address {
                host = .address(address)
            } else if let name = Self.normalisedName(String(hostText)) {
                host = .name(name)
            } else {
                return nil
            }
        }
        if let portText {
            guard let number = Self.port(portText) else { return nil }
            port = number
        } else {
            port = scheme.defaultPort
        }
    }

    /// The host as a URL writes it (IPv6 in brackets).
    public var hostText: String {
        switch host {
        case .name(let name): name
        case .address(let address): address.urlForm
        }
    }

    /// The URL that is requested: rebuilt from the checked parts.
    public var text: String {
        let portPart = port == scheme.defaultPort ? "" : ":\(port)"
        return "\(scheme.rawValue)://\(hostText)\(portPart)\(target)"
    }

    /// The URL for the activation log: the query's values left out.
    public var logText: String {
        guard let question = text.firstIndex(of: "?") else { return text }
        let query = text[text.index(after: question)...].split(separator: "&").map { pair in
            pair.split(separator: "=", maxSplits: 1).first.map { "\($0)=…" } ?? "…"
        }
        return String(text[...question]) + query.joined(separator: "&")
    }

    public var description: String { text }

    /// A port number from 1 to 65535 written in decimal digits only.
    static func port<S: StringProtocol>(_ text: S) -> Int? {
        guard !text.isEmpty, text.count <= 5, text.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
            let number = Int(text), (1...65535).contains(number)
        else { return nil }
        return number
    }

    /// `name` lower-cased and without one trailing dot, if it is a DNS name: ASCII labels of letters,
    /// digits, `-` and `_`, 1–63 bytes each, 253 in all, and a last label that is not numeric (which
    /// would be an IPv4 form in disguise, such as `127.1` or `0x7f.1`).
    static func normalisedName(_ name: String) -> String? {
        var name = name.lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        guard !name.isEmpty, name.utf8.count <= 253, let last = labels.last else { return nil }
        for label in labels {
            guard (1...63).contains(label.utf8.count),
                label.utf8.allSatisfy({
                    (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0)
                        || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_")
                })
            else { return nil }
        }
        let numeric = last.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
        guard !numeric, !last.hasPrefix("0x") else { return nil }
        return name
    }
}
