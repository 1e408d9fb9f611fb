import Foundation
import Gateway
import Testing

@Suite("Error codes")
struct ErrorCodeTests {
    static let statuses: [(ErrorCode, Int)] = [
        (.badRequest, 400), (.invalidArchive, 400), (.unauthorized, 401), (.notFound, 404), (.payloadTooLarge, 413),
        (.invalidFunction, 422), (.tooManyRequests, 429), (.functionError, 502), (.functionTrap, 502),
        (.capabilityFault, 502), (.responseTooLarge, 502), (.unavailable, 503), (.timeout, 504),
    ]

    @Test func everyCodeOfTheContractHasItsStatus() {
        #expect(Set(Self.statuses.map(\.0)) == Set(ErrorCode.allCases))
    }

    /// Each code as the platform reports it, through an invocation: code, status and the extra headers.
    @Test(arguments: statuses)
    func platformFailuresRenderWithTheirStatus(_ code: ErrorCode, _ status: Int) async throws {
        try await TestGateway.with { gateway in
            let name = "fail-" + code.rawValue.replacingOccurrences(of: "_", with: "-")
            let response = try await gateway.request("POST", "/invoke/\(name)", body: Array("x".utf8))
            #expect(response.status == status)
            #expect(response.header("content-type") == "application/json")
            let error = try #require(response.errorBody).error
            #expect(error.code == code.rawValue)
            #expect(response.header("X-Faas-Activation") != nil)
            if code == .tooManyRequests {
                #expect(response.header("retry-after") == "3")
            }
            if code == .capabilityFault {
                #expect(error.message == "bounds fault: provoked capability_fault")
            } else {
                #expect(error.message == "provoked \(code.rawValue)")
            }
        }
    }

    /// Each code that the gateway itself produces, provoked as a client would.
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

            response = try await gateway.request("POST", "/invoke/echo", body: [UInt8](repeating: 1, count: (6 << 20) + 1))
            #expect(response.status == 413 && response.errorBody?.error.code == "payload_too_large")

            await gateway.platform.setDeployFailure(PlatformError(.invalidFunction, "memory: '64Zi' is not a size"))
            response = try await gateway.request("POST", "/functions", headers: auth, body: [0x1f, 0x8b, 0])
            #expect(response.status == 422 && response.errorBody?.error.code == "invalid_function")
            #expect(response.errorBody?.error.message == "memory: '64Zi' is not a size")
        }
    }
}
