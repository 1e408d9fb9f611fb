import WasmKit

/// Deploy-time checks of a guest module: it parses, its imports are satisfiable by the ABI and the
/// granted capabilities, and it exports the entry points its ABI needs.
public enum ModuleValidation {
    /// The `intravisor` imports and the grant each needs (`nil`: always available).
    static let intravisorImports: [String: KeyPath<Grants, Bool>?] = [
        "request_len": nil, "request_read": nil, "response_write": nil, "response_status": nil,
        "response_header": nil, "log": nil, "clock_ns": \Grants.clock, "random": \Grants.random,
        "cap_open": \Grants.hasFiles, "cap_len": nil, "cap_read": nil, "cap_restrict": nil,
        "cap_drop": nil, "call": \Grants.hasInvoke, "call_status": nil,
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
            guard case .function = entry.descriptor else {
                throw SandboxError(
                    .invalidFunction, "import \(entry.module).\(entry.name) is not a function; only function imports are provided")
            }
            switch (abi, entry.module) {
            case (.iv, "intravisor"):
                guard let needs = intravisorImports[entry.name] else {
                    throw SandboxError(.invalidFunction, "unknown import intravisor.\(entry.name)")
                }
                if let needs, !grants[keyPath: needs] {
                    throw SandboxError(
                        .invalidFunction, "import intravisor.\(entry.name) needs a capability the manifest does not grant")
                }
            case (.wasi, "wasi_snapshot_preview1"):
                continue
            default:
                throw SandboxError(
                    .invalidFunction, "import \(entry.module).\(entry.name) cannot be satisfied under abi \(abi.rawValue)")
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

extension Grants {
    var hasFiles: Bool { !files.isEmpty }
    var hasInvoke: Bool { !invoke.isEmpty }
}
