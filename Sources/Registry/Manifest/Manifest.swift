public import Sandbox

/// A function's `function.yaml`, typed, with every SPEC default filled in.
///
/// Parse one with ``Manifest/parse(yaml:)``; the deploy path also checks it against its archive
/// (``Manifest/check(against:)``). Values are in base units: bytes and `Duration`s.
public struct Manifest: Sendable, Equatable {
    /// `^[a-z][a-z0-9-]{0,62}$`.
    public var name: String
    /// Path of the WebAssembly module inside the archive (normalised); empty with a `runtime`.
    public var module: String
    public var abi: GuestABI = .wasi
    public var description: String = ""
    /// Linear memory ceiling in bytes (64 KiB … 4 GiB).
    public var memory: UInt64 = Manifest.defaultMemory
    /// Wall-clock limit per invocation (0 < timeout ≤ 300 s).
    public var timeout: Duration = .seconds(5)
    /// Compartments running at once.
    public var concurrency: Int = 8
    /// Invocations waiting for a compartment; beyond it 429.
    public var queue: Int = 64
    /// Pre-sealed compartments kept while idle; 0 scales to zero.
    public var warm: Int = 1
    /// How long compartments beyond `warm` live idle; zero destroys them after each invocation.
    public var keepAlive: Duration = .seconds(600)
    public var state: StatePolicy = .reset
    public var response: ResponseMode = .raw
    /// May be invoked without a token when the server has one (manifest key `public`).
    public var isPublic: Bool = true
    /// The invocation environment, in the order written.
    public var env: [HTTPField] = []
    public var capabilities: Grants = .none
    /// Extra attempts of a failed async invocation (0 … 10).
    public var retries: Int = Manifest.defaultRetries
    /// When the function runs by itself, if it does.
    public var schedule: ManifestSchedule?
    /// The platform runtime that runs `handler` (v2 `runtime: js`); nil for a function with its own module.
    public var runtime: GuestRuntime?
    /// With a runtime: the script it runs, a path inside the archive (normalised).
    public var handler: String?
    /// The command `faas build` / `faas deploy DIR` runs before packing (v2); stored, never run here.
    public var build: String?

    public static let defaultMemory: UInt64 = 64 << 20
    public static let maxMemory: UInt64 = 4 << 30
    public static let minMemory: UInt64 = 64 << 10
    public static let maxTimeout: Duration = .seconds(300)
    public static let maxKeepAlive: Duration = .seconds(24 * 3600)
    public static let maxConcurrency = 1024
    public static let maxQueue = 100_000
    public static let maxDescriptionBytes = 4096
    public static let defaultRetries = 2
    public static let maxRetries = 10

    /// A manifest with the SPEC defaults for everything but `name` and `module`.
    public init(name: String, module: String) {
        self.name = name
        self.module = module
    }

    /// Whether `name` is a valid function name: `^[a-z][a-z0-9-]{0,62}$`.
    public static func isValidName(_ name: String) -> Bool { NameSyntax.isValidName(name) }

    /// The compartment configuration of `version` of this function.
    public func imageDescriptor(version: Int) -> ImageDescriptor {
        ImageDescriptor(
            function: name, version: version, abi: abi, state: state, response: response, env: env,
            grants: capabilities, limits: CompartmentLimits(memoryBytes: memory, timeout: timeout), runtime: runtime)
    }
}

/// `schedule:` as written and as parsed.
public struct ManifestSchedule: Sendable, Equatable {
    public var text: String
    public var schedule: Schedule

    public init(text: String, schedule: Schedule) {
        self.text = text
        self.schedule = schedule
    }
}
