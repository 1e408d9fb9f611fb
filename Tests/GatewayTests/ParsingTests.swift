import Foundation
import NIOHTTP1
import Testing

@testable import Gateway

/// Exposes the constant-time comparison to the auth tests.
enum BearerAuthenticatorProbe {
    static func equal(_ a: String, _ b: String) -> Bool {
        BearerAuthenticator.constantTimeEqual(Array(a.utf8), Array(b.utf8))
    }
}

@Suite("Parsing")
struct ParsingTests {
    @Test func requestTargets() throws {
        let target = try #require(RequestTarget("/invoke/hello/a%2Fb/c?x=%20&y"))
        #expect(target.segments == ["invoke", "hello", "a/b", "c"])
        #expect(target.query == "x=%20&y")
        #expect(RequestTarget("/")?.segments == [""])
        #expect(RequestTarget("*") == nil)
        #expect(RequestTarget("http://host/x") == nil)
        #expect(RequestTarget("/a%") == nil)
        #expect(RequestTarget("/a%zz") == nil)
        #expect(RequestTarget("/a%ff") == nil)  // not UTF-8
        #expect(RequestTarget("/caf%C3%A9")?.segments == ["café"])
        #expect(target.path == "/invoke/hello/a%2Fb/c")
        #expect(RequestTarget("/a/b/")?.segments == ["a", "b", ""])
        #expect(RequestTarget("//x")?.segments == ["", "x"])
        let emptyQuery = try #require(RequestTarget("/x?"))
        #expect(emptyQuery.segments == ["x"] && emptyQuery.query == "" && emptyQuery.path == "/x")
        let unicode = try #require(RequestTarget("/café/ü?q=é/?"))
        #expect(unicode.segments == ["café", "ü"] && unicode.query == "q=é/?" && unicode.path == "/café/ü")
    }

    @Test func fieldNamesCompareIgnoringASCIICase() {
        #expect("Content-Length".equalsIgnoringASCIICase("content-length"))
        #expect("X-FAAS-START".equalsIgnoringASCIICase("x-faas-start"))
        #expect(!"content-lengt".equalsIgnoringASCIICase("content-length"))
        #expect(!"[".equalsIgnoringASCIICase("{"))  // differ in the 0x20 bit but are not letters
        #expect(!"Straße".equalsIgnoringASCIICase("STRASSE"))
    }

    @Test func functionHeadersLeaveFramingAndReservedNamesToTheGateway() {
        let fields = [
            HeaderField(name: "Content-Type", value: "text/plain"), HeaderField(name: "Content-Length", value: "99"),
            HeaderField(name: "Connection", value: "close"), HeaderField(name: "X-Faas-Start", value: "forged"),
            HeaderField(name: "X-Custom", value: "1"),
        ]
        var headers = HTTPHeaders()
        Router.copy(fields, into: &headers, reserving: ["x-faas-start"])
        #expect(headers.map { "\($0.name): \($0.value)" } == ["Content-Type: text/plain", "X-Custom: 1"])
    }

    @Test func routes() {
        #expect(Route.resolve(method: .POST, segments: ["invoke", "f"]) == .success(.invoke(name: "f", rest: "")))
        #expect(Route.resolve(method: .PUT, segments: ["invoke", "f", "a", ""]) == .success(.invoke(name: "f", rest: "/a/")))
        #expect(Route.resolve(method: .GET, segments: ["functions"]) == .success(.listFunctions))
        #expect(Route.resolve(method: .POST, segments: ["functions"]) == .success(.deploy))
        #expect(Route.resolve(method: .DELETE, segments: ["functions", "f"]) == .success(.removeFunction("f")))
        #expect(Route.resolve(method: .POST, segments: ["functions", "f", "rollback"]) == .success(.rollback("f")))
        #expect(Route.resolve(method: .GET, segments: ["functions", "f", "rollback"]) == .failure(.methodNotAllowed(allowed: ["POST"])))
        #expect(Route.resolve(method: .GET, segments: ["activations", "a", "result"]) == .success(.activationResult("a")))
        #expect(Route.resolve(method: .GET, segments: ["activations", "a", "other"]) == .failure(.noSuchPath))
        #expect(Route.resolve(method: .GET, segments: ["healthz", ""]) == .failure(.noSuchPath))
    }

    @Test func queryParameters() throws {
        let query = QueryParameters("function=my-fn&limit=5&odd=%zz&plus=a+b&limit=7")
        #expect(try query.string("function") == "my-fn")
        #expect(try query.integer("limit", in: 1...10) == 7)
        #expect(try query.string("plus") == "a b")
        #expect(try query.string("absent") == nil)
        #expect(throws: PlatformError.self) { try query.string("odd") }
        #expect(throws: PlatformError.self) { try query.integer("limit", in: 1...5) }
    }

    @Test func errorJSONShape() {
        let response = GatewayResponse.error(PlatformError(.tooManyRequests, "queue full", retryAfterSeconds: 0))
        #expect(response.status.code == 429)
        #expect(response.headers.first(name: "retry-after") == "1")
        #expect(String(decoding: response.body, as: UTF8.self) == #"{"error":{"code":"too_many_requests","message":"queue full"}}"#)
    }
}

@Suite("JSON shapes")
struct JSONShapeTests {
    struct Sample: Encodable {
        var name = "hello"
        var memory: UInt64 = 64 << 20
        var ratio = 0.5
        var isPublic = true
        var env: [String] = ["A=1"]
        var missing: String? = nil
    }

    @Test func jsonValueKeepsIntegersIntegral() throws {
        let value = try JSONValue(encoding: Sample())
        #expect(String(decoding: GatewayJSON.encode(value), as: UTF8.self)
            == #"{"env":["A=1"],"isPublic":true,"memory":67108864,"name":"hello","ratio":0.5}"#)
    }

    @Test func snakeCaseFieldsOfTheContract() throws {
        let deploy = String(decoding: GatewayJSON.encode(DeployResult(name: "f", version: 1, digest: "sha256:x", size: 2, compressedSize: 1)), as: UTF8.self)
        #expect(deploy == #"{"compressed_size":1,"digest":"sha256:x","name":"f","size":2,"version":1}"#)
        let cvm = CompartmentInfo(id: 1, function: "f", version: 1, state: .running, memoryBytes: 65536, invocations: 3, created: Date(timeIntervalSince1970: 0))
        #expect(String(decoding: GatewayJSON.encode(cvm), as: UTF8.self)
            == #"{"created":"1970-01-01T00:00:00Z","function":"f","id":1,"invocations":3,"memory_bytes":65536,"state":"running","version":1}"#)
    }
}
