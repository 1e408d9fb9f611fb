import Egress
import Foundation
import Gateway
import Registry
import Sandbox
import SandboxTesting
import Scheduler
import Testing

/// `runtime: js` (SPEC "JavaScript functions") through a real gateway: the platform's runtime built
/// from `functions/runtime/js`, scripts deployed in archives, answers over HTTP.
///
/// Serialized, and each function with a generous timeout unless a test is about timeouts: a JS
/// compartment's first invocation translates the engine's code it reaches (tens of milliseconds),
/// and the rest of the suite shares the two cores.
@Suite(.serialized) struct JavaScriptTests {
    /// A platform with the JavaScript runtime and a real outbound client, no functions deployed.
    static func platform() async throws -> RealPlatform {
        try await RealPlatform.make(
            configuration: SchedulerConfiguration(workerThreads: 2, outbound: CurlClient(), runtimes: RealPlatform.runtimes))
    }

    /// An archive of a JS function: `function.yaml` from `settings` and the scripts `files`.
    static func archive(_ name: String, _ files: [String: String], settings: [String] = []) throws -> [UInt8] {
        let timeout = settings.contains { $0.hasPrefix("timeout:") } ? [] : ["timeout: 60s"]
        let manifest = (["name: \(name)", "runtime: js", "handler: index.js"] + timeout + settings)
            .joined(separator: "\n") + "\n"
        var writer = ArchiveWriter()
        writer.addFile("function.yaml", contents: Array(manifest.utf8))
        for (path, text) in files.sorted(by: { $0.key < $1.key }) { writer.addFile(path, contents: Array(text.utf8)) }
        return try writer.archive()
    }

    static func deploy(
        _ gateway: TestGateway, _ name: String, _ script: String, files: [String: String] = [:], settings: [String] = []
    ) async throws {
        var all = files
        all["index.js"] = script
        let answer = try await gateway.request("POST", "/functions", body: archive(name, all, settings: settings))
        #expect(answer.status == 201, "deploy \(name): \(answer.text)")
    }

    /// The deploy's answer, for scripts that must be refused.
    static func refused(_ gateway: TestGateway, _ name: String, _ files: [String: String], settings: [String] = [])
        async throws -> RawConnection.Response
    {
        try await gateway.request("POST", "/functions", body: archive(name, files, settings: settings))
    }

