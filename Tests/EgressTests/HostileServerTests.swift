import Egress
import Sandbox
import SandboxTesting
import Testing

/// Servers that misbehave: each request still ends, with what the guest will see, by its deadline.
@Suite("Hostile servers")
struct HostileServerTests {
    let client = CurlClient()

    func perform(_ behaviour: LoopbackHTTPServer.Behaviour, timeout: Duration = .seconds(5), maxResponseBytes: Int = 6 << 20)
        throws -> (OutboundResult, Duration)
    {
        let server = try LoopbackHTTPServer { _ in behaviour }
        defer { server.stop() }
        let start = ContinuousClock.now
        let result = client.perform(try Fixture.request(
            "GET", "http://127.0.0.1:\(server.port)/", timeout: timeout, maxResponseBytes: maxResponseBytes))
        return (result, ContinuousClock.now - start)
    }

    @Test func anEndlessBodyIsTooLarge() throws {
        let (result, elapsed) = try perform(.endless(head: "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n"))
        #expect(result.tooLarge == "response body over \(6 << 20) bytes", "\(result)")
        #expect(elapsed < .seconds(3))
    }

    @Test func aBodyOverTheLimitIsTooLargeWithOrWithoutItsLength() throws {
        let seven = [UInt8](repeating: UInt8(ascii: "y"), count: 7 << 20)
        let (declared, _) = try perform(.answer(status: 200, body: seven))
        #expect(declared.tooLarge == "response body over \(6 << 20) bytes", "\(declared)")
        let chunked = Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\(String(seven.count, radix: 16))\r\n".utf8)
            + seven + Array("\r\n0\r\n\r\n".utf8)
        let (undeclared, _) = try perform(.raw(chunked))
        #expect(undeclared.tooLarge == "response body over \(6 << 20) bytes", "\(undeclared)")
    }

    @Test func aBodyOfExactlyTheLimitIsFine() throws {
        let (exact, _) = try perform(.answer(status: 200, body: [UInt8](repeating: 1, count: 1000)), maxResponseBytes: 1000)
        #expect(try Fixture.response(exact).body.count == 1000)
        let (over, _) = try perform(.raw(Array("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n".utf8) + [UInt8](repeating: 1, count: 1001)),
            maxResponseBytes: 1000)
        #expect(over.tooLarge == "response body over 1000 bytes", "\(over)")
    }

    @Test func aHugeHeaderLineIsStopped() throws {
        let line = String(repeating: "h", count: 1 << 20)
        let (result, elapsed) = try perform(.raw(Array("HTTP/1.1 200 OK\r\nX-Big: \(line)\r\nContent-Length: 0\r\n\r\n".utf8)))
        #expect(result.tooLarge?.hasPrefix("response headers over 65536 bytes") == true, "\(result)")
        #expect(elapsed < .seconds(3))
    }

    @Test func tooManyOrTooLongHeadersAreTooLarge() throws {
        // The server adds Content-Length and Connection: 98 more make 100, the most.
        let fields = (0..<98).map { ("X-H\($0)", "v") }
        let (hundred, _) = try perform(.answer(status: 200, headers: fields))
        #expect(try Fixture.response(hundred).headers.count == 100)
        let (hundredAndOne, _) = try perform(.answer(status: 200, headers: fields + [("X-One-More", "v")]))
        #expect(hundredAndOne.tooLarge == "response headers over 100 fields", "\(hundredAndOne)")
        let wide = (0..<70).map { ("X-W\($0)", String(repeating: "w", count: 1000)) }
        let (long, _) = try perform(.answer(status: 200, headers: wide))
        #expect(long.tooLarge == "response headers over 65536 bytes", "\(long)")
    }

    @Test func invalidChunkedEncodingFails() throws {
        let (result, _) = try perform(.raw(Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n".utf8)))
        #expect(result.failure != nil, "\(result)")
    }

    @Test func aTruncatedBodyFails() throws {
        let (result, _) = try perform(.raw(Array("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten..".utf8)))
        #expect(result.failure != nil, "\(result)")
    }

    @Test func anAnswerWithoutAStatusLineFails() throws {
        let (result, _) = try perform(.raw(Array("just some bytes, HTTP/0.9 style\n".utf8)))
        #expect(result.failure != nil, "\(result)")
    }

    @Test func aServerThatNeverAnswersFailsAtTheDeadline() throws {
        let (result, elapsed) = try perform(.silent(hold: .seconds(5)), timeout: .milliseconds(300))
        #expect(result.failure?.contains("deadline") == true, "\(result)")
        #expect(elapsed >= .milliseconds(250))
        #expect(elapsed < .seconds(2))
    }

    @Test func aBodyThatStallsFailsAtTheDeadline() throws {
        let (result, elapsed) = try perform(
            .raw(Array("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc".utf8)), timeout: .milliseconds(300))
        // The raw server closes after its bytes, so this ends early as truncated; either way it fails in time.
        #expect(result.failure != nil, "\(result)")
        #expect(elapsed < .seconds(2))
    }

    @Test func aRefusedConnectionFails() throws {
        let server = try LoopbackHTTPServer { _ in .answer(status: 200) }
        let port = server.port
        server.stop()
        let start = ContinuousClock.now
        let result = client.perform(try Fixture.request("GET", "http://127.0.0.1:\(port)/"))
        let message = try #require(result.failure, "\(result)")
        #expect(message.lowercased().contains("connect"))
        #expect(ContinuousClock.now - start < .seconds(2))
    }

    /// The plain server waits for a request head that a TLS ClientHello never completes.
    @Test func tlsToAPlainServerFailsByTheDeadline() throws {
        let server = try LoopbackHTTPServer { _ in .answer(status: 200) }
        defer { server.stop() }
        let start = ContinuousClock.now
        let result = client.perform(try Fixture.request(
            "GET", "https://127.0.0.1:\(server.port)/", grant: "https://127.0.0.1:*", timeout: .milliseconds(300)))
        #expect(result.failure?.contains("deadline") == true, "\(result)")
        #expect(ContinuousClock.now - start < .seconds(2))
    }

    @Test(.enabled(if: SelfSignedTLSServer.available))
    func anUntrustedCertificateFails() throws {
        let server = try SelfSignedTLSServer()
        defer { server.stop() }
        let result = client.perform(try Fixture.request("GET", "https://127.0.0.1:\(server.port)/", grant: "https://127.0.0.1:*"))
        let message = try #require(result.failure, "\(result)")
        #expect(message.lowercased().contains("certificate"), "\(message)")
    }
}
