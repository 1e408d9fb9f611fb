/// The calling convention a function's module is written against (SPEC "Guest ABIs").
public enum GuestABI: String, Sendable, Equatable, CaseIterable {
    /// A WASI preview 1 command: `_start`, stdin is the body, stdout the response.
    case wasi
    /// The Intravisor reactor ABI: `iv_init` once, `iv_main` per invocation, `intravisor` imports.
    case iv
}

/// A language runtime the platform ships, which runs a function's scripts (v2 `runtime:`).
///
/// Its module is the platform's, not the function's: an `iv` reactor that may also import WASI preview 1
/// (for the C library it is built on) besides every `intravisor` function. It reads the function's
/// scripts as CAP-Files in `iv_init`, which is why its compartments start from copies of that state.
public enum GuestRuntime: String, Sendable, Equatable, CaseIterable {
    /// JavaScript (`runtime: js`): a JavaScript engine compiled to WebAssembly.
    case js
}

/// What a function's manifest grants beyond the hostcalls every compartment has.
///
/// Least privilege: nothing is granted unless listed (SPEC `capabilities`).
public struct Grants: Sendable, Equatable, Hashable {
    /// Wall and monotonic clocks.
    public var clock: Bool
    /// Random bytes.
    public var random: Bool
    /// Read-only CAP-Files: archive paths; a trailing `/` grants a whole folder.
    public var files: [String]
    /// Functions this one may call through CAP-Calls.
    public var invoke: [String]
    /// Where outbound HTTP requests may go (v2 `capabilities.http`).
    public var http: [HTTPGrant]
    /// Key-value stores this function may read and write (v2 `capabilities.kv`).
    public var kv: [String]

    public init(
        clock: Bool = false, random: Bool = false, files: [String] = [], invoke: [String] = [],
        http: [HTTPGrant] = [], kv: [String] = []
    ) {
        self.clock = clock
        self.random = random
        self.files = files
        self.invoke = invoke
        self.http = http
        self.kv = kv
    }

    /// Nothing granted.
    public static let none = Grants()
}
