import Foundation
import Registry
import Sandbox
import Synchronization

extension Scheduler {
    /// The compartment image of `version` of a stored function image.
    ///
    /// A function with its own module gets an image of that module. A function of a platform runtime
    /// (`runtime: js`) gets an image of the runtime's module, prepared once per process and shared by
    /// every such function, with the function's scripts and ``runtimeConfigurationPath`` as its CAP-Files.
    /// - Throws: `unavailable` when the module cannot be loaded or this node has no such runtime.
    func compartmentImage(of stored: FunctionImage, version: Int) throws(SchedulerFailure) -> CompartmentImage {
        let manifest = stored.manifest
        var descriptor = manifest.imageDescriptor(version: version)
        do {
            guard let runtime = manifest.runtime else {
                return try CompartmentImage(
                    module: stored.module, files: stored.files, descriptor: descriptor, intravisor: intravisor)
            }
            let prepared = try preparedRuntime(runtime)
            var files = stored.files
            files[Self.runtimeConfigurationPath] = Self.runtimeConfiguration(manifest, version: version)
            descriptor.grants.files = files.keys.sorted()
            return try CompartmentImage(module: prepared, files: files, descriptor: descriptor, intravisor: intravisor)
        } catch let failure as SchedulerFailure {
            throw failure
        } catch {
            throw .unavailable("\(manifest.name) v\(version) cannot be loaded: \(error)")
        }
    }

    /// Checks, before a deploy stores anything, what only running it can show: that a runtime function's
    /// handler loads (its scripts parse and it has the entry the runtime needs). It creates one compartment
    /// outside the pools and throws it away.
    ///
    /// The scripts run on the fuel of the function's timeout, so a top level that loops forever is refused
    /// however busy the node is; but they may wait ``deployCheckWait`` of wall clock, so that a correct
    /// function is not refused because the node was too busy to run its check within the timeout.
    /// - Throws: `invalid_function` (422) with the runtime's first line, e.g.
    ///   `index.js:3: SyntaxError: unexpected token`; `unavailable` when this node has no such runtime.
    func checkBeforeDeploy(_ stored: FunctionImage) throws(RegistryError) {
        guard stored.manifest.runtime != nil else { return }
        let image: CompartmentImage
        do {
            image = try compartmentImage(of: stored, version: 0)
        } catch {
            throw RegistryError(.unavailable, error.message)
        }
        do {
            let wait = max(stored.manifest.timeout, Self.deployCheckWait)
            _ = try Compartment(image: image, id: 0, services: hostServices, initDeadline: .now.advanced(by: wait))
        } catch {
            throw RegistryError(.invalidFunction, "handler \(stored.manifest.handler ?? ""): \(error.message)")
        }
    }

    /// The wall clock a deploy check's scripts may take at least (``checkBeforeDeploy(_:)``).
    static let deployCheckWait = Duration.seconds(60)

    /// The runtime's module, prepared on first use.
    private func preparedRuntime(_ runtime: GuestRuntime) throws -> PreparedModule {
        if let prepared = preparedRuntimes.withLock({ $0[runtime] }) { return prepared }
        guard let bytes = configuration.runtimes[runtime] else {
            throw SchedulerFailure.unavailable(
                "this node has no \(runtime.rawValue) runtime (functions/build.sh builds it; faas serve --js-runtime names it)")
        }
        let prepared = try PreparedModule(bytes)
        return preparedRuntimes.withLock { cache in
            if let other = cache[runtime] { return other }
            cache[runtime] = prepared
            return prepared
        }
    }

    /// Where a runtime reads its function's configuration: a CAP-File the platform writes.
    static let runtimeConfigurationPath = Manifest.runtimeFolder + "function.json"

    /// What a runtime needs to know of its function, as JSON: name, version, handler, the manifest's
    /// environment, its stores, and whether it may read the clock and random bytes.
    static func runtimeConfiguration(_ manifest: Manifest, version: Int) -> [UInt8] {
        struct Configuration: Encodable {
            var name: String
            var version: Int
            var handler: String
            var env: [String: String]
            var kv: [String]
            var clock: Bool
            var random: Bool
        }
        let configuration = Configuration(
            name: manifest.name, version: version, handler: manifest.handler ?? "",
            env: Dictionary(manifest.env.map { ($0.name, $0.value) }, uniquingKeysWith: { _, last in last }),
            kv: manifest.capabilities.kv, clock: manifest.capabilities.clock, random: manifest.capabilities.random)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? Array(encoder.encode(configuration))) ?? Array("{}".utf8)
    }
}
