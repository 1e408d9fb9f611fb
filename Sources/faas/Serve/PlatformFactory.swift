import ArgumentParser
import Gateway
import Logging

/// What `faas serve` needs to build its platform.
struct ServeOptions: Sendable {
    /// Holds `registry.sqlite` and `images/`.
    var dataDirectory: String
    var logger: Logger
}

/// Builds the platform behind `faas serve`: the registry in the data folder and the scheduler over it.
enum PlatformFactory {
    static func make(_ options: ServeOptions) async throws -> any FunctionPlatform {
        // The scheduler and the registry are wired here when they are linked into this executable.
        throw ValidationError("this build of faas has no scheduler linked in: `faas serve` is unavailable")
    }
}
