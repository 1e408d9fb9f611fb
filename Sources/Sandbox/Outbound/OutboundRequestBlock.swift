/// The request block a guest hands to `http_request`: `METHOD URL` then `Name: value` lines,
/// separated by `\n` (SPEC "Outbound HTTP").
struct OutboundRequestBlock: Equatable {
    static let methods: Set<String> = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
    /// Headers the platform sets itself; a guest's are left out.
    static let platformHeaders: Set<String> = ["host", "content-length", "transfer-encoding", "connection"]
    static let maxHeaders = 100

    var method: String
    var url: OutboundURL
    var headers: [HTTPField]

    /// Parses `bytes`; nil for a bad method, URL or header (the guest sees -6).
    init?(_ bytes: [UInt8]) {
        var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }  // one trailing newline is fine
        guard let first = lines.first, lines.count - 1 <= Self.maxHeaders else { return nil }
        let parts = first.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        let method = String(decoding: parts[0], as: UTF8.self)
        guard Self.methods.contains(method), let url = OutboundURL(parsing: String(decoding: parts[1], as: UTF8.self))
        else { return nil }
        self.method = method
        self.url = url
        headers = []
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return nil }
            let name = line[line.startIndex..<colon]
            var value = line[line.index(after: colon)...]
            while value.first == UInt8(ascii: " ") || value.first == UInt8(ascii: "\t") { value = value.dropFirst() }
            while value.last == UInt8(ascii: " ") || value.last == UInt8(ascii: "\t") { value = value.dropLast() }
            guard HTTPFieldSyntax.isValidName(name), HTTPFieldSyntax.isValidValue(value), !value.contains(0x0D) else {
                return nil
            }
            let field = HTTPField(name: String(decoding: name, as: UTF8.self), value: String(decoding: value, as: UTF8.self))
            if !Self.platformHeaders.contains(field.name.lowercased()) { headers.append(field) }
        }
    }
}
