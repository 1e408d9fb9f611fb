import Testing

@testable import Sandbox

@Suite("Outbound grants")
struct HTTPGrantTests {
    /// (grant, URL, allowed)
    static let matches: [(String, String, Bool)] = [
        ("https://api.example.com", "https://api.example.com/v1?x=1", true),
        ("https://api.example.com", "https://api.example.com:443/", true),  // the default port, written
        ("https://api.example.com", "https://api.example.com:8443/", false),
        ("https://api.example.com", "http://api.example.com/", false),  // scheme
        ("http://api.example.com", "http://api.example.com:80", true),
        ("http://api.example.com:8080", "http://api.example.com:8080/x", true),
        ("http://api.example.com:8080", "http://api.example.com/x", false),
        ("http://api.example.com:*", "http://api.example.com:1/", true),
        ("http://api.example.com:*", "http://api.example.com/", true),
        ("https://API.Example.COM", "https://api.example.com/", true),  // case
        ("https://api.example.com", "https://API.EXAMPLE.com/", true),
        ("https://api.example.com.", "https://api.example.com/", true),  // trailing dots
        ("https://api.example.com", "https://api.example.com./", true),
        ("https://*.example.com", "https://a.example.com/", true),
        ("https://*.example.com", "https://a.b.example.com/", true),
        ("https://*.example.com", "https://example.com/", false),  // one label or more in front
        ("https://*.example.com", "https://badexample.com/", false),
        ("https://*.example.com", "https://a.example.com.evil.net/", false),
        ("http://127.0.0.1:*", "http://127.0.0.1:9000/", true),
        ("http://127.0.0.1:*", "http://localhost:9000/", false),  // a literal grant is not a name
        ("http://127.0.0.1:*", "http://127.0.0.2:9000/", false),
        ("http://[::1]:8080", "http://[::1]:8080/", true),
        ("http://[::1]:8080", "http://[0:0:0:0:0:0:0:1]:8080/", true),  // one address, two spellings
        ("http://[::1]:8080", "http://127.0.0.1:8080/", false),
        ("http://localhost:*", "http://localhost:5000/", true),
        ("http://localhost:*", "http://LOCALHOST./", true),
        ("http://localhost:*", "http://127.0.0.1:5000/", false),
        ("https://xn--bcher-kva.example", "https://xn--bcher-kva.example/", true),  // IDNA in its ASCII form
    ]

    @Test(arguments: matches)
    func grantMatching(grant: String, url: String, allowed: Bool) throws {
        let parsed = try HTTPGrant(parsing: grant)
        let target = try #require(OutboundURL(parsing: url), "\(url) should parse")
        #expect(parsed.matches(target) == allowed, "\(grant) vs \(url)")
    }

    static let badGrants: [(String, String)] = [
        ("api.example.com", "scheme://host"),
        ("ftp://example.com", "scheme must be http or https"),
        ("https://example.com/", "path, query, fragment or user info"),
        ("https://example.com/v1", "path, query, fragment or user info"),
        ("https://example.com?x=1", "path, query, fragment or user info"),
        ("https://example.com#top", "path, query, fragment or user info"),
        ("https://user@example.com", "path, query, fragment or user info"),
        ("https://example.com:0", "port"),
        ("https://example.com:65536", "port"),
        ("https://example.com:http", "port"),
        ("https://*", "not a DNS name"),
        ("https://*.", "not *. followed by a DNS name"),
        ("https://a.*.example.com", "not a DNS name"),
        ("https://bücher.example", "not a DNS name"),  // IDNA names are refused unless in xn-- form
        ("https://127.1", "not a DNS name"),  // a numeric form in disguise
        ("https://0x7f.0.0.1", "not a DNS name"),
        ("https://[127.0.0.1]", "not an IPv6 literal"),
        ("https://[::1", "unclosed"),
        ("https://", "host is missing"),
    ]

