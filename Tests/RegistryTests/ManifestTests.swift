import Foundation
import Registry
import Sandbox
import Testing

@Suite struct ManifestTests {
    @Test func fillsEveryDefault() throws {
        let manifest = try Manifest.parse(yaml: "name: hello\nmodule: ./hello.wasm\n")
        #expect(manifest.name == "hello")
        #expect(manifest.module == "hello.wasm")
        #expect(manifest.abi == .wasi)
        #expect(manifest.description == "")
        #expect(manifest.memory == 64 << 20)
        #expect(manifest.timeout == .seconds(5))
        #expect(manifest.concurrency == 8)
        #expect(manifest.queue == 64)
        #expect(manifest.warm == 1)
        #expect(manifest.keepAlive == .seconds(600))
        #expect(manifest.state == .reset)
        #expect(manifest.response == .raw)
        #expect(manifest.isPublic)
        #expect(manifest.env.isEmpty)
        #expect(manifest.capabilities == Grants.none)
    }

    @Test func readsEveryField() throws {
        let yaml = """
            name: resize-2
            module: bin/resize.wasm
            abi: iv
            description: "Resizes images"
            memory: 128Mi
            timeout: 1500ms
            concurrency: 4
            queue: 0
            warm: 0
            keep_alive: 0s
            state: keep
            response: cgi
            public: false
            env: { ZETA: last, ALPHA: 1, MIDDLE: "two words", EMPTY: "" }
            capabilities:
              clock: true
              random: false
              files: [data/, ./config.json]
              invoke: [thumbnail, resize-2]
            """
        let manifest = try Manifest.parse(yaml: yaml)
        #expect(manifest.abi == .iv)
        #expect(manifest.module == "bin/resize.wasm")
        #expect(manifest.description == "Resizes images")
        #expect(manifest.memory == 128 << 20)
        #expect(manifest.timeout == .milliseconds(1500))
        #expect(manifest.concurrency == 4 && manifest.queue == 0 && manifest.warm == 0)
        #expect(manifest.keepAlive == .zero)
        #expect(manifest.state == .keep && manifest.response == .cgi && !manifest.isPublic)
        #expect(manifest.env.map(\.name) == ["ZETA", "ALPHA", "MIDDLE", "EMPTY"], "env keeps its order")
        #expect(manifest.env.map(\.value) == ["last", "1", "two words", ""])
        #expect(manifest.capabilities == Grants(clock: true, random: false, files: ["data/", "config.json"], invoke: ["thumbnail", "resize-2"]))

        let descriptor = manifest.imageDescriptor(version: 3)
        #expect(descriptor.function == "resize-2" && descriptor.version == 3)
        #expect(descriptor.limits.memoryBytes == 128 << 20 && descriptor.limits.timeout == .milliseconds(1500))
        #expect(descriptor.env == manifest.env && descriptor.grants == manifest.capabilities)
        #expect(descriptor.state == .keep && descriptor.response == .cgi && descriptor.abi == .iv)
    }

    @Test(arguments: [
        ("memory: 1Gi", UInt64(1) << 30), ("memory: 4Gi", UInt64(4) << 30), ("memory: 65536", UInt64(65536)),
        ("memory: 512Ki", UInt64(512) << 10), ("memory: 3Mi", UInt64(3) << 20),
    ])
    func readsMemoryUnits(_ line: String, _ bytes: UInt64) throws {
        #expect(try Manifest.parse(yaml: Fixtures.manifest(extra: line)).memory == bytes)
    }

    @Test(arguments: [
        ("timeout: 300s", Duration.seconds(300)), ("timeout: 5m", .seconds(300)), ("timeout: 1ms", .milliseconds(1)),
        ("timeout: 30s", .seconds(30)),
    ])
    func readsTimeoutUnits(_ line: String, _ duration: Duration) throws {
        #expect(try Manifest.parse(yaml: Fixtures.manifest(extra: line)).timeout == duration)
    }

