import Egress
import Sandbox
import SandboxTesting
import Testing

/// Requests as the monitor hands them to ``CurlClient``, built by hand.
enum Fixture {
    static let loopbackGrant = "http://127.0.0.1:*"

    static func request(
        _ method: String = "GET", _ url: String, grant: String = loopbackGrant, headers: [HTTPField] = [],
        body: [UInt8] = [], timeout: Duration = .seconds(5), maxResponseBytes: Int = 6 << 20
    ) throws -> OutboundRequest {
        OutboundRequest(
            function: "test", method: method, url: try #require(OutboundURL(parsing: url)), grant: try HTTPGrant(parsing: grant),
            headers: headers, body: body, deadline: .now + timeout, maxResponseBytes: maxResponseBytes)
    }

    static func response(_ result: OutboundResult, sourceLocation: SourceLocation = #_sourceLocation) throws -> OutboundResponse {
        guard case .response(let response) = result else {
            Issue.record("expected a response, got \(result)", sourceLocation: sourceLocation)
            throw Unexpected()
        }
        return response
    }

    struct Unexpected: Error {}
}

extension OutboundResponse {
    /// The first value of `name`, case-insensitive.
    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    var text: String { String(decoding: body, as: UTF8.self) }
}

extension OutboundResult {
    var refusal: String? { if case .refused(let message) = self { message } else { nil } }
    var tooLarge: String? { if case .tooLarge(let message) = self { message } else { nil } }
    var failure: String? { if case .failed(let message) = self { message } else { nil } }
}
