import Foundation
import Gateway

/// A failed client command: the message printed to stderr before exiting non-zero.
struct ClientFailure: Error, CustomStringConvertible, Sendable {
    let message: String

    init(_ message: String) {
        self.message = message
    }

    /// The server's own words for a non-2xx answer.
    init(_ answer: GatewayClient.Answer) {
        if let body = try? GatewayJSON.decode(ErrorBody.self, from: answer.body) {
            message = "\(body.error.code) (HTTP \(answer.status)): \(body.error.message)"
        } else {
            let text = String(decoding: answer.body.prefix(2000), as: UTF8.self)
            message = "HTTP \(answer.status)" + (text.isEmpty ? "" : ": \(text)")
        }
    }

    var description: String { message }
}
