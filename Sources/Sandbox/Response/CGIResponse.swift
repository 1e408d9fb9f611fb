/// Parses a `response: cgi` function's stdout: `Name: value` header lines, a blank line, then the body.
/// `Status: NNN [reason]` sets the status; any other header is passed on.
enum CGIResponse {
    /// The response `output` describes, or a `function_error` naming what is malformed.
    static func parse(_ output: [UInt8]) throws(InvocationFailure) -> InvocationResponse {
        var response = InvocationResponse()
        var index = 0
        var lines = 0
        while true {
            guard let newline = output[index...].firstIndex(of: UInt8(ascii: "\n")) else {
                throw InvocationFailure(.functionError, "CGI output ends before the blank line that ends its headers")
            }
            var line = output[index..<newline]
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            index = newline + 1
            if line.isEmpty { break }
            lines += 1
            guard lines <= HostcallContext.maxHeaders else {
                throw InvocationFailure(.functionError, "CGI output has more than \(HostcallContext.maxHeaders) headers")
            }
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else {
                throw InvocationFailure(.functionError, "CGI header line without a colon: \(String(decoding: line.prefix(80), as: UTF8.self))")
            }
            let name = line[line.startIndex..<colon]
            var value = line[(colon + 1)...]
            while let first = value.first, first == UInt8(ascii: " ") || first == 0x09 { value = value.dropFirst() }
            while let last = value.last, last == UInt8(ascii: " ") || last == 0x09 { value = value.dropLast() }
            guard HTTPFieldSyntax.isValidName(name), HTTPFieldSyntax.isValidValue(value) else {
                throw InvocationFailure(.functionError, "CGI header is not a valid HTTP field: \(String(decoding: name.prefix(80), as: UTF8.self))")
            }
            let nameText = String(decoding: name, as: UTF8.self)
            let valueText = String(decoding: value, as: UTF8.self)
            if nameText.lowercased() == "status" {
                let code = valueText.prefix { $0 != " " }
                guard code.count == 3, let status = Int(code), (100...599).contains(status) else {
                    throw InvocationFailure(.functionError, "CGI Status is not a status code: \(valueText.prefix(80))")
                }
                response.status = status
            } else {
                response.headers.append(HTTPField(name: nameText, value: valueText))
            }
        }
        response.body = Array(output[index...])
        return response
    }
}