    /// Each bad manifest and the key its message must name.
    static let badManifests: [(String, String)] = [
        ("name: hello\nmodule: a.wasm\nnetwork: true\n", "network"),
        ("module: a.wasm\n", "'name'"),
        ("name: hello\n", "'module'"),
        ("name: Hello\nmodule: a.wasm\n", "'name'"),
        ("name: 9lives\nmodule: a.wasm\n", "'name'"),
        ("name: \(String(repeating: "a", count: 64))\nmodule: a.wasm\n", "'name'"),
        ("name: hello_world\nmodule: a.wasm\n", "'name'"),
        ("name: [hello\nmodule: a.wasm\n", "not valid YAML"),
        ("- name\n- module\n", "mapping"),
        ("", "mapping"),
        ("name: hello\nmodule: a.wasm\nabi: wasm\n", "'abi'"),
        ("name: hello\nmodule: a.wasm\nmemory: 64MB\n", "'memory'"),
        ("name: hello\nmodule: a.wasm\nmemory: 8Gi\n", "'memory'"),
        ("name: hello\nmodule: a.wasm\nmemory: 1Ki\n", "'memory'"),
        ("name: hello\nmodule: a.wasm\nmemory: -1\n", "'memory'"),
        ("name: hello\nmodule: a.wasm\nmemory: 1.5Gi\n", "'memory'"),
        ("name: hello\nmodule: a.wasm\ntimeout: 5\n", "'timeout'"),
        ("name: hello\nmodule: a.wasm\ntimeout: 1h\n", "'timeout'"),
        ("name: hello\nmodule: a.wasm\ntimeout: 301s\n", "'timeout'"),
        ("name: hello\nmodule: a.wasm\ntimeout: 0s\n", "'timeout'"),
        ("name: hello\nmodule: a.wasm\ntimeout: 5 s\n", "'timeout'"),
        ("name: hello\nmodule: a.wasm\nkeep_alive: forever\n", "'keep_alive'"),
        ("name: hello\nmodule: a.wasm\nconcurrency: 0\n", "'concurrency'"),
        ("name: hello\nmodule: a.wasm\nconcurrency: eight\n", "'concurrency'"),
        ("name: hello\nmodule: a.wasm\nqueue: -1\n", "'queue'"),
        ("name: hello\nmodule: a.wasm\nwarm: 9\n", "'warm'"),
        ("name: hello\nmodule: a.wasm\nstate: frozen\n", "'state'"),
        ("name: hello\nmodule: a.wasm\nresponse: json\n", "'response'"),
        ("name: hello\nmodule: a.wasm\npublic: maybe\n", "'public'"),
        ("name: hello\nmodule: a.wasm\nenv: [A, B]\n", "'env'"),
        ("name: hello\nmodule: a.wasm\nenv: { 1BAD: x }\n", "'env.1BAD'"),
        ("name: hello\nmodule: a.wasm\nenv: { A: [1, 2] }\n", "'env.A'"),
        ("name: hello\nmodule: a.wasm\ncapabilities: { network: true }\n", "capabilities.network"),
        ("name: hello\nmodule: a.wasm\ncapabilities: { files: data/ }\n", "capabilities.files"),
        ("name: hello\nmodule: a.wasm\ncapabilities: { files: [../etc] }\n", "capabilities.files"),
        ("name: hello\nmodule: a.wasm\ncapabilities: { invoke: [Bad] }\n", "capabilities.invoke"),
        ("name: hello\nmodule: a.wasm\ncapabilities: { clock: yes-please }\n", "capabilities.clock"),
        ("name: hello\nmodule: a.wasm\ncapabilities: { http: [\"https://api.example.com/v1\"] }\n", "https://api.example.com/v1"),
        ("name: hello\nmodule: a.wasm\ncapabilities: { http: [\"ftp://example.com\"] }\n", "capabilities.http"),
        ("name: hello\nmodule: a.wasm\ncapabilities: { http: [\"https://u@example.com\"] }\n", "user info"),
        ("name: hello\nmodule: a.wasm\ncapabilities: { http: \"https://example.com\" }\n", "capabilities.http"),
        ("name: hello\nmodule: a.wasm\ncapabilities: { kv: [Counters] }\n", "capabilities.kv"),
        ("name: hello\nmodule: a.wasm\nname: again\n", "'name'"),
        ("name: hello\nmodule: ../a.wasm\n", "'module'"),
        ("name: hello\nruntime: python\nhandler: a.py\n", "'runtime'"),
        ("name: hello\nruntime: js\n", "'handler' is required"),
        ("name: hello\nruntime: js\nmodule: a.wasm\nhandler: a.js\n", "'module'"),
        ("name: hello\nruntime: js\nhandler: index.ts\n", "'handler'"),
        ("name: hello\nruntime: js\nhandler: ../index.js\n", "'handler'"),
        ("name: hello\nruntime: js\nhandler: index.js\nabi: wasi\n", "'abi'"),
        ("name: hello\nmodule: a.wasm\nhandler: index.js\n", "'handler' needs a runtime"),
        ("name: hello\nmodule: a.wasm\nbuild: [make]\n", "'build'"),
    ]

