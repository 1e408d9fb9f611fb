/// Edits of raw tar streams, for archives no honest writer produces.
enum TarSurgery {
    /// Offsets of every header block in a tar stream written by `ArchiveWriter`.
    static func headerOffsets(_ tar: [UInt8]) -> [Int] {
        var offsets: [Int] = []
        var offset = 0
        while offset + 512 <= tar.count, !tar[offset..<(offset + 512)].allSatisfy({ $0 == 0 }) {
            offsets.append(offset)
            let size = Int(String(decoding: tar[(offset + 124)..<(offset + 135)], as: UTF8.self), radix: 8) ?? 0
            offset += 512 + (size + 511) / 512 * 512
        }
        return offsets
    }

    /// Recomputes the checksum of the header at `offset`.
    static func fixChecksum(_ tar: inout [UInt8], at offset: Int) {
        for index in 148..<156 { tar[offset + index] = 0x20 }
        let sum = tar[offset..<(offset + 512)].reduce(0) { $0 + Int($1) }
        let digits = Array(String(sum, radix: 8).utf8)
        let field = [UInt8](repeating: UInt8(ascii: "0"), count: max(0, 6 - digits.count)) + digits + [0, 0x20]
        for (index, byte) in field.prefix(8).enumerated() { tar[offset + 148 + index] = byte }
    }

    /// Writes `text` as a header field (NUL-padded), then fixes the checksum.
    static func setField(_ tar: inout [UInt8], header: Int, at field: Int, length: Int, to text: [UInt8]) {
        for index in 0..<length { tar[header + field + index] = index < text.count ? text[index] : 0 }
        fixChecksum(&tar, at: header)
    }
}
