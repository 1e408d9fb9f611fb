import Foundation
import NIOHTTP1
import SandboxTesting
import Testing

@testable import Gateway

@Suite("Error codes")
struct ErrorCodeTests {
    static let statuses: [(ErrorCode, Int)] = [
        (.badRequest, 400), (.invalidArchive, 400), (.unauthorized, 401), (.notFound, 404), (.payloadTooLarge, 413),
        (.invalidFunction, 422), (.conflict, 409), (.tooManyRequests, 429), (.functionError, 502), (.functionTrap, 502),
        (.capabilityFault, 502), (.responseTooLarge, 502), (.unavailable, 503), (.timeout, 504),
    ]

    @Test func everyCodeOfTheContractHasItsStatus() {
        #expect(Set(Self.statuses.map(\.0)) == Set(ErrorCode.allCases))
        for (code, status) in Self.statuses {
            #expect(Int(GatewayResponse.error(PlatformError(code, "x")).status.code) == status, "\(code)")
        }
    }

    /// The codes a guest provokes, from real modules run by the real scheduler: code, status, headers.
    @Test func guestFailuresRenderWithTheirStatus() async throws {
        try await TestGateway.with { gateway in
            try await gateway.backend.deploy(example: "fault")
            try await gateway.backend.deploy("big", module: RouteGuests.large(bytes: (6 << 20) + 1))
            try await gateway.backend.deploy(
                "spinner", module: GuestFixtures.wasm(GuestFixtures.ivInfiniteLoop), settings: ["timeout: 300ms"])

            func check(_ target: String, _ body: String, _ code: ErrorCode, _ status: Int) async throws
                -> RawConnection.Response
            {
                let response = try await gateway.request("POST", target, body: Array(body.utf8))
                #expect(response.status == status, "\(target) \(body): \(response.text)")
                #expect(response.header("content-type") == "application/json")
                #expect(response.errorBody?.error.code == code.rawValue, "\(response.text)")
                #expect(response.header("X-Faas-Activation")?.isEmpty == false)
                return response
            }
            _ = try await check("/invoke/fault", "exit", .functionError, 502)
            _ = try await check("/invoke/fault", "trap", .functionTrap, 502)
            for kind in ["bounds", "tag", "permission"] {
                let fault = try await check("/invoke/fault", kind, .capabilityFault, 502)
                #expect(fault.errorBody?.error.message.hasPrefix("\(kind) fault") == true, "\(fault.text)")
            }
            _ = try await check("/invoke/big", "", .responseTooLarge, 502)
            _ = try await check("/invoke/spinner", "", .timeout, 504)
            #expect(try await gateway.request("POST", "/invoke/fault", body: Array("ok".utf8)).status == 200)
        }
    }

    /// A failed async activation's result is the answer a synchronous call would have had; a
    /// synchronous activation has no result.
    @Test func aFailedAsyncActivationsResultIsItsError() async throws {
        try await TestGateway.with { gateway in
            try await gateway.backend.deploy(example: "fault")
            let accepted = try await gateway.request(
                "POST", "/invoke/fault", headers: [("X-Faas-Async", "true")], body: Array("trap".utf8))
            #expect(accepted.status == 202)
            let id = try #require(accepted.object?["activation"] as? String)
            let result = try await gateway.result(of: id)
            #expect(result.status == 502)
            #expect(result.header("content-type") == "application/json")
            #expect(result.errorBody?.error.code == ErrorCode.functionTrap.rawValue, "\(result.text)")

            let sync = try await gateway.request("POST", "/invoke/fault", body: Array("trap".utf8))
            #expect(sync.status == 502)
            let syncID = try #require(sync.header("X-Faas-Activation"))
            let none = try await gateway.request("GET", "/activations/\(syncID)/result")
            #expect(none.status == 404)
        }
    }