    @Test func aJavaScriptFunctionNamesItsHandlerAndHasNoModule() throws {
        let manifest = try Manifest.parse(yaml: "name: greet\nruntime: js\nhandler: ./src/index.js\nbuild: \"npm run x\"\n")
        #expect(manifest.runtime == .js)
        #expect(manifest.handler == "src/index.js")
        #expect(manifest.module == "")
        #expect(manifest.abi == .iv)
        #expect(manifest.build == "npm run x")
        #expect(manifest.imageDescriptor(version: 1).runtime == .js)
        let json = String(decoding: try manifest.canonicalJSON(), as: UTF8.self)
        #expect(json.contains(#""runtime":"js""#) && json.contains(#""handler":"src/index.js""#) && !json.contains("module"))
        let decoded = try JSONDecoder().decode(Manifest.self, from: Data(try manifest.canonicalJSON()))
        #expect(decoded == manifest)
        // A v1 manifest's canonical JSON (and so its digest) has none of the new keys.
        let plain = String(decoding: try Manifest.parse(yaml: Fixtures.manifest()).canonicalJSON(), as: UTF8.self)
        #expect(!plain.contains("runtime") && !plain.contains("handler") && !plain.contains("build"))
    }

    @Test(arguments: badManifests)
    func refusesBadManifest(_ yaml: String, _ named: String) {
        let error = #expect(throws: RegistryError.self) { try Manifest.parse(yaml: yaml) }
        #expect(error?.code == .invalidFunction)
        #expect(error?.message.contains(named) == true, "message: \(error?.message ?? "-")")
    }

    @Test func httpAndKeyValueGrantsRoundTripAndLeaveV1DigestsAlone() throws {
        let plain = try Manifest.parse(yaml: Fixtures.manifest())
        #expect(!String(decoding: try plain.canonicalJSON(), as: UTF8.self).contains("http"))
        let yaml = Fixtures.manifest(extra: "capabilities: { http: [\"https://*.example.com\", \"http://127.0.0.1:*\"], kv: [counters] }\n")
        let manifest = try Manifest.parse(yaml: yaml)
        #expect(manifest.capabilities.http.map(\.text) == ["https://*.example.com", "http://127.0.0.1:*"])
        #expect(manifest.capabilities.kv == ["counters"])
        let decoded = try JSONDecoder().decode(Manifest.self, from: Data(try manifest.canonicalJSON()))
        #expect(decoded == manifest)
    }

    @Test func roundTripsThroughJSON() throws {
        let yaml = Fixtures.manifest(
            extra: "memory: 100000\ntimeout: 250ms\nkeep_alive: 2h\nenv: { B: 2, A: 1 }\ncapabilities: { files: [a/] }\n")
        let manifest = try Manifest.parse(yaml: yaml)
        let json = try manifest.canonicalJSON()
        let decoded = try JSONDecoder().decode(Manifest.self, from: Data(json))
        #expect(decoded == manifest)
        #expect(try decoded.canonicalJSON() == json)
        let text = String(decoding: json, as: UTF8.self)
        #expect(text.contains("\"keep_alive\":\"120m\"") && text.contains("\"timeout\":\"250ms\""))
    }
}
