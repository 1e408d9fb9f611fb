/// One request to an example of `functions/` and what it must answer: the examples' behaviour,
/// written down once so Sandbox, Scheduler, Gateway and end-to-end tests check the same thing.
///
/// ```swift
/// @Test(arguments: ExampleCase.all)
/// func exampleAnswers(_ example: ExampleCase) throws {
///     let module = try Examples.module(named: example.function)
///     // deploy it (and example.needs), send example.body / example.query / example.headers,
///     // then compare with example.expectation
/// }
/// ```
public struct ExampleCase: Sendable, CustomStringConvertible {
    /// What the invocation must produce.
    public enum Expectation: Sendable, Equatable {
        /// A response with exactly this status and body.
        case response(status: Int, body: [UInt8])
        /// A response with this status whose body contains every one of these strings.
        case responseContaining(status: Int, [String])
        /// A failed invocation with this SPEC error code (e.g. `capability_fault`, `timeout`) and,
        /// for `capability_fault`, the fault kind (`bounds`, `tag`, `seal`, `type`, `permission`).
        case failure(code: String, fault: String?)
    }

    /// The example invoked (a folder of `functions/`).
    public var function: String
    /// Other examples that must be deployed for this case (CAP-Call callees).
    public var needs: [String]
    /// `PATH_INFO`: what follows `/invoke/NAME`.
    public var path: String
    /// The query string, without `?`.
    public var query: String
    /// Request headers, in order.
    public var headers: [(name: String, value: String)]
    /// The request body.
    public var body: [UInt8]
    /// What must come back.
    public var expectation: Expectation
    /// Response headers that must be present with these values (CGI examples).
    public var responseHeaders: [(name: String, value: String)]

    public init(
        _ function: String, body: String = "", path: String = "", query: String = "",
        headers: [(name: String, value: String)] = [], needs: [String] = [],
        responseHeaders: [(name: String, value: String)] = [], expect expectation: Expectation
    ) {
        self.function = function
        self.needs = needs
        self.path = path
        self.query = query
        self.headers = headers
        self.body = Array(body.utf8)
        self.expectation = expectation
        self.responseHeaders = responseHeaders
    }

    public var description: String {
        let shown = String(decoding: body.prefix(24), as: UTF8.self)
        return "\(function)(\(query.isEmpty ? "" : "?\(query) ")\(shown.debugDescription))"
    }

    /// A response with exactly `status` and `body`.
    public static func ok(_ body: String, status: Int = 200) -> Expectation {
        .response(status: status, body: Array(body.utf8))
    }

