#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// An IPv4 or IPv6 address, as bytes in network order.
public enum IPAddress: Sendable, Hashable, CustomStringConvertible {
    case v4([UInt8])
    case v6([UInt8])

    /// Parses a strict literal: dotted-quad IPv4 (no leading zeros, no short or numeric forms) or IPv6
    /// without brackets. Nil for anything else.
    public init?(literal: String) {
        var v4 = in_addr()
        if literal.utf8.allSatisfy({ $0 == UInt8(ascii: ".") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) {
            guard inet_pton(AF_INET, literal, &v4) == 1 else { return nil }
            self = .v4(withUnsafeBytes(of: &v4) { Array($0) })
            return
        }
        var v6 = in6_addr()
        guard literal.contains(":"), !literal.contains("%"), inet_pton(AF_INET6, literal, &v6) == 1 else { return nil }
        self = .v6(withUnsafeBytes(of: &v6) { Array($0) })
    }

    /// The address in its usual text form (`127.0.0.1`, `::1`).
    public var description: String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        switch self {
        case .v4(let bytes):
            var address = in_addr()
            withUnsafeMutableBytes(of: &address) { $0.copyBytes(from: bytes) }
            inet_ntop(AF_INET, &address, &buffer, socklen_t(buffer.count))
        case .v6(let bytes):
            var address = in6_addr()
            withUnsafeMutableBytes(of: &address) { $0.copyBytes(from: bytes) }
            inet_ntop(AF_INET6, &address, &buffer, socklen_t(buffer.count))
        }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The form a URL or `CURLOPT_RESOLVE` writes it in: IPv6 in brackets.
    public var urlForm: String {
        switch self {
        case .v4: description
        case .v6: "[\(description)]"
        }
    }

    /// Why a request to this address is refused unless a grant names it (SPEC "Outbound HTTP"):
    /// loopback, private, link-local, shared, unspecified, multicast (and broadcast or reserved IPv4);
    /// nil for a public address. An IPv4-mapped or NAT64 IPv6 address is judged by its IPv4 part.
    public var forbiddenRange: String? {
        switch self {
        case .v4(let b):
            switch (b[0], b[1]) {
            case (0, _): return "unspecified (0.0.0.0/8)"
            case (10, _): return "private (10.0.0.0/8)"
            case (100, 64...127): return "shared (100.64.0.0/10)"
            case (127, _): return "loopback (127.0.0.0/8)"
            case (169, 254): return "link-local (169.254.0.0/16)"
            case (172, 16...31): return "private (172.16.0.0/12)"
            case (192, 168): return "private (192.168.0.0/16)"
            case (224...239, _): return "multicast (224.0.0.0/4)"
            case (240...255, _): return "reserved or broadcast (240.0.0.0/4)"
            default: return nil
            }
        case .v6(let b):
            if b.allSatisfy({ $0 == 0 }) { return "unspecified (::)" }
            if b[0..<15].allSatisfy({ $0 == 0 }) && b[15] == 1 { return "loopback (::1)" }
            if b[0..<10].allSatisfy({ $0 == 0 }) && b[10] == 0xFF && b[11] == 0xFF {
                return IPAddress.v4(Array(b[12..<16])).forbiddenRange.map { "IPv4-mapped \($0)" }
            }
            if b[0..<12] == [0x00, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0] {
                return IPAddress.v4(Array(b[12..<16])).forbiddenRange.map { "NAT64 \($0)" }
            }
            if b[0] & 0xFE == 0xFC { return "unique local (fc00::/7)" }
            if b[0] == 0xFE && b[1] & 0xC0 == 0x80 { return "link-local (fe80::/10)" }
            if b[0] == 0xFF { return "multicast (ff00::/8)" }
            return nil
        }
    }
}
