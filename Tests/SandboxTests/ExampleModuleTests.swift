import Sandbox
import SandboxTesting
import Testing

/// Every example in `functions/` builds, and its module passes deploy-time validation under the
/// ABI and grants its `function.yaml` declares — and fails it without them.
@Suite struct ExampleModuleTests {
    /// The ABI and grants of each example, as its function.yaml states them.
    static let declared: [String: (abi: GuestABI, grants: Grants)] = [
        "counter": (.iv, Grants(kv: ["counters"])),
        "echo": (.wasi, .none),
        "fetch-json": (.wasi, Grants(http: [try! HTTPGrant(parsing: "http://127.0.0.1:*")])),
        "fault": (.iv, Grants(files: ["data/"])),
        "fib": (.iv, .none),
        "headers": (.wasi, .none),
        "hello": (.wasi, .none),
        "init-cache": (.iv, .none),
        "lookup": (.iv, Grants(files: ["data/"])),
        "noop": (.iv, .none),
        "pipeline": (.iv, Grants(invoke: ["wordcount", "echo"])),
        "rust-counter": (.iv, Grants(kv: ["counters"])),
        "rust-hello": (.wasi, .none),
        "spin": (.iv, .none),
        "wordcount": (.wasi, .none),
    ]

    @Test func everyExampleIsListed() {
        #expect(Examples.moduleNames == Self.declared.keys.sorted())
        #expect(Set(Examples.names).subtracting(Examples.moduleNames) == ["js-fetch", "js-hello", "js-kv"])
    }

    @Test func fetchJSONNeedsItsHTTPGrant() throws {
        let module = try Examples.module(named: "fetch-json")
        #expect(throws: SandboxError.self) { try ModuleValidation.validate(module: module, abi: .wasi, grants: .none) }
    }

    @Test func everyExampleHasExpectedAnswers() {
        let covered = Set(ExampleCase.all.map(\.function))
        #expect(covered == Set(Examples.names))
        #expect(Set(ExampleCase.all.flatMap(\.needs)).isSubset(of: covered))
    }

    @Test(arguments: declared.keys.sorted())
    func moduleValidatesUnderItsABI(name: String) throws {
        let (abi, grants) = try #require(Self.declared[name])
        let module = try Examples.module(named: name)
        try ModuleValidation.validate(module: module, abi: abi, grants: grants)
        let otherABI: GuestABI = abi == .iv ? .wasi : .iv
        #expect(throws: SandboxError.self) { try ModuleValidation.validate(module: module, abi: otherABI, grants: grants) }
    }

    @Test(arguments: ["lookup", "pipeline", "fault", "counter", "rust-counter"])
    func moduleNeedsItsGrants(name: String) throws {
        let module = try Examples.module(named: name)
        #expect(throws: SandboxError.self) { try ModuleValidation.validate(module: module, abi: .iv, grants: .none) }
    }

    @Test(arguments: declared.keys.sorted())
    func archiveIsGzip(name: String) throws {
        let archive = try Examples.archive(named: name)
        #expect(archive.count > 18)
        #expect(Array(archive.prefix(2)) == [0x1F, 0x8B])
    }

    @Test func unknownExampleIsATypedError() {
        #expect(throws: ExamplesError.self) { try Examples.module(named: "no-such-example") }
        #expect(throws: ExamplesError.self) { try Examples.module(named: "../hello") }
    }
}
