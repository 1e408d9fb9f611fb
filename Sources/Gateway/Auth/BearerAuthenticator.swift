import NIOHTTP1

/// Checks `Authorization: Bearer <token>` against the server's token in constant time.
struct BearerAuthenticator: Sendable {
    /// The token bytes, or `nil` when the server runs without a token (everything is open).
    private let token: [UInt8]?

    init(token: String?) {
        self.token = token.flatMap { $0.isEmpty ? nil : Array($0.utf8) }
    }

    /// Whether the server has a token at all.
    var isEnabled: Bool { token != nil }

    /// Whether `headers` carry the server's token (always true without a token).
    func authorizes(_ headers: HTTPHeaders) -> Bool {
        guard let token else { return true }
        guard let value = headers.first(name: "authorization") else { return false }
        let utf8 = Array(value.utf8)
        let prefix = Array("bearer ".utf8)
        guard utf8.count > prefix.count,
            zip(utf8.prefix(prefix.count), prefix).allSatisfy({ $0 | 0x20 == $1 })
        else { return false }
        return Self.constantTimeEqual(Array(utf8[prefix.count...]), token)
    }

    /// Whether `value` is exactly the server's token, in constant time.
    func isToken(authorization value: String) -> Bool {
        var headers = HTTPHeaders()
        headers.add(name: "authorization", value: value)
        return isEnabled && authorizes(headers)
    }

    /// Compares without an early exit, so the time taken does not reveal how much of a guess was right.
    static func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        var difference = UInt64(lhs.count ^ rhs.count)
        for index in 0..<max(lhs.count, rhs.count) {
            let a = index < lhs.count ? lhs[index] : 0
            let b = index < rhs.count ? rhs[index] : 0
            difference |= UInt64(a ^ b)
        }
        return difference == 0
    }
}
