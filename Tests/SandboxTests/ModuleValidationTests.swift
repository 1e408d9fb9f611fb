import Sandbox
import SandboxTesting
import Testing

/// Deploy-time checks: what the compartment could not link is refused with `invalid_function`.
@Suite("Module validation")
struct ModuleValidationTests {
    static func module(importing entry: String, abi: GuestABI) -> String {
        let main = abi == .iv ? #"(func (export "iv_main") (result i32) (i32.const 0))"# : #"(func (export "_start"))"#
        return "(module \(entry) (memory (export \"memory\") 1) \(main))"
    }

    @Test func acceptsWhatTheHostcallsProvide() throws {
        let iv = try GuestFixtures.wasm(Self.module(importing: #"(import "intravisor" "log" (func (param i32 i32) (result i32)))"#, abi: .iv))
        try ModuleValidation.validate(module: iv, abi: .iv, grants: .none)
        let wasi = try GuestFixtures.wasm(
            Self.module(importing: #"(import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))"#, abi: .wasi))
        try ModuleValidation.validate(module: wasi, abi: .wasi, grants: .none)
    }

    @Test(arguments: [
        (#"(import "intravisor" "log" (func (param i32) (result i32)))"#, GuestABI.iv),
        (#"(import "intravisor" "clock_ns" (func (param i32) (result i32)))"#, .iv),
        (#"(import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32) (result i32)))"#, .wasi),
        (#"(import "wasi_snapshot_preview1" "proc_exit" (func (param i32) (result i32)))"#, .wasi),
        (#"(import "wasi_snapshot_preview1" "no_such_call" (func))"#, .wasi),
    ])
    func refusesWrongSignaturesAndUnknownCalls(_ entry: String, _ abi: GuestABI) throws {
        let module = try GuestFixtures.wasm(Self.module(importing: entry, abi: abi))
        let error = #expect(throws: SandboxError.self) {
            try ModuleValidation.validate(module: module, abi: abi, grants: Grants(clock: true))
        }
        #expect(error?.code == .invalidFunction)
    }
}