    /// The logs of the activation that answered `response` (recorded shortly after the answer).
    static func logs(_ gateway: TestGateway, of response: RawConnection.Response) async throws -> String {
        let id = try #require(response.header("X-Faas-Activation"))
        for _ in 0..<250 {
            if let logs = try await gateway.request("GET", "/activations/\(id)").object?["logs"] as? String, !logs.isEmpty {
                return logs
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return ""
    }

    @Test func theRequestArrivesWhole() async throws {
        try await TestGateway.with(backend: Self.platform) { gateway in
            try await Self.deploy(
                gateway, "mirror",
                """
                export default {
                  async fetch(request) {
                    const bytes = new Uint8Array(await request.arrayBuffer());
                    return Response.json({
                      method: request.method, url: request.url,
                      trace: request.headers.get("X-TRACE-ID"), hasTrace: request.headers.has("x-trace-id"),
                      type: request.headers.get("content-type"), missing: request.headers.get("nope"),
                      bytes: Array.from(bytes),
                      entries: Array.from(request.headers.entries()).filter(([name]) => name.startsWith("x-")),
                      each: (() => { const seen = []; request.headers.forEach((v, k) => { if (k === "x-trace-id") seen.push(k + "=" + v); }); return seen; })(),
                    });
                  },
                };
                """)
            let answer = try await gateway.request(
                "PUT", "/invoke/mirror/a/b?x=1&y=%20",
                headers: [("X-Trace-Id", "t-1"), ("Content-Type", "application/octet-stream")], body: [0, 1, 255, 10])
            #expect(answer.status == 200, "\(answer.text)")
            #expect(answer.header("content-type") == "application/json")
            let object = try #require(answer.object)
            #expect(object["method"] as? String == "PUT")
            #expect(object["url"] as? String == "http://mirror.invalid/a/b?x=1&y=%20")
            #expect(object["trace"] as? String == "t-1")
            #expect(object["hasTrace"] as? Bool == true)
            #expect(object["type"] as? String == "application/octet-stream")
            #expect(object["missing"] is NSNull)
            #expect(object["bytes"] as? [Int] == [0, 1, 255, 10])
            #expect(object["entries"] as? [[String]] == [["x-trace-id", "t-1"]])
            #expect(object["each"] as? [String] == ["x-trace-id=t-1"])

            try await Self.deploy(
                gateway, "parse",
                """
                export default { async fetch(request) { const value = await request.json(); return new Response(String(value.n * 2)); } };
                """)
            #expect(try await gateway.request("POST", "/invoke/parse", body: Array(#"{"n": 21}"#.utf8)).text == "42")
            let bad = try await gateway.request("POST", "/invoke/parse", body: Array("{".utf8))
            #expect(bad.status == 502 && bad.errorBody?.error.code == "function_error")
            #expect(try await Self.logs(gateway, of: bad).contains("SyntaxError"))
        }
    }

    @Test func responsesOfEveryBodyKindStatusAndHeaders() async throws {
        try await TestGateway.with(backend: Self.platform) { gateway in
            try await Self.deploy(
                gateway, "bodies",
                """
                export default {
                  fetch(request) {
                    const kind = new URL(request.url).searchParams.get("kind");
                    if (kind === "buffer") return new Response(new Uint8Array([104, 105, 0, 255]).buffer, { status: 201 });
                    if (kind === "typed") return new Response(new Uint8Array([1, 2, 3]));
                    if (kind === "null") return new Response(null, { status: 204, headers: { "x-empty": "yes" } });
                    if (kind === "json") return Response.json({ ok: true }, { status: 418, headers: { "x-more": "1" } });
                    return new Response("text", { headers: new Headers([["X-Multi", "a"]]) });
                  },
                };
                """)
            let buffer = try await gateway.request("POST", "/invoke/bodies?kind=buffer")
            #expect(buffer.status == 201 && buffer.body == [104, 105, 0, 255])
            #expect(try await gateway.request("POST", "/invoke/bodies?kind=typed").body == [1, 2, 3])
            let empty = try await gateway.request("POST", "/invoke/bodies?kind=null")
            #expect(empty.status == 204 && empty.body.isEmpty && empty.header("x-empty") == "yes")
            let json = try await gateway.request("POST", "/invoke/bodies?kind=json")
            #expect(json.status == 418 && json.text == #"{"ok":true}"# && json.header("x-more") == "1")
            #expect(json.header("content-type") == "application/json")
            let text = try await gateway.request("POST", "/invoke/bodies")
            #expect(text.text == "text" && text.header("x-multi") == "a")
            #expect(text.header("content-type")?.hasPrefix("text/plain") == true)
        }
    }

    @Test func environmentStoresAndRelativeImports() async throws {
        try await TestGateway.with(backend: Self.platform) { gateway in
            try await Self.deploy(
                gateway, "stateful",
                """
                import { greet } from "./lib/greet.js";
                let calls = 0;  // module state: every invocation starts from the snapshot, so this is 0 again
                export default {
                  async fetch(request, env) {
                    calls++;
                    const n = await env.counters.incr("hits");
                    await env.counters.put("last", await request.text());
                    const last = await env.counters.get("last");
                    const gone = await env.counters.get("never-set");
                    await env.counters.put("doomed", "x");
                    await env.counters.delete("doomed");
                    const keys = await env.counters.list({ prefix: "" });
                    return Response.json({ greeting: greet(env.GREETING), calls, n, last, gone, keys, type: typeof env.GREETING });
                  },
                };
                """,
                files: ["lib/greet.js": #"import { suffix } from "../suffix.js"; export const greet = (g) => g + suffix;"#,
                        "suffix.js": #"export const suffix = "!";"#],
                settings: ["env: { GREETING: hi }", "capabilities: { kv: [counters] }"])
            for expected in 1...3 {
                let answer = try await gateway.request("POST", "/invoke/stateful", body: Array("v\(expected)".utf8))
                let object = try #require(answer.object, "\(answer.text)")
                #expect(object["greeting"] as? String == "hi!")
                #expect(object["calls"] as? Int == 1)
                #expect(object["n"] as? Int == expected)
                #expect(object["last"] as? String == "v\(expected)")
                #expect(object["gone"] is NSNull)
                #expect(object["keys"] as? [String] == ["hits", "last"])
                #expect(object["type"] as? String == "string")
            }
            // The store is the platform's: what JS wrote is what the HTTP API reads.
            #expect(try await gateway.request("GET", "/kv/counters/hits").text == "3")
        }
    }

    @Test func fetchGoesOutOnlyWhereGranted() async throws {
        let upstream = try LoopbackHTTPServer { request in
            .answer(status: 200, headers: [("Content-Type", "text/plain"), ("X-Upstream", "yes")], body: Array("from \(request.target)".utf8))
        }
        defer { upstream.stop() }
        try await TestGateway.with(backend: Self.platform) { gateway in
            try await Self.deploy(
                gateway, "caller",
                """
                export default {
                  async fetch(request) {
                    const url = await request.text();
                    try {
                      const answer = await fetch(url, { method: "POST", headers: { "x-asked": "1" }, body: "payload" });
                      return new Response(`${answer.status} ${answer.headers.get("x-upstream")} ${await answer.text()}`);
                    } catch (error) {
                      return new Response(`${error.name}: ${error.message}`, { status: 403 });
                    }
                  },
                };
                """,
                settings: ["capabilities: { http: [\"http://127.0.0.1:\(upstream.port)\"] }"])
            let ok = try await gateway.request("POST", "/invoke/caller", body: Array("http://127.0.0.1:\(upstream.port)/path".utf8))
            #expect(ok.text == "200 yes from /path", "\(ok.text)")
            let sent = try #require(upstream.requests.last)
            #expect(sent.method == "POST" && sent.body == Array("payload".utf8) && sent.header("x-asked") == "1")
            #expect(try await Self.logs(gateway, of: ok).contains("http POST http://127.0.0.1:\(upstream.port)/path -> 200"))

            let refused = try await gateway.request("POST", "/invoke/caller", body: Array("http://127.0.0.1:1/".utf8))
            #expect(refused.status == 403)
            #expect(refused.text.hasPrefix("TypeError: ") && refused.text.contains("not granted"), "\(refused.text)")
            #expect(upstream.requests.count == 1)
        }
    }

    @Test func clockAndRandomNeedTheirGrants() async throws {
        try await TestGateway.with(backend: Self.platform) { gateway in
            let script = """
                export default {
                  fetch() {
                    const out = [];
                    for (const probe of [() => Date.now(), () => new Date().getTime(), () => crypto.getRandomValues(new Uint8Array(4)).length]) {
                      try { out.push(typeof probe()); } catch (error) { out.push(`${error.name}: ${error.message}`); }
                    }
                    out.push(new Date(0).toISOString());
                    return Response.json(out);
                  },
                };
                """
            try await Self.deploy(gateway, "ungranted", script)
            try await Self.deploy(gateway, "granted", script, settings: ["capabilities: { clock: true, random: true }"])
            let without = try #require(
                (try? JSONSerialization.jsonObject(with: Data(try await gateway.request("POST", "/invoke/ungranted").body))) as? [String])
            #expect(without[0].hasPrefix("Error: ") && without[0].contains("capabilities.clock"), "\(without)")
            #expect(without[1].contains("capabilities.clock"))
            #expect(without[2].hasPrefix("Error: ") && without[2].contains("capabilities.random"))
            #expect(without[3] == "1970-01-01T00:00:00.000Z")
            let with = try #require(
                (try? JSONSerialization.jsonObject(with: Data(try await gateway.request("POST", "/invoke/granted").body))) as? [String])
            #expect(with == ["number", "number", "number", "1970-01-01T00:00:00.000Z"])
        }
    }

    @Test func failuresAre502WithTheStackInTheLog() async throws {
        try await TestGateway.with(backend: Self.platform) { gateway in
            try await Self.deploy(
                gateway, "failing",
                """
                function deep() { throw new Error("it broke"); }
                export default {
                  async fetch(request) {
                    const how = await request.text();
                    console.log("about to", how);
                    console.info("info line"); console.warn("careful"); console.error("bad", 42);
                    if (how === "throw") deep();
                    if (how === "reject") return Promise.reject(new TypeError("refused"));
                    if (how === "value") return { not: "a response" };
                    if (how === "loop") for (;;) {}
                    if (how === "memory") { const keep = []; for (;;) keep.push(new Array(100000).fill(1)); }
                    return new Response("fine");
                  },
                };
                """,
                settings: ["timeout: 5s", "memory: 16Mi"])
            let thrown = try await gateway.request("POST", "/invoke/failing", body: Array("throw".utf8))
            #expect(thrown.status == 502 && thrown.errorBody?.error.code == "function_error", "\(thrown.text)")
            let logs = try await Self.logs(gateway, of: thrown)
            #expect(logs.contains("about to throw"), "\(logs)")
            #expect(logs.contains("info line") && logs.contains("careful") && logs.contains("bad 42"), "\(logs)")
            #expect(logs.contains("it broke") && logs.contains("deep") && logs.contains("index.js"), "\(logs)")

            let rejected = try await gateway.request("POST", "/invoke/failing", body: Array("reject".utf8))
            #expect(rejected.status == 502)
            #expect(try await Self.logs(gateway, of: rejected).contains("refused"))
            let value = try await gateway.request("POST", "/invoke/failing", body: Array("value".utf8))
            #expect(value.status == 502)
            #expect(try await Self.logs(gateway, of: value).contains("Response"))

            let loop = try await gateway.request("POST", "/invoke/failing", body: Array("loop".utf8))
            #expect(loop.status == 504 && loop.errorBody?.error.code == "timeout", "\(loop.text)")
            let memory = try await gateway.request("POST", "/invoke/failing", body: Array("memory".utf8))
            #expect(memory.status == 502, "\(memory.text)")
            // Every failure destroyed its compartment; the function and the gateway keep serving.
            #expect(try await gateway.request("POST", "/invoke/failing", body: Array("ok".utf8)).text == "fine")
        }
    }

    @Test func scriptsThatCannotLoadAreRefusedAtDeploy() async throws {
        try await TestGateway.with(backend: Self.platform) { gateway in
            let syntax = try await Self.refused(gateway, "broken", ["index.js": "export default {\n  fetch( {\n};\n"])
            #expect(syntax.status == 422 && syntax.errorBody?.error.code == "invalid_function")
            #expect(syntax.text.contains("index.js:") && syntax.text.contains("SyntaxError"), "\(syntax.text)")

            let imported = try await Self.refused(
                gateway, "broken",
                ["index.js": "import { x } from \"./lib.js\";\nexport default { fetch() { return new Response(x); } };\n",
                 "lib.js": "export const x = ;\n"])
            #expect(imported.status == 422)
            #expect(imported.text.contains("lib.js:1") && imported.text.contains("SyntaxError"), "\(imported.text)")

            let noDefault = try await Self.refused(gateway, "broken", ["index.js": "export const fetch = () => null;\n"])
            #expect(noDefault.status == 422)
            #expect(noDefault.text.contains("index.js") && noDefault.text.contains("default export"), "\(noDefault.text)")

            let missing = try await Self.refused(
                gateway, "broken", ["index.js": "import \"./nowhere.js\";\nexport default { fetch() {} };\n"])
            #expect(missing.status == 422 && missing.text.contains("nowhere.js"), "\(missing.text)")

            let noHandler = try await Self.refused(gateway, "broken", ["main.js": "export default {}"])
            #expect(noHandler.status == 422 && noHandler.text.contains("'handler'"), "\(noHandler.text)")
            let reserved = try await Self.refused(
                gateway, "broken", ["index.js": "export default { fetch() {} };", ".faas/function.json": "{}"])
            #expect(reserved.status == 422 && reserved.text.contains(".faas/"), "\(reserved.text)")
            // A top level that never ends runs out of the fuel of its timeout, however long the check may wait.
            let endless = try await Self.refused(
                gateway, "broken", ["index.js": "for (;;) {}\nexport default { fetch() {} };\n"], settings: ["timeout: 300ms"])
            #expect(endless.status == 422 && endless.errorBody?.error.code == "invalid_function", "\(endless.text)")
            #expect(endless.text.contains("fuel"), "\(endless.text)")
            // Nothing was stored.
            #expect(try await gateway.request("GET", "/functions/broken").status == 404)
        }
    }

    @Test func withoutTheRuntimeAJavaScriptDeployIs503() async throws {
        let bare: @Sendable () async throws -> RealPlatform = {
            try await RealPlatform.make(configuration: SchedulerConfiguration(workerThreads: 2))
        }
        try await TestGateway.with(backend: bare) { gateway in
            let answer = try await gateway.request(
                "POST", "/functions", body: Self.archive("nojs", ["index.js": "export default { fetch() {} };"]))
            #expect(answer.status == 503 && answer.text.contains("js runtime"), "\(answer.text)")
        }
    }
}