    /// One compartment and no queue: while it runs, the next call is 429 with Retry-After.
    @Test func aFullQueueIs429WithRetryAfter() async throws {
        try await TestGateway.with(backend: RealPlatform.withOutbound) { gateway in
            // The call runs until the test opens its gate.
            let gate = try Gate(answer: "finally")
            try await gateway.backend.deployHeld(
                "single", on: gate, settings: ["concurrency: 1", "queue: 0", "warm: 0", "timeout: 30s"])
            let connection = try await gateway.connect()
            try await connection.send("POST /invoke/single HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
            var running = 0
            for _ in 0..<1000 where running == 0 {
                running = try await gateway.platform.info(function: "single")?.pool.running ?? 0
                if running == 0 { try await Task.sleep(for: .milliseconds(10)) }
            }
            #expect(running == 1)
            let refused = try await gateway.request("POST", "/invoke/single")
            #expect(refused.status == 429)
            #expect(refused.errorBody?.error.code == "too_many_requests")
            #expect(Int(refused.header("retry-after") ?? "") ?? 0 >= 1)
            gate.open()
            let finished = try await connection.readResponse(timeout: .seconds(60))
            #expect(finished.status == 200 && finished.text == "finally", "\(finished.status) \(finished.text)")
            await connection.close()
        }
    }

    /// An image whose bytes no longer match its digest is refused, never run: 503 unavailable.
    @Test func aCorruptImageIsUnavailable() async throws {
        try await TestGateway.with { gateway in
            let first = try await gateway.backend.deploy("victim", module: RouteGuests.constant("one"))
            try await gateway.backend.deploy("victim", module: RouteGuests.constant("two"))
            // Version 1 is no longer loaded; corrupt its image on disk.
            let hex = String(first.digest.split(separator: ":").last ?? "")
            let images = gateway.backend.directory + "/images"
            let file = try #require(
                try FileManager.default.contentsOfDirectory(atPath: images).first { $0.contains(hex) },
                "no image \(hex)")
            var bytes = try Data(contentsOf: URL(fileURLWithPath: images + "/" + file))
            bytes[bytes.count / 2] ^= 0xFF
            try bytes.write(to: URL(fileURLWithPath: images + "/" + file))

            let response = try await gateway.request("POST", "/invoke/victim?version=1")
            #expect(response.status == 503, "\(response.text)")
            #expect(response.errorBody?.error.code == "unavailable")
            #expect(try await gateway.request("POST", "/invoke/victim").text == "two")
        }
    }

    /// Each code that the gateway or the registry produces, provoked as a client would.
    @Test func gatewayProducedCodes() async throws {
        try await TestGateway.with({ $0.token = "t0ken" }) { gateway in
            let auth = [("Authorization", "Bearer t0ken")]
            var response = try await gateway.request("GET", "/invoke/echo?version=x")
            #expect(response.status == 400 && response.errorBody?.error.code == "bad_request")

            response = try await gateway.request("POST", "/functions", headers: auth)
            #expect(response.status == 400 && response.errorBody?.error.code == "invalid_archive")
            response = try await gateway.request("POST", "/functions", headers: auth, body: Array("plain text".utf8))
            #expect(response.status == 400 && response.errorBody?.error.code == "invalid_archive")

            response = try await gateway.request("GET", "/functions")
            #expect(response.status == 401 && response.errorBody?.error.code == "unauthorized")
            #expect(response.header("www-authenticate") == "Bearer")

            response = try await gateway.request("GET", "/functions/ghost", headers: auth)
            #expect(response.status == 404 && response.errorBody?.error.code == "not_found")

            response = try await gateway.request(
                "POST", "/invoke/echo", body: [UInt8](repeating: 1, count: (6 << 20) + 1))
            #expect(response.status == 413 && response.errorBody?.error.code == "payload_too_large")

            let bad = try RealPlatform.archive("bad", module: RouteGuests.constant("x"), settings: ["memory: 64Zi"])
            response = try await gateway.request("POST", "/functions", headers: auth, body: bad)
            #expect(response.status == 422 && response.errorBody?.error.code == "invalid_function")
            #expect(response.errorBody?.error.message.contains("memory") == true, "\(response.text)")
            // A module whose imports the grants do not cover names the import.
            let ungranted = try RealPlatform.archive("ungranted", module: RouteGuests.busy(milliseconds: 1))
            response = try await gateway.request("POST", "/functions", headers: auth, body: ungranted)
            #expect(response.status == 422 && response.errorBody?.error.code == "invalid_function")
            #expect(response.errorBody?.error.message.contains("clock_ns") == true, "\(response.text)")
            #expect(try await gateway.platform.list().map(\.name).contains("bad") == false)
        }
    }
}
