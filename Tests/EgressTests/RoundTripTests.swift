import Dispatch
import Egress
import Sandbox
import SandboxTesting
import Synchronization
import Testing

@Suite("CurlClient round trips")
struct RoundTripTests {
    let client = CurlClient()

    @Test func aGetCarriesItsHeadersAndReturnsStatusHeadersAndBody() throws {
        let server = try LoopbackHTTPServer { request in
            .answer(status: 200, headers: [("X-Seen", request.header("x-probe") ?? "-"), ("X-Second", "b")], body: Array("hello".utf8))
        }
        defer { server.stop() }
        let response = try Fixture.response(client.perform(try Fixture.request(
            "GET", "http://127.0.0.1:\(server.port)/path/../a?q=1&r=2", headers: [HTTPField(name: "X-Probe", value: "42")])))
        #expect(response.status == 200)
        #expect(response.text == "hello")
        #expect(response.headers.map(\.name) == ["Content-Length", "Connection", "X-Seen", "X-Second"])
        #expect(response.header("x-seen") == "42")
        let seen = try #require(server.requests.first)
        #expect(seen.method == "GET")
        #expect(seen.target == "/path/../a?q=1&r=2")  // sent as written: no dot-segment rewriting
        #expect(seen.header("host") == "127.0.0.1:\(server.port)")
        #expect(seen.body.isEmpty)
    }

    @Test(arguments: ["POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
    func aBodyAndTheMethodArrive(method: String) throws {
        let server = try LoopbackHTTPServer { request in .answer(status: 201, body: request.body.reversed()) }
        defer { server.stop() }
        let response = try Fixture.response(client.perform(try Fixture.request(
            method, "http://127.0.0.1:\(server.port)/items", headers: [HTTPField(name: "Content-Type", value: "text/plain")],
            body: Array("payload".utf8))))
        #expect(response.status == 201)
        #expect(response.text == "daolyap")
        let seen = try #require(server.requests.first)
        #expect(seen.method == method)
        #expect(seen.body == Array("payload".utf8))
        #expect(seen.header("content-length") == "7")
        #expect(seen.header("content-type") == "text/plain")
        #expect(seen.header("expect") == nil)
    }

    @Test func anEmptyPostSendsAnEmptyBodyAndAnEmptyHeaderIsSent() throws {
        let server = try LoopbackHTTPServer { _ in .answer(status: 204) }
        defer { server.stop() }
        let response = try Fixture.response(client.perform(try Fixture.request(
            "POST", "http://127.0.0.1:\(server.port)/", headers: [HTTPField(name: "X-Empty", value: "")])))
        #expect(response.status == 204)
        let seen = try #require(server.requests.first)
        #expect(seen.method == "POST")
        #expect(seen.header("content-length") == "0")
        #expect(seen.header("x-empty") == "")
    }

    /// Over 1 MiB curl would send `Expect: 100-continue` and wait up to a second for a server that
    /// never says 100; the client sends `Expect:` so the body goes at once.
    @Test func aLargeBodyGoesWithoutWaitingFor100Continue() throws {
        let server = try LoopbackHTTPServer { request in .answer(status: 200, body: Array("\(request.body.count)".utf8)) }
        defer { server.stop() }
        let start = ContinuousClock.now
        let response = try Fixture.response(client.perform(try Fixture.request(
            "PUT", "http://127.0.0.1:\(server.port)/", body: [UInt8](repeating: 7, count: 3 << 20))))
        #expect(response.text == "\(3 << 20)")
        #expect(server.requests.first?.header("expect") == nil)
        #expect(ContinuousClock.now - start < .milliseconds(900))
    }

    @Test func aRedirectIsTheAnswerNotFollowed() throws {
        let server = try LoopbackHTTPServer { request in
            request.target == "/from" ? .answer(status: 302, headers: [("Location", "http://169.254.169.254/latest")]) : .answer(status: 200)
        }
        defer { server.stop() }
        let response = try Fixture.response(client.perform(try Fixture.request("GET", "http://127.0.0.1:\(server.port)/from")))
        #expect(response.status == 302)
        #expect(response.header("location") == "http://169.254.169.254/latest")
        #expect(server.requests.count == 1)
    }

    @Test func aHeadAnswersHeadersWithoutWaitingForABody() throws {
        let server = try LoopbackHTTPServer { _ in .answer(status: 200, headers: [("X-Kind", "head")], body: Array("12345".utf8)) }
        defer { server.stop() }
        let start = ContinuousClock.now
        let response = try Fixture.response(client.perform(try Fixture.request("HEAD", "http://127.0.0.1:\(server.port)/")))
        #expect(response.status == 200)
        #expect(response.header("content-length") == "5")
        #expect(response.header("x-kind") == "head")
        #expect(response.body.isEmpty)
        #expect(server.requests.first?.method == "HEAD")
        #expect(ContinuousClock.now - start < .seconds(1))
    }

    @Test func onlyTheLastResponsesHeadersAreKept() throws {
        let server = try LoopbackHTTPServer { _ in
            .raw(Array(
                "HTTP/1.1 100 Continue\r\nX-Interim: 1\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Final: yes\r\n folded\r\n\r\nok".utf8))
        }
        defer { server.stop() }
        let response = try Fixture.response(client.perform(try Fixture.request("GET", "http://127.0.0.1:\(server.port)/")))
        #expect(response.status == 200)
        #expect(response.text == "ok")
        #expect(response.header("x-interim") == nil)
        #expect(response.header("x-final") == "yes folded")
        #expect(response.headers.count == 2)
    }

    @Test func localhostIsTheLoopbackAddressesWithoutALookup() throws {
        let server = try LoopbackHTTPServer { _ in .answer(status: 200, body: Array("local".utf8)) }
        defer { server.stop() }
        // A resolver that would send localhost elsewhere is never asked.
        let client = CurlClient(resolver: StaticResolver(["localhost": [IPAddress(literal: "192.0.2.1")!]]))
        let response = try Fixture.response(client.perform(try Fixture.request(
            "GET", "http://localhost:\(server.port)/", grant: "http://localhost:*")))
        #expect(response.text == "local")
        #expect(server.requests.first?.header("host") == "localhost:\(server.port)")
    }

    @Test func manyRequestsAtOnceEachGetTheirOwnAnswer() throws {
        let server = try LoopbackHTTPServer { request in .answer(status: 200, body: Array(request.target.utf8)) }
        defer { server.stop() }
        let client = self.client
        let request = try Fixture.request("GET", "http://127.0.0.1:\(server.port)/")
        let wrong = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 32) { index in
            var mine = request
            mine.url = OutboundURL(parsing: "http://127.0.0.1:\(server.port)/n\(index)")!
            guard case .response(let response) = client.perform(mine), response.text == "/n\(index)" else {
                wrong.add(1, ordering: .relaxed)
                return
            }
        }
        #expect(wrong.load(ordering: .relaxed) == 0)
    }

    @Test func rawCurlGetsTheStatus() throws {
        let server = try LoopbackHTTPServer { _ in .answer(status: 203, body: Array("ignored".utf8)) }
        defer { server.stop() }
        #expect(RawCurl.get(url: "http://127.0.0.1:\(server.port)/") == 203)
        server.stop()
        #expect(RawCurl.get(url: "http://127.0.0.1:\(server.port)/") < 0)
    }
}
