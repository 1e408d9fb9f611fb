public import Foundation
import Registry
public import Logging

/// Builds (if needed) and deploys the bundled examples of `functions/` for `faas serve --examples`.
///
/// The examples' own script, `functions/build.sh`, compiles what changed and packs
/// `functions/build/NAME.tar.gz`; each archive is then deployed through the platform.
public struct ExampleDeployer: Sendable {
    /// The `functions/` folder.
    public let directory: URL
    private let logger: Logger

    public init(directory: URL, logger: Logger) {
        self.directory = directory
        self.logger = logger
    }

    /// The examples folder: `$FAAS_EXAMPLES`, else `./functions`, else `functions/` above the executable
    /// (the package root of `.build/<triple>/<config>/faas`).
    public static func locate(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL? {
        var candidates: [URL] = []
        if let explicit = environment["FAAS_EXAMPLES"], !explicit.isEmpty {
            candidates.append(URL(fileURLWithPath: explicit))
        }
        candidates.append(URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("functions"))
        var folder = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<4 {
            folder = folder.deletingLastPathComponent()
            candidates.append(folder.appendingPathComponent("functions"))
        }
        return candidates.first { FileManager.default.fileExists(atPath: $0.appendingPathComponent("build.sh").path) }
    }

    /// The platform's JavaScript runtime as `build.sh` builds it: `build/runtime/js.wasm`.
    public var javaScriptRuntime: URL {
        directory.appendingPathComponent("build/runtime/js.wasm")
    }

    /// Runs `build.sh` (unless `building` is false: the caller ran ``build()``), then deploys every
    /// `build/*.tar.gz` in name order.
    /// - Returns: what was deployed; an example that fails to deploy is logged and skipped.
    /// - Throws: ``PlatformError`` (`unavailable`) when the build script fails.
    @discardableResult
    public func deployAll(to platform: any FunctionPlatform, building: Bool = true) async throws(PlatformError)
        -> [DeployResult]
    {
        if building { try await build() }
        let output = directory.appendingPathComponent("build")
        let archives = ((try? FileManager.default.contentsOfDirectory(atPath: output.path)) ?? [])
            .filter { $0.hasSuffix(".tar.gz") }
            .sorted()
        var deployed: [DeployResult] = []
        for name in archives {
            guard let bytes = FileManager.default.contents(atPath: output.appendingPathComponent(name).path) else {
                logger.warning("cannot read example archive", metadata: ["faas.archive": "\(name)"])
                continue
            }
            if let current = await currentVersion(of: Array(bytes), on: platform) {
                // A restart with the same examples keeps their versions instead of adding copies.
                logger.info("example unchanged", metadata: ["faas.function": "\(current.name)", "faas.version": "\(current.version)"])
                continue
            }
            do {
                let result = try await platform.deploy(archive: Array(bytes))
                logger.info("example deployed", metadata: ["faas.function": "\(result.name)", "faas.version": "\(result.version)"])
                deployed.append(result)
            } catch {
                logger.warning("example not deployed", metadata: ["faas.archive": "\(name)", "faas.error": "\(error.code.rawValue): \(error.message)"])
            }
        }
        return deployed
    }

    /// The function and version already serving exactly this archive's image, if any.
    private func currentVersion(of archive: [UInt8], on platform: any FunctionPlatform) async -> (name: String, version: Int)? {
        guard let prepared = try? FunctionRegistry.prepare(archive: archive, limits: ArchiveLimits()),
            let info = try? await platform.info(function: prepared.image.manifest.name),
            info.versions.first(where: { $0.version == info.version })?.digest == prepared.image.digest
        else { return nil }
        return (info.name, info.version)
    }

    /// Runs `build.sh`, which builds what changed.
    /// - Throws: ``PlatformError`` (`unavailable`) when it fails.
    public func build() async throws(PlatformError) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["bash", directory.appendingPathComponent("build.sh").path]
        process.currentDirectoryURL = directory
        let status: Int32
        do {
            status = try await withCheckedThrowingContinuation { continuation in
                process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
                do {
                    try process.run()
                } catch {
                    process.terminationHandler = nil
                    continuation.resume(throwing: error)
                }
            }
        } catch {
            throw PlatformError(.unavailable, "cannot run \(directory.path)/build.sh: \(error)")
        }
        guard status == 0 else {
            throw PlatformError(.unavailable, "\(directory.path)/build.sh failed with status \(status)")
        }
    }
}
