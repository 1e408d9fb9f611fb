/// The parameters of a query string, decoded only when asked for, so that a function's own query
/// syntax never makes the gateway refuse an invocation.
struct QueryParameters: Sendable {
    private let pairs: [(key: Substring, value: Substring)]

    init(_ query: String) {
        pairs = query.split(separator: "&").map { pair in
            if let equals = pair.firstIndex(of: "=") {
                return (pair[..<equals], pair[pair.index(after: equals)...])
            }
            return (pair, pair[pair.endIndex...])
        }
    }

    /// The last value of `key`.
    /// - Throws: `bad_request` when that value's percent-encoding is invalid.
    func string(_ key: String) throws(PlatformError) -> String? {
        guard let pair = pairs.last(where: { PercentDecoding.decode($0.key, plusIsSpace: true) == key }) else {
            return nil
        }
        guard let value = PercentDecoding.decode(pair.value, plusIsSpace: true) else {
            throw PlatformError(.badRequest, "query parameter '\(key)' is not valid percent-encoding")
        }
        return value
    }

    /// The value of `key` as an integer in `range`, or `nil` when absent.
    /// - Throws: `bad_request` when the value is not such an integer.
    func integer(_ key: String, in range: ClosedRange<Int>) throws(PlatformError) -> Int? {
        guard let text = try string(key) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw PlatformError(
                .badRequest, "query parameter '\(key)' must be an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }
}
