import Foundation
import Gateway
import Testing

@Suite("Connections")
struct ConnectionTests {
    @Test func keepAliveServesSeveralRequestsOnOneConnection() async throws {
        try await TestGateway.with { gateway in
            let connection = try await gateway.connect()
            for index in 0..<3 {
                let response = try await connection.request("POST", "/invoke/echo", body: Array("n\(index)".utf8))
                #expect(response.status == 200)
                #expect(response.text.contains("body=n\(index)"))
                #expect(response.header("connection") == nil)
            }
            // Pipelined: two requests in one write, two answers in order.
            try await connection.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /invoke/echo?p=2 HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try await connection.readResponse().text == "ok")
            #expect(try await connection.readResponse().text.contains("query=p=2"))
            #expect(!connection.isClosed)
            await connection.close()
        }
    }

    @Test func connectionCloseIsHonoured() async throws {
        try await TestGateway.with { gateway in
            let connection = try await gateway.connect()
            let response = try await connection.request("GET", "/invoke/echo", headers: [("Connection", "close")])
            #expect(response.status == 200)
            #expect(response.header("connection") == "close")
            #expect(await connection.waitForClose())
        }
    }

    @Test func http10WithoutKeepAliveIsClosedAfterTheResponse() async throws {
        try await TestGateway.with { gateway in
            let connection = try await gateway.connect()
            try await connection.send("GET /healthz HTTP/1.0\r\n\r\n")
            let response = try await connection.readResponse()
            #expect(response.status == 200)
            #expect(response.version == "HTTP/1.0")
            #expect(response.text == "ok")
            #expect(await connection.waitForClose())
        }
    }

    @Test func http10WithKeepAliveStaysOpen() async throws {
        try await TestGateway.with { gateway in
            let connection = try await gateway.connect()
            let first = try await connection.request("GET", "/healthz", headers: [("Connection", "keep-alive")], version: "HTTP/1.0")
            #expect(first.header("connection")?.lowercased() == "keep-alive")
            let second = try await connection.request("GET", "/invoke/echo", headers: [("Connection", "keep-alive")], version: "HTTP/1.0")
            #expect(second.status == 200)
            #expect(!connection.isClosed)
            await connection.close()
        }
    }

    @Test func declaredOversizedBodyIsRefusedBeforeItIsSent() async throws {
        try await TestGateway.with { gateway in
            let connection = try await gateway.connect()
            // 7 MiB announced; not one byte of it is sent, and the answer comes anyway.
            try await connection.send("POST /invoke/echo HTTP/1.1\r\nHost: x\r\nContent-Length: \(7 << 20)\r\n\r\n")
            let response = try await connection.readResponse()
            #expect(response.status == 413)
            #expect(response.errorBody?.error.code == "payload_too_large")
            #expect(response.header("connection") == "close")
            #expect(await connection.waitForClose())
            #expect(await gateway.platform.lastRequest == nil)
        }
    }

    @Test func streamedOversizedBodyIsRefusedWithoutWaitingForTheRest() async throws {
        try await TestGateway.with { gateway in
            let connection = try await gateway.connect()
            try await connection.send("POST /invoke/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
            let chunk = [UInt8](repeating: 0x61, count: 256 << 10)
            let framed = Array("\(String(chunk.count, radix: 16))\r\n".utf8) + chunk + Array("\r\n".utf8)
            var sent = 0
            // Send 6.25 MiB (over the 6 MiB limit) of a 7 MiB body, then stop and wait for the answer.
            while sent < (6 << 20) + (256 << 10) {
                try await connection.send(framed)
                sent += chunk.count
            }
            let response = try await connection.readResponse()
            #expect(response.status == 413)
            #expect(response.errorBody?.error.code == "payload_too_large")
            #expect(await connection.waitForClose())
            #expect(await gateway.platform.lastRequest == nil)
        }
    }

    @Test func deployHasItsOwnLargerLimit() async throws {
        try await TestGateway.with({ $0.maxBodyBytes = 1024; $0.maxDeployBytes = 4096 }) { gateway in
            let archive: [UInt8] = [0x1f, 0x8b] + [UInt8](repeating: 0, count: 3000)
            let deployed = try await gateway.request("POST", "/functions", body: archive)
            let invoked = try await gateway.request("POST", "/invoke/echo", body: archive)
            let doubled = try await gateway.request("POST", "/functions", body: archive + archive)
            #expect(deployed.status == 201)
            #expect(invoked.status == 413)
            #expect(doubled.status == 413)
        }
    }

    @Test func expectContinueGetsA100BeforeTheBody() async throws {
        try await TestGateway.with { gateway in
            let connection = try await gateway.connect()
            try await connection.send("POST /invoke/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
            try await Task.sleep(for: .milliseconds(50))
            try await connection.send("hello")
            let response = try await connection.readResponse()
            #expect(response.status == 200)
            #expect(response.text.contains("body=hello"))
            await connection.close()
        }
    }

    @Test func malformedHTTPIs400() async throws {
        try await TestGateway.with { gateway in
            let connection = try await gateway.connect()
            try await connection.send("THIS IS NOT HTTP\r\n\r\n")
            let response = try await connection.readResponse()
            #expect(response.status == 400)
            #expect(await connection.waitForClose())

            let badEscape = try await gateway.request("GET", "/invoke/%zz")
            #expect(badEscape.status == 400)
            #expect(badEscape.errorBody?.error.code == "bad_request")
            let notOrigin = try await gateway.request("GET", "*")
            #expect(notOrigin.status == 400)
        }
    }

    @Test func idleConnectionsAreClosed() async throws {
        try await TestGateway.with({ $0.idleTimeout = .milliseconds(200) }) { gateway in
            let silent = try await gateway.connect()
            #expect(await silent.waitForClose(timeout: .seconds(10)))

            // Half a request, then silence: closed too.
            let slow = try await gateway.connect()
            try await slow.send("POST /invoke/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
            #expect(await slow.waitForClose(timeout: .seconds(10)))
        }
    }

    @Test func aRunningInvocationIsNotCutByTheIdleTimeout() async throws {
        try await TestGateway.with({ $0.idleTimeout = .milliseconds(500) }) { gateway in
            let connection = try await gateway.connect()
            let response = try await connection.request("GET", "/invoke/slow")  // 1.5 s, three idle timeouts
            #expect(response.status == 200)
            #expect(response.text == "finally")
            #expect(await connection.waitForClose(timeout: .seconds(10)))
        }
    }

    @Test func connectionsBeyondTheCapAreClosed() async throws {
        try await TestGateway.with({ $0.maxConnections = 2 }) { gateway in
            let first = try await gateway.connect()
            let second = try await gateway.connect()
            #expect(try await first.request("GET", "/healthz").status == 200)
            #expect(try await second.request("GET", "/healthz").status == 200)
            let third = try await gateway.connect()
            #expect(await third.waitForClose())
            #expect(!first.isClosed && !second.isClosed)
            await first.close()
            // Once one is gone, a new connection is served again.
            var served = false
            for _ in 0..<100 where !served {
                let next = try await gateway.connect()
                served = (try? await next.request("GET", "/healthz").status) == 200
                await next.close()
                if !served { try await Task.sleep(for: .milliseconds(10)) }
            }
            #expect(served)
            await second.close()
        }
    }
}

@Suite("Slow clients")
struct SlowClientTests {
    @Test func aTricklingRequestIsCutAtTheRequestTimeout() async throws {
        try await TestGateway.with({ $0.requestTimeout = .milliseconds(300) }) { gateway in
            let connection = try await gateway.connect()
            try await connection.send("POST /invoke/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
            // One byte every 50 ms keeps the read-idle timer quiet but never completes the request.
            var bytes = 0
            while !connection.isClosed && bytes < 200 {
                try? await connection.send("a")
                bytes += 1
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(connection.isClosed)
            #expect(bytes < 200)
            #expect(await gateway.platform.lastRequest == nil)
        }
    }
}
