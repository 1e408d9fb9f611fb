/// The units of `function.yaml`: sizes in `Ki`, `Mi`, `Gi` or plain bytes; durations in `ms`, `s`, `m`
/// (and `h` for `keep_alive`). Parsing is exact: no fractions, no spaces, no other suffixes.
enum ManifestUnits {
    /// Parses `64Mi`, `512Ki`, `1Gi` or `1048576`.
    static func bytes(_ text: String) -> UInt64? {
        let units: [(String, UInt64)] = [("Ki", 1 << 10), ("Mi", 1 << 20), ("Gi", 1 << 30)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            guard let number = digits(text.dropLast(2)) else { return nil }
            let (value, overflow) = number.multipliedReportingOverflow(by: scale)
            return overflow ? nil : value
        }
        return digits(Substring(text))
    }

    /// Parses `250ms`, `5s`, `10m` (and `2h` when `hours` is allowed).
    static func duration(_ text: String, hours: Bool = false) -> Duration? {
        if text.hasSuffix("ms"), let value = digits(text.dropLast(2)), value <= 1 << 40 {
            return .milliseconds(Int64(value))
        }
        let units: [(Character, UInt64)] = hours ? [("s", 1), ("m", 60), ("h", 3600)] : [("s", 1), ("m", 60)]
        for (suffix, scale) in units where text.last == suffix {
            guard let value = digits(text.dropLast()), value <= 1 << 32 else { return nil }
            return .seconds(Int64(value * scale))
        }
        return nil
    }

    /// `64Mi` style text for a byte count: the largest unit that divides it exactly.
    static func format(bytes: UInt64) -> String {
        for (suffix, scale) in [("Gi", UInt64(1) << 30), ("Mi", 1 << 20), ("Ki", 1 << 10)]
        where bytes >= scale && bytes % scale == 0 {
            return "\(bytes / scale)\(suffix)"
        }
        return "\(bytes)"
    }

    /// `5s` style text for a duration: the largest of m, s, ms that divides it exactly.
    static func format(duration: Duration) -> String {
        let milliseconds = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        if milliseconds % 60_000 == 0, milliseconds > 0 { return "\(milliseconds / 60_000)m" }
        if milliseconds % 1000 == 0 { return "\(milliseconds / 1000)s" }
        return "\(milliseconds)ms"
    }

    private static func digits(_ text: Substring) -> UInt64? {
        guard !text.isEmpty, text.utf8.count <= 19, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else {
            return nil
        }
        return UInt64(text)
    }
}
