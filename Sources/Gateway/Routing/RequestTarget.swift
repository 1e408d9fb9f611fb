/// An origin-form request target (`/path?query`) split into decoded path segments and the raw query.
struct RequestTarget: Sendable, Equatable {
    /// The path as received (not decoded), for logs and messages.
    var path: String
    /// Percent-decoded path segments, without the leading empty segment: `/a/b%20c/` -> `["a", "b c", ""]`.
    var segments: [String]
    /// The query without `?`, not decoded.
    var query: String

    /// Parses `uri`; `nil` when it is not an origin-form target or its percent-encoding is invalid.
    ///
    /// Runs once per request on the event loop, so it walks the UTF-8 bytes (`/` and `?` are ASCII)
    /// rather than characters.
    init?(_ uri: String) {
        let utf8 = uri.utf8
        guard utf8.first == UInt8(ascii: "/") else { return nil }
        let pathEnd = utf8.firstIndex(of: UInt8(ascii: "?")) ?? utf8.endIndex
        path = String(uri[..<pathEnd])
        query = pathEnd == utf8.endIndex ? "" : String(uri[utf8.index(after: pathEnd)...])
        var segments: [String] = []
        var segmentStart = utf8.index(after: utf8.startIndex)
        var index = segmentStart
        while true {
            guard index == pathEnd || utf8[index] == UInt8(ascii: "/") else {
                index = utf8.index(after: index)
                continue
            }
            guard let decoded = PercentDecoding.decode(uri[segmentStart..<index], plusIsSpace: false) else { return nil }
            segments.append(decoded)
            guard index != pathEnd else { break }
            index = utf8.index(after: index)
            segmentStart = index
        }
        self.segments = segments
    }
}

/// `application/x-www-form-urlencoded`-style percent decoding.
enum PercentDecoding {
    /// Decodes `%XX` escapes (and `+` as a space when asked); `nil` on a bad escape or invalid UTF-8.
    static func decode(_ text: Substring, plusIsSpace: Bool) -> String? {
        let utf8 = text.utf8
        guard utf8.contains(UInt8(ascii: "%")) || (plusIsSpace && utf8.contains(UInt8(ascii: "+"))) else {
            return String(text)
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count)
        var index = utf8.startIndex
        while index != utf8.endIndex {
            let byte = utf8[index]
            if byte == UInt8(ascii: "%") {
                let high = utf8.index(after: index)
                guard high != utf8.endIndex else { return nil }
                let low = utf8.index(after: high)
                guard low != utf8.endIndex, let h = hexValue(utf8[high]), let l = hexValue(utf8[low]) else { return nil }
                bytes.append(h << 4 | l)
                index = utf8.index(after: low)
            } else {
                bytes.append(plusIsSpace && byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
                index = utf8.index(after: index)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
