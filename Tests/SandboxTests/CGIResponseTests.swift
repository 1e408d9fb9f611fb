@testable import Sandbox
import Testing

@Suite("CGI responses")
struct CGIResponseTests {
    @Test func headersStatusAndBody() throws {
        let response = try CGIResponse.parse(Array("Status: 404 Not Found\nX-A:  b \n\nbody\n\nmore".utf8))
        #expect(response.status == 404)
        #expect(response.headers == [HTTPField(name: "X-A", value: "b")])
        #expect(response.body == Array("body\n\nmore".utf8))
    }

    @Test func defaultsTo200() throws {
        let response = try CGIResponse.parse(Array("\r\nonly body".utf8))
        #expect(response.status == 200)
        #expect(response.body == Array("only body".utf8))
    }

    @Test(arguments: ["no blank line", "Bad Header\n\n", "Status: abc\n\n", "Status: 99\n\n", "X: a\rb\n\n", ": v\n\n"])
    func malformedIsAFunctionError(_ output: String) {
        #expect(throws: InvocationFailure.self) { try CGIResponse.parse(Array(output.utf8)) }
    }
}
