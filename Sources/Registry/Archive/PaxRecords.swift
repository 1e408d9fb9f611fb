/// The records of a pax extended header: `"<length> <key>=<value>\n"`, where `length` counts the
/// whole record in bytes.
enum PaxRecords {
    /// Parses `bytes` into the `path`, `size` and `linkpath` records; a later record for the same key wins.
    /// - Throws: `invalid_archive` when a record's length or layout is wrong.
    static func parse(_ bytes: [UInt8], header: Int) throws(RegistryError) -> [String: String] {
        var records: [String: String] = [:]
        var offset = 0
        while offset < bytes.count {
            if bytes[offset...].allSatisfy({ $0 == 0 }) { break }
            guard let space = bytes[offset...].prefix(20).firstIndex(of: UInt8(ascii: " ")),
                let length = Int(String(decoding: bytes[offset..<space], as: UTF8.self)),
                length > space - offset + 2, offset + length <= bytes.count, bytes[offset + length - 1] == 0x0a
            else {
                throw .archive("header \(header): malformed pax extended header record")
            }
            let record = bytes[(space + 1)..<(offset + length - 1)]
            guard let equals = record.firstIndex(of: UInt8(ascii: "=")) else {
                throw .archive("header \(header): pax record without '='")
            }
            let key = String(decoding: record[record.startIndex..<equals], as: UTF8.self)
            // Only the keys the reader acts on are decoded; others (times, owners, xattrs) may be binary.
            if key == "path" || key == "size" || key == "linkpath" {
                records[key] = try ArchivePath.decode(record[(equals + 1)...])
            }
            offset += length
        }
        return records
    }
}
