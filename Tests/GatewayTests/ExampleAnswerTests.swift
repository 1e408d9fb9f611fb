import Foundation
import Gateway
import SandboxTesting
import Testing

/// Every example of `functions/` (C, Rust and JavaScript), deployed as built to one real gateway,
/// answers each of its ``ExampleCase``s over HTTP: the examples' behaviour, checked end to end.
@Suite struct ExampleAnswerTests {
    @Test func everyExampleAnswersItsCases() async throws {
        let backend: @Sendable () async throws -> RealPlatform = {
            let backend = try await RealPlatform.make()
            for name in Examples.names { try await backend.deploy(example: name) }
            return backend
        }
        try await TestGateway.with(backend: backend) { gateway in
            for example in ExampleCase.all {
                var target = "/invoke/\(example.function)\(example.path)"
                if !example.query.isEmpty { target += "?\(example.query)" }
                let headers = example.headers.map { ($0.name, $0.value) }
                let answer = try await gateway.request("POST", target, headers: headers, body: example.body)
                switch example.expectation {
                case .response(let status, let body):
                    #expect(answer.status == status, "\(example): \(answer.text)")
                    #expect(answer.body == body, "\(example): \(answer.text)")
                case .responseContaining(let status, let parts):
                    #expect(answer.status == status, "\(example): \(answer.text)")
                    for part in parts { #expect(answer.text.contains(part), "\(example): \(answer.text)") }
                case .failure(let code, let fault):
                    #expect(answer.errorBody?.error.code == code, "\(example): \(answer.text)")
                    if let fault { #expect(answer.text.contains(fault), "\(example): \(answer.text)") }
                }
                for (name, value) in example.responseHeaders {
                    #expect(answer.header(name) == value, "\(example): header \(name) of \(answer.headers)")
                }
            }
        }
    }
}
