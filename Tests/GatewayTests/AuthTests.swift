import Foundation
import Gateway
import Logging
import Testing

@Suite("Authentication")
struct AuthTests {
    @Test func tokenGuardsManagementAndPrivateFunctions() async throws {
        try await TestGateway.with({ $0.token = "s3cret" }) { gateway in
            let good = [("Authorization", "Bearer s3cret")]
            #expect(try await gateway.request("GET", "/healthz").status == 200)
            for target in ["/functions", "/functions/echo", "/activations", "/cvms", "/metrics"] {
                #expect(try await gateway.request("GET", target).status == 401, "\(target)")
                #expect(try await gateway.request("GET", target, headers: [("Authorization", "Bearer s3cre")]).status == 401)
                #expect(try await gateway.request("GET", target, headers: [("Authorization", "Bearer s3cret2")]).status == 401)
                #expect(try await gateway.request("GET", target, headers: [("Authorization", "Basic s3cret")]).status == 401)
                #expect(try await gateway.request("GET", target, headers: good).status == 200, "\(target)")
            }
            #expect(try await gateway.request("GET", "/functions", headers: [("Authorization", "bearer s3cret")]).status == 200)
            #expect(try await gateway.request("DELETE", "/functions/echo").status == 401)
            #expect(try await gateway.request("POST", "/functions/echo/rollback").status == 401)

            // Public functions are open; private ones need the token, which the function never sees.
            #expect(try await gateway.request("GET", "/invoke/echo").status == 200)
            let denied = try await gateway.request("GET", "/invoke/private")
            #expect(denied.status == 401)
            #expect(denied.errorBody?.error.code == "unauthorized")
            let allowed = try await gateway.request("GET", "/invoke/private", headers: good)
            #expect(allowed.status == 200)
            #expect(allowed.text == "secret; authorization=none")
            // An unknown function without a token does not reveal that it is unknown.
            #expect(try await gateway.request("GET", "/invoke/ghost").status == 401)
            #expect(try await gateway.request("GET", "/invoke/ghost", headers: good).status == 404)
        }
    }

    @Test func withoutATokenEverythingIsOpen() async throws {
        try await TestGateway.with { gateway in
            #expect(try await gateway.request("GET", "/functions").status == 200)
            let response = try await gateway.request("GET", "/invoke/private", headers: [("Authorization", "Bearer own")])
            #expect(response.text == "secret; authorization=Bearer own")
        }
    }

    @Test func unauthorizedDeployIsRefusedWithoutKeepingItsBody() async throws {
        try await TestGateway.with({ $0.token = "s3cret"; $0.maxDeployBytes = 1 << 20 }) { gateway in
            let response = try await gateway.request("POST", "/functions", body: [0x1f, 0x8b] + [UInt8](repeating: 0, count: 1000))
            #expect(response.status == 401)
            #expect(await gateway.platform.deployedArchives.isEmpty)
        }
    }

    @Test func nonLoopbackBindNeedsATokenOrInsecure() async throws {
        let platform = InMemoryPlatform()
        var configuration = GatewayConfiguration()
        configuration.host = "0.0.0.0"
        configuration.port = 0
        let refused = GatewayServer(configuration: configuration, platform: platform, logger: .init(label: "t"))
        await #expect(throws: GatewayStartError.self) { try await refused.start() }
        do {
            try await refused.start()
        } catch {
            #expect(error.code == .insecureBind)
        }

        configuration.insecure = true
        let insecure = GatewayServer(configuration: configuration, platform: platform, logger: .init(label: "t"))
        #expect(try await insecure.start() > 0)
        await insecure.shutdown()

        configuration.insecure = false
        configuration.token = "t"
        let guarded = GatewayServer(configuration: configuration, platform: platform, logger: .init(label: "t"))
        #expect(try await guarded.start() > 0)
        await guarded.shutdown()
    }

    @Test func constantTimeComparison() {
        #expect(BearerAuthenticatorProbe.equal("abc", "abc"))
        #expect(!BearerAuthenticatorProbe.equal("abc", "abd"))
        #expect(!BearerAuthenticatorProbe.equal("abc", "abcd"))
        #expect(!BearerAuthenticatorProbe.equal("", "a"))
        #expect(BearerAuthenticatorProbe.equal("", ""))
    }
}
