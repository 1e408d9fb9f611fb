/// Unsigned LEB128, the variable-length integer encoding of the WebAssembly binary format.
package enum LEB128 {
    /// The minimal encoding of `value`.
    package static func encode(_ value: UInt32) -> [UInt8] {
        var value = value
        var bytes: [UInt8] = []
        repeat {
            var byte = UInt8(value & 0x7F)
            value >>= 7
            if value != 0 { byte |= 0x80 }
            bytes.append(byte)
        } while value != 0
        return bytes
    }

    /// Decodes a `u32` at `index`: its value and how many bytes it took.
    ///
    /// - Returns: `nil` if the bytes end first, the encoding is longer than five bytes, or its last byte
    ///   has bits beyond 32 (all malformed in WebAssembly).
    static func decodeUInt32(_ bytes: [UInt8], at index: Int) -> (value: UInt32, length: Int)? {
        var result: UInt32 = 0
        var position = index
        for shift in stride(from: UInt32(0), to: 35, by: 7) {
            guard position >= 0, position < bytes.count else { return nil }
            let byte = bytes[position]
            position += 1
            if shift == 28, byte & 0xF0 != 0 { return nil }  // continuation or bits beyond 32
            result |= UInt32(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return (result, position - index) }
        }
        return nil
    }
}
