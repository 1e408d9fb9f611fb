/// The syntax of header names and values a guest may set (RFC 9110 tokens; no CR, LF or NUL in values),
/// so no guest can split a response or inject a header.
enum HTTPFieldSyntax {
    static func isValidName<C: Collection<UInt8>>(_ name: C) -> Bool {
        !name.isEmpty && name.count <= 256 && name.allSatisfy(isTokenByte)
    }

    static func isValidValue<C: Collection<UInt8>>(_ value: C) -> Bool {
        value.allSatisfy { $0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F) }
    }

    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
            UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
            UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            true
        default:
            false
        }
    }
}
