import Sandbox

/// What one transfer has received so far. curl's write and header callbacks reach it through
/// their context pointer, on the thread running `curl_easy_perform`, one call at a time.
final class CurlTransfer {
    let maxBody: Int
    private(set) var body: [UInt8] = []
    /// The fields of the last response so far, in order.
    private(set) var headers: [HTTPField] = []
    private var headerBytes = 0
    /// Set when a limit stopped the transfer: the message of `.tooLarge`.
    private(set) var overflow: String?
    /// Whether the blank line after the current response's fields has come.
    private(set) var headEnded = false

    init(maxBody: Int) {
        self.maxBody = maxBody
    }

    static func from(_ context: UnsafeMutableRawPointer?) -> CurlTransfer {
        Unmanaged<CurlTransfer>.fromOpaque(context!).takeUnretainedValue()
    }

    /// Body bytes; answering less than `length` makes curl stop with CURLE_WRITE_ERROR.
    func receive(body data: UnsafeMutablePointer<CChar>?, _ length: Int) -> Int {
        guard body.count + length <= maxBody else {
            overflow = "response body over \(maxBody) bytes"
            return 0
        }
        if let data, length > 0 { body.append(contentsOf: UnsafeRawBufferPointer(start: data, count: length)) }
        return length
    }

    /// One header line, CRLF included. A status line starts the fields of a new response (a
    /// `100 Continue` or the like came first), so only the last response's fields are kept.
    func receive(header data: UnsafeMutablePointer<CChar>?, _ length: Int) -> Int {
        headerBytes += length
        guard headerBytes <= CurlClient.maxResponseHeaderBytes else {
            overflow = "response headers over \(CurlClient.maxResponseHeaderBytes) bytes"
            return 0
        }
        guard let data, length > 0 else { return length }
        var line = UnsafeRawBufferPointer(start: data, count: length)[...]
        while let last = line.last, last == 0x0A || last == 0x0D { line = line.dropLast() }
        if line.isEmpty {
            headEnded = true
        } else if line.starts(with: Array("HTTP/".utf8)) {
            headers = []
            headEnded = false
        } else if let first = line.first, first == 0x20 || first == 0x09 {
            // An obsolete folded continuation of the previous field's value.
            guard let previous = headers.indices.last else { return length }
            let more = String(decoding: Self.trimmed(line), as: UTF8.self)
            if !more.isEmpty { headers[previous].value += (headers[previous].value.isEmpty ? "" : " ") + more }
        } else if let colon = line.firstIndex(of: UInt8(ascii: ":")) {
            guard headers.count < CurlClient.maxResponseHeaders else {
                overflow = "response headers over \(CurlClient.maxResponseHeaders) fields"
                return 0
            }
            let name = String(decoding: line[..<colon], as: UTF8.self)
            let value = String(decoding: Self.trimmed(line[(colon + 1)...]), as: UTF8.self)
            headers.append(HTTPField(name: name, value: value))
        }
        return length
    }

    private static func trimmed(_ bytes: Slice<UnsafeRawBufferPointer>) -> Slice<UnsafeRawBufferPointer> {
        var bytes = bytes
        while let first = bytes.first, first == 0x20 || first == 0x09 { bytes = bytes.dropFirst() }
        while let last = bytes.last, last == 0x20 || last == 0x09 { bytes = bytes.dropLast() }
        return bytes
    }
}
