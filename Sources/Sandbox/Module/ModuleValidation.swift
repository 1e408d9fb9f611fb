@_spi(Fuzzing) import WasmKit

/// Deploy-time checks of a guest module: it parses, its imports are satisfiable by the ABI and the
/// granted capabilities, and it exports the entry points its ABI needs.
public enum ModuleValidation {
    /// The grant an `intravisor` import needs.
    enum Requirement: Sendable {
        case always, clock, random, files, invoke, http, kv

        func isMet(by grants: Grants) -> Bool {
            switch self {
            case .always: true
            case .clock: grants.clock
            case .random: grants.random
            case .files: !grants.files.isEmpty
            case .invoke: !grants.invoke.isEmpty
            case .http: !grants.http.isEmpty
            case .kv: !grants.kv.isEmpty
            }
        }

        /// The manifest key that grants it.
        var key: String {
            switch self {
            case .always: "none"
            case .clock: "capabilities.clock"
            case .random: "capabilities.random"
            case .files: "capabilities.files"
            case .invoke: "capabilities.invoke"
            case .http: "capabilities.http"
            case .kv: "capabilities.kv"
            }
        }
    }

    /// The `intravisor` imports of SPEC.md and the grant each needs.
    static let intravisorImports: [String: Requirement] = [
        "request_len": .always, "request_read": .always, "response_write": .always, "response_status": .always,
        "response_header": .always, "log": .always, "clock_ns": .clock, "random": .random,
        "cap_open": .files, "cap_len": .always, "cap_read": .always, "cap_restrict": .always,
        "cap_drop": .always, "call": .invoke, "call_status": .always,
        "http_request": .http, "http_status": .http, "http_header": .http,
        "kv_get": .kv, "kv_set": .kv, "kv_delete": .kv, "kv_incr": .kv, "kv_cas": .kv, "kv_keys": .kv,
    ]

    /// Validates `bytes` as a module for `abi` under `grants`.
    ///
    /// - Throws: `SandboxError` with code `invalid_function` naming the validation error, the
    ///   unsatisfiable import or the missing export.
    public static func validate(module bytes: [UInt8], abi: GuestABI, grants: Grants) throws(SandboxError) {
        let module: Module
        do {
            module = try parseWasm(bytes: bytes)
        } catch {
            throw SandboxError(.invalidFunction, "module is not valid WebAssembly: \(error)")
        }
        for entry in module.imports {
            guard case .function(let typeIndex) = entry.descriptor else {
                throw SandboxError(
                    .invalidFunction, "import \(entry.module).\(entry.name) is not a function; only function imports are provided")
            }
            switch (abi, entry.module) {
            case (.iv, "intravisor"), (.wasi, "intravisor"):
                if abi == .wasi, !HostcallSignatures.isAvailableToWASI(entry.name) {
                    throw SandboxError(
                        .invalidFunction,
                        "import intravisor.\(entry.name) is not available under abi wasi (its request and response are stdin and stdout)")
                }
                guard let needs = intravisorImports[entry.name] else {
                    throw SandboxError(.invalidFunction, "unknown import intravisor.\(entry.name)")
                }
                if !needs.isMet(by: grants) {
                    throw SandboxError(
                        .invalidFunction, "import intravisor.\(entry.name) needs a capability the manifest does not grant (\(needs.key))")
                }
            case (.wasi, "wasi_snapshot_preview1"):
                guard HostcallSignatures.wasi[entry.name] != nil else {
                    throw SandboxError(.invalidFunction, "unknown import wasi_snapshot_preview1.\(entry.name)")
                }
            default:
                throw SandboxError(
                    .invalidFunction, "import \(entry.module).\(entry.name) cannot be satisfied under abi \(abi.rawValue)")
            }
            let expected = HostcallSignatures.signature(module: entry.module, name: entry.name, abi: abi)
            guard let actual = module.functionType(at: typeIndex), actual == expected else {
                throw SandboxError(
                    .invalidFunction,
                    "import \(entry.module).\(entry.name) has the wrong signature; expected \(expected.map { "\($0)" } ?? "none")")
            }
        }
        let exported = Set(module.exports.map(\.name))
        let entry = abi == .iv ? "iv_main" : "_start"
        guard exported.contains(entry) else {
            throw SandboxError(.invalidFunction, "module does not export \(entry), which abi \(abi.rawValue) needs")
        }
        guard exported.contains("memory") else {
            throw SandboxError(.invalidFunction, "module does not export its memory as \"memory\"")
        }
    }
}
