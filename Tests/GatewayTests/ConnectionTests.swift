import Foundation
import Gateway
import SandboxTesting
import Testing

@Suite("Connections")
struct ConnectionTests {
    @Test func keepAliveServesSeveralRequestsOnOneConnection() async throws {
        try await TestGateway.with { gateway in
            let connection = try await gateway.connect()
            for index in 0..<3 {
                let response = try await connection.request("POST", "/invoke/echo", body: Array("n\(index)".utf8))
                #expect(response.status == 200)
                #expect(response.text == "n\(index)")
                #expect(response.header("connection") == nil)
            }
            // Pipelined: two requests in one write, two answers in order.
            try await connection.send(
                "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /invoke/headers?p=2 HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try await connection.readResponse().text == "ok")
            #expect(try await connection.readResponse().object?["query"] as? String == "p=2")
            #expect(!connection.isClosed)
            await connection.close()
        }
    }

    @Test func manyPipelinedRequestsAreAnsweredInOrder() async throws {
        try await TestGateway.with { gateway in
            let connection = try await gateway.connect()
            // Invocations (answered from a worker thread) and management calls (from a task), with
            // bodies, all in one write: each waits for the answer before it.
            var burst = ""
            for index in 0..<40 {
                if index % 3 == 2 {
                    burst += "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                } else {
                    let body = "p\(index)"
                    burst += "POST /invoke/echo HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
                }
            }
            try await connection.send(burst)
            for index in 0..<40 {
                let response = try await connection.readResponse()
                #expect(response.status == 200)
                #expect(response.text == (index % 3 == 2 ? "ok" : "p\(index)"), "answer \(index)")
            }
            // The connection reads again once the held requests are answered.
            #expect(try await connection.request("POST", "/invoke/echo", body: Array("after".utf8)).text == "after")
            await connection.close()
        }
    }

    @Test func aPipelinedRequestAfterConnectionCloseIsNotAnswered() async throws {
        try await TestGateway.with { gateway in
            let connection = try await gateway.connect()
            try await connection.send(
                "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET /invoke/echo HTTP/1.1\r\nHost: x\r\n\r\n")
            let response = try await connection.readResponse()
            #expect(response.text == "ok")
            #expect(response.header("connection") == "close")
            #expect(await connection.waitForClose())
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
            let first = try await connection.request(
                "GET", "/healthz", headers: [("Connection", "keep-alive")], version: "HTTP/1.0")
            #expect(first.header("connection")?.lowercased() == "keep-alive")
            let second = try await connection.request(
                "GET", "/invoke/echo", headers: [("Connection", "keep-alive")], version: "HTTP/1.0")
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
            #expect(try await gateway.activationCount() == 0)  // the function never ran
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
            #expect(try await gateway.activationCount() == 0)  // the function never ran
        }
    }

    @Test func deployHasItsOwnLargerLimit() async throws {
        try await TestGateway.with({
            $0.maxBodyBytes = 1024
            $0.maxDeployBytes = 4096
        }) { gateway in
            // A real archive of about 2.5 KiB (its data file does not compress).
            let archive = try RealPlatform.archive(
                "sized", module: RouteGuests.constant("sized"), files: ["data.bin": incompressibleBytes(2000)])
            try #require(archive.count > 1024 && archive.count * 2 > 4096 && archive.count < 4096, "\(archive.count)")
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
            try await connection.send(
                "POST /invoke/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
            try await Task.sleep(for: .milliseconds(50))
            try await connection.send("hello")
            let response = try await connection.readResponse()
            #expect(response.status == 200)
            #expect(response.text == "hello")
            await connection.close()
        }
    }

    @Test func malformedHTTPIs400() async throws {
        try await TestGateway.with { gateway in
            let connection = try await gateway.connect()
            try await connection.send("THIS IS NOT HTTP\r\n\r\n")
            let response = try await connection.readResponse()
            #expect(response.status == 400)
            #expect(response.errorBody?.error.code == "bad_request")
            #expect(await connection.waitForClose())

            // After a request that is still being answered: that answer first, then the connection closes.
            let busy = try await gateway.connect()
            try await busy.send("POST /invoke/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhiNOT HTTP EITHER\r\n\r\n")
            let answered = try await busy.readResponse()
            #expect(answered.status == 200 && answered.text == "hi")
            #expect(answered.header("connection") == "close")
            #expect(await busy.waitForClose())

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
        // The guest waits on its gate, opened only once the idle timeout has passed twice over.
        try await TestGateway.with({ $0.idleTimeout = .seconds(1) }, backend: RealPlatform.withOutbound) { gateway in
            let gate = try Gate(answer: "finally")
            try await gateway.backend.deployHeld("long", on: gate)
            let opener = Task {
                while gate.arrivals == 0 { try await Task.sleep(for: .milliseconds(10)) }
                try await Task.sleep(for: .seconds(2))
                gate.open()
            }
            defer { opener.cancel() }
            // A loaded machine may keep the request from arriving within the idle timeout; then the gateway
            // rightly closes the connection before the guest is reached, and the case is tried again.
            for attempt in 1...5 {
                let connection = try await gateway.connect()
                let began = ContinuousClock.now
                let response: RawConnection.Response
                do {
                    response = try await connection.request("GET", "/invoke/long", timeout: .seconds(60))
                } catch let error where gate.arrivals == 0 && attempt < 5 {
                    print("attempt \(attempt) closed before the guest was reached: \(error)")
                    continue
                }
                #expect(response.status == 200)
                #expect(response.text == "finally")
                #expect(ContinuousClock.now - began > .seconds(1))
                #expect(await connection.waitForClose(timeout: .seconds(20)))
                return
            }
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
            #expect(try await gateway.activationCount() == 0)  // the function never ran
        }
    }
}