    @Test(arguments: badGrants)
    func badGrantsAreRefusedNamingTheProblem(grant: String, reason: String) {
        #expect {
            try HTTPGrant(parsing: grant)
        } throws: { error in
            guard let error = error as? GrantError else { return false }
            return error.grant == grant && error.description.contains(reason)
        }
    }

    static let badURLs = [
        "ftp://example.com/", "file:///etc/passwd", "gopher://example.com", "//example.com/", "http:/example.com",
        "http://user:pw@example.com/", "http://example.com@evil.net/", "http://exa mple.com/", "http://example.com/a b",
        "http://example.com\\@evil.net/", "http://127.1/", "http://2130706433/", "http://0x7f000001/",
        "http://[::1/", "http://[::1]x/", "http://example.com:99999/", "http://example.com:-1/", "http://:80/",
        "http://bücher.example/", "http://example.com/\u{7F}",
    ]

    @Test(arguments: badURLs)
    func malformedURLsDoNotParse(url: String) {
        #expect(OutboundURL(parsing: url) == nil, "\(url)")
    }

    @Test func theRequestedURLIsRebuiltFromTheCheckedParts() throws {
        let url = try #require(OutboundURL(parsing: "HTTP://Example.COM.:80/a/b?q=1&r#frag"))
        #expect(url.text == "http://example.com/a/b?q=1&r")
        #expect(url.logText == "http://example.com/a/b?q=…&r=…")
        #expect(OutboundURL(parsing: "https://[::1]:8443")?.text == "https://[::1]:8443/")
        #expect(OutboundURL(parsing: "http://h.example?x")?.target == "/?x")
    }

    /// (address, forbidden)
    static let ranges: [(String, Bool)] = [
        ("127.0.0.1", true), ("127.255.0.9", true), ("10.1.2.3", true), ("172.16.0.1", true), ("172.31.255.255", true),
        ("172.32.0.1", false), ("192.168.1.1", true), ("169.254.169.254", true), ("100.64.0.1", true),
        ("100.128.0.1", false), ("0.0.0.0", true), ("224.0.0.1", true), ("255.255.255.255", true),
        ("8.8.8.8", false), ("93.184.216.34", false), ("::1", true), ("::", true), ("fc00::1", true), ("fd12::1", true),
        ("fe80::1", true), ("febf::1", true), ("fec0::1", false), ("ff02::1", true), ("::ffff:127.0.0.1", true),
        ("::ffff:8.8.8.8", false), ("64:ff9b::a00:1", true), ("2606:4700::1111", false),
    ]

    @Test(arguments: ranges)
    func forbiddenRanges(address: String, forbidden: Bool) throws {
        let parsed = try #require(IPAddress(literal: address))
        #expect((parsed.forbiddenRange != nil) == forbidden, "\(address): \(parsed.forbiddenRange ?? "public")")
    }

    @Test func onlyALiteralOrLocalhostGrantReachesAForbiddenAddress() throws {
        let loopback = try #require(IPAddress(literal: "127.0.0.1"))
        let six = try #require(IPAddress(literal: "::1"))
        #expect(try HTTPGrant(parsing: "http://127.0.0.1:*").allowsForbidden(loopback))
        #expect(try !HTTPGrant(parsing: "http://127.0.0.2:*").allowsForbidden(loopback))
        #expect(try HTTPGrant(parsing: "http://localhost:*").allowsForbidden(loopback))
        #expect(try HTTPGrant(parsing: "http://localhost:*").allowsForbidden(six))
        #expect(try !HTTPGrant(parsing: "http://localhost:*").allowsForbidden(#require(IPAddress(literal: "10.0.0.1"))))
        #expect(try !HTTPGrant(parsing: "http://public.example:*").allowsForbidden(loopback))
        #expect(try !HTTPGrant(parsing: "http://*.example:*").allowsForbidden(loopback))
    }

    @Test func requestBlocks() throws {
        let block = try #require(
            OutboundRequestBlock(Array("POST http://127.0.0.1:9/x\nAccept: a/b\nX-Two:  v  \nHost: evil\nContent-Length: 9\n".utf8)))
        #expect(block.method == "POST")
        #expect(block.url.text == "http://127.0.0.1:9/x")
        #expect(block.headers == [HTTPField(name: "Accept", value: "a/b"), HTTPField(name: "X-Two", value: "v")])
        for bad in [
            "", "GET", "get http://a.example/", "TRACE http://a.example/", "GET  http://a.example/",
            "GET http://a.example/ extra", "GET http://a.example/\nNoColon", "GET http://a.example/\nBad Name: v",
            "GET http://a.example/\nX: a\rb", "GET http://a.example/\nX: a\u{0}b", "GET http://a.example/\n\nX: v",
            "GET ftp://a.example/",
        ] {
            #expect(OutboundRequestBlock(Array(bad.utf8)) == nil, "\(bad.debugDescription)")
        }
    }
}
