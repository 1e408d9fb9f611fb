import Egress
import Sandbox
import SandboxTesting
import Testing

@Suite("Resolving, refusing and pinning")
struct AddressCheckTests {
    static let forbidden = [
        "127.0.0.1", "127.8.9.10", "10.0.0.1", "172.16.0.1", "192.168.1.1", "100.64.0.1", "169.254.169.254", "0.0.0.0",
        "224.0.0.1", "255.255.255.255", "::1", "::", "::ffff:127.0.0.1", "::ffff:10.1.2.3", "64:ff9b::a9fe:a9fe", "fe80::1",
        "fd00::1", "ff02::1",
    ]

    /// A name granted by name resolves to a forbidden address: refused before any connection.
    @Test(arguments: forbidden)
    func aNameResolvingToAForbiddenAddressIsRefused(literal: String) throws {
        let server = try LoopbackHTTPServer { _ in .answer(status: 200) }
        defer { server.stop() }
        let address = try #require(IPAddress(literal: literal))
        let client = CurlClient(resolver: StaticResolver(["public.test": [address]]))
        let result = client.perform(try Fixture.request("GET", "http://public.test:\(server.port)/", grant: "http://public.test:*"))
        let message = try #require(result.refusal, "\(result)")
        #expect(message.hasPrefix("public.test resolves to \(address), a "))
        #expect(message.contains(try #require(address.forbiddenRange)))
        #expect(server.requests.isEmpty)
    }

    @Test func oneForbiddenAddressAmongPublicOnesIsEnough() throws {
        let addresses = ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c", "10.0.0.1"].map { IPAddress(literal: $0)! }
        let client = CurlClient(resolver: StaticResolver(["public.test": addresses]))
        let result = client.perform(try Fixture.request("GET", "http://public.test/", grant: "http://public.test"))
        #expect(result.refusal == "public.test resolves to 10.0.0.1, a private (10.0.0.0/8) address the grant does not name")
    }

    @Test func aGrantNamingTheAddressLiterallyReachesIt() throws {
        let server = try LoopbackHTTPServer { _ in .answer(status: 200, body: Array("in".utf8)) }
        defer { server.stop() }
        let response = try Fixture.response(CurlClient().perform(try Fixture.request("GET", "http://127.0.0.1:\(server.port)/")))
        #expect(response.text == "in")
    }

    @Test func aLiteralTheGrantDoesNotNameIsRefused() throws {
        // The grant names another address: naming one private address allows only that one.
        let result = CurlClient().perform(try Fixture.request("GET", "http://10.0.0.1/", grant: "http://10.0.0.2"))
        #expect(result.refusal == "10.0.0.1 is a private (10.0.0.0/8) address the grant does not name")
    }

    /// Every address a name resolves to must be allowed, not just the first: curl may use any.
    @Test func aGrantNamingOneLoopbackAddressDoesNotAllowTheOther() throws {
        let both = [IPAddress(literal: "127.0.0.1")!, IPAddress(literal: "::1")!]
        let client = CurlClient(resolver: StaticResolver(["pinned.invalid": both]))
        let result = client.perform(try Fixture.request("GET", "http://pinned.invalid/", grant: Fixture.loopbackGrant))
        #expect(result.refusal == "pinned.invalid resolves to ::1, a loopback (::1) address the grant does not name")
    }

    /// The connection goes to what the resolver answered, through CURLOPT_RESOLVE: `.invalid`
    /// never resolves on its own, so without the pin curl could not connect at all. (The grant is
    /// the literal one, so that the loopback answer is allowed; the monitor matched it already.)
    @Test func theConnectionGoesToTheCheckedAddress() throws {
        let server = try LoopbackHTTPServer { request in .answer(status: 200, body: Array((request.header("host") ?? "").utf8)) }
        defer { server.stop() }
        let client = CurlClient(resolver: StaticResolver(["pinned.invalid": [IPAddress(literal: "127.0.0.1")!]]))
        let response = try Fixture.response(client.perform(try Fixture.request("GET", "http://pinned.invalid:\(server.port)/")))
        #expect(response.text == "pinned.invalid:\(server.port)")
        #expect(server.requests.count == 1)

        // Pinned to 127.0.0.2, where nothing listens: refused there, not sent to 127.0.0.1.
        let elsewhere = CurlClient(resolver: StaticResolver(["pinned.invalid": [IPAddress(literal: "127.0.0.2")!]]))
        let result = elsewhere.perform(try Fixture.request("GET", "http://pinned.invalid:\(server.port)/", grant: "http://127.0.0.2:*"))
        #expect(result.failure != nil, "\(result)")
        #expect(server.requests.count == 1)
    }

    /// A fresh handle per request: one request's pin never answers for another host or request.
    @Test func aPinDoesNotCarryOverToTheNextRequest() throws {
        let server = try LoopbackHTTPServer { _ in .answer(status: 200) }
        defer { server.stop() }
        let pinned = CurlClient(resolver: StaticResolver(["pinned.invalid": [IPAddress(literal: "127.0.0.1")!]]))
        #expect(try Fixture.response(pinned.perform(try Fixture.request("GET", "http://pinned.invalid:\(server.port)/"))).status == 200)
        let unpinned = CurlClient(resolver: StaticResolver([:]))
        let result = unpinned.perform(try Fixture.request("GET", "http://pinned.invalid:\(server.port)/"))
        #expect(result.failure == "cannot resolve pinned.invalid: unknown name")
        #expect(server.requests.count == 1)
    }

    @Test func aNameThatDoesNotResolveFails() throws {
        let result = CurlClient().perform(try Fixture.request("GET", "http://nothing.invalid/", grant: "http://nothing.invalid"))
        let message = try #require(result.failure, "\(result)")
        #expect(message.hasPrefix("cannot resolve nothing.invalid: "))
    }

    @Test func theSystemResolverFindsLocalhostWithoutDuplicates() {
        let addresses = (try? SystemResolver().resolve("localhost", before: .now + .seconds(2)).get()) ?? []
        #expect(addresses.contains(IPAddress(literal: "127.0.0.1")!))
        #expect(Set(addresses).count == addresses.count)
        #expect(throws: ResolveFailure.self) { try SystemResolver().resolve("localhost", before: .now - .seconds(1)).get() }
    }

    @Test func aPassedDeadlineFailsWithoutConnecting() throws {
        let server = try LoopbackHTTPServer { _ in .answer(status: 200) }
        defer { server.stop() }
        let result = CurlClient().perform(try Fixture.request("GET", "http://127.0.0.1:\(server.port)/", timeout: .milliseconds(-5)))
        #expect(result.failure?.contains("deadline") == true, "\(result)")
        #expect(server.requests.isEmpty)
    }

    @Test(arguments: ["ftp://127.0.0.1/", "file:///etc/passwd", "gopher://127.0.0.1:70/", "dict://127.0.0.1:11211/", "ldap://x/"])
    func otherSchemesAreNotEvenURLs(text: String) {
        #expect(OutboundURL(parsing: text) == nil)
    }
}