    /// Every case, grouped by example.
    public static let all: [ExampleCase] = [
        ExampleCase("hello", body: "Ada", expect: ok("Hello, Ada!\n")),
        ExampleCase("hello", expect: ok("Hello, world!\n")),
        ExampleCase("rust-hello", body: "Ada", expect: ok("Hello, Ada!\n")),
        ExampleCase("rust-hello", expect: ok("Hello, world!\n")),
        ExampleCase("js-hello", body: "Ada", expect: ok("Hello, Ada!\n")),
        ExampleCase("js-hello", body: "Ada\r\n", expect: ok("Hello, Ada!\n")),
        ExampleCase("js-hello", expect: ok("Hello, world!\n")),
        ExampleCase("echo", body: "bytes \u{00}\u{01} back\n", expect: ok("bytes \u{00}\u{01} back\n")),
        ExampleCase("echo", expect: ok("")),
        ExampleCase(
            "wordcount", body: "hello wörld\nsecond line here\n",
            expect: ok(#"{"lines": 2, "words": 5, "chars": 29, "bytes": 30}"# + "\n")),
        ExampleCase("wordcount", expect: ok(#"{"lines": 0, "words": 0, "chars": 0, "bytes": 0}"# + "\n")),
        ExampleCase(
            "headers", path: "/a/b", query: "x=1&status=418", headers: [("X-Reply-Header", "hi")],
            responseHeaders: [("Content-Type", "application/json"), ("X-Reply", "hi")],
            expect: .responseContaining(
                status: 418,
                [#""path": "/a/b""#, #""query": "x=1&status=418""#, #""greeting": "hello from the manifest""#,
                 #""function": "headers""#, #""X_REPLY_HEADER": "hi""#])),
        ExampleCase("headers", query: "status=99", expect: .responseContaining(status: 400, ["status must be"])),
        ExampleCase("fib", body: "10", expect: ok("fib(10) = 55\n")),
        ExampleCase("fib", body: "n=20", expect: ok("fib(20) = 6765\n")),
        ExampleCase("fib", expect: ok("fib(25) = 75025\n")),
        ExampleCase("fib", body: "-3", expect: .responseContaining(status: 400, ["non-negative"])),
        ExampleCase("noop", expect: ok("")),
        // The three counters share the store "counters"; each counts a name of its own. The other
        // cases answer before the store or the network is reached.
        ExampleCase("counter", body: "c-visits", expect: ok("1\n")),
        ExampleCase("rust-counter", body: "rust-visits", expect: ok("1\n")),
        ExampleCase("js-kv", body: "js-visits", expect: ok("1\n")),
        ExampleCase(
            "counter", body: String(repeating: "k", count: 600), expect: ok("a name is at most 512 bytes\n", status: 400)),
        ExampleCase(
            "rust-counter", body: String(repeating: "k", count: 600),
            expect: ok("a name is at most 512 bytes\n", status: 400)),
        ExampleCase(
            "js-kv", body: String(repeating: "k", count: 600), expect: ok("a name is at most 512 bytes\n", status: 400)),
        ExampleCase(
            "js-fetch", body: "http://localhost:1/",
            expect: .responseContaining(status: 403, ["js-fetch: fetch http://localhost:1/: not granted by capabilities.http"])),
        ExampleCase("js-fetch", expect: ok("js-fetch: send a URL in the body\n", status: 400)),
        ExampleCase(
            "fetch-json", body: "http://localhost:1/",
            expect: .responseContaining(status: 403, ["fetch-json: request failed: not granted"])),
        ExampleCase("lookup", body: "France", expect: ok("Paris\n")),
        ExampleCase("lookup", body: "united states\n", expect: ok("Washington, D.C.\n")),
        ExampleCase("lookup", body: "Atlantis", expect: ok("lookup: no such country\n", status: 404)),
        ExampleCase(
            "pipeline", body: "to be or not", needs: ["wordcount", "echo"],
            expect: ok(
                #"{"wordcount": {"lines": 0, "words": 4, "chars": 12, "bytes": 12}, "wordcount_status": 200, "#
                    + #""echo_status": 200, "echo_bytes": 12, "echo_matches": true}"# + "\n")),
        ExampleCase(
            "init-cache", body: "97", expect: ok(#"{"n": 97, "prime": true, "primes_up_to_n": 25, "invocation": 1}"# + "\n")),
        ExampleCase(
            "init-cache", body: "65535",
            expect: ok(#"{"n": 65535, "prime": false, "primes_up_to_n": 6542, "invocation": 1}"# + "\n")),
        ExampleCase("spin", expect: .failure(code: "timeout", fault: nil)),
        ExampleCase("fault", body: "ok", expect: ok("fault: no fault requested\n")),
        ExampleCase("fault", body: "bounds", expect: .failure(code: "capability_fault", fault: "bounds")),
        ExampleCase("fault", body: "tag", expect: .failure(code: "capability_fault", fault: "tag")),
        ExampleCase("fault", body: "dropped", expect: .failure(code: "capability_fault", fault: "tag")),
        ExampleCase("fault", body: "permission", expect: .failure(code: "capability_fault", fault: "permission")),
        ExampleCase("fault", body: "trap", expect: .failure(code: "function_trap", fault: nil)),
        ExampleCase("fault", body: "exit", expect: .failure(code: "function_error", fault: nil)),
    ]
}
