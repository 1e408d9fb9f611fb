import Foundation
public import Logging
public import Sandbox
import Synchronization

/// The function registry: deploys archives into immutable versions, keeps their images, tracks
/// the current version of each function, and holds the activation history.
///
/// A facade over a ``FunctionStore`` (SQLite), an ``ImageStore`` (a local folder) and an
/// ``ActivationLog``. Every method is safe to call from any thread; each blocks on I/O, so async
/// callers run them off the cooperative pool.
///
/// ```swift
/// let registry = try FunctionRegistry.open(directory: ".faas", logger: logger)
/// let deployed = try registry.deploy(archive: bytes)           // version 1, current
/// let (version, image) = try registry.image(function: "hello", version: nil)
/// ```
public final class FunctionRegistry: Sendable {
    /// The activation history (batched writes off the invocation path).
    public let activations: ActivationLog
    /// The registry of functions and versions.
    public let functions: any FunctionStore
    /// The image blobs.
    public let images: any ImageStore
    /// The durable queue of async activations and the claims of schedule ticks.
    public let queue: any AsyncQueueStore
    /// The key-value stores of `capabilities.kv`.
    public let keyValue: any KeyValueStore
    /// The nodes sharing this registry (heartbeats).
    public let nodes: any NodeDirectory
    /// Whether other nodes may change functions behind this process's back (a shared registry):
    /// then the scheduler re-reads them when told of a change and every few seconds.
    public let isShared: Bool
    public let limits: ArchiveLimits
    private let logger: Logger
    /// Digests between "image stored" and "version committed", which removal must not collect.
    private let inFlight = Mutex<[String: Int]>([:])

    /// Assembles a registry from its stores (the seam for other backends).
    public init(
        functions: any FunctionStore, images: any ImageStore, activations: ActivationLog, queue: any AsyncQueueStore,
        keyValue: any KeyValueStore, nodes: any NodeDirectory = LocalNodeDirectory(), isShared: Bool = false,
        limits: ArchiveLimits, logger: Logger
    ) {
        self.keyValue = keyValue
        self.nodes = nodes
        self.isShared = isShared
        self.functions = functions
        self.images = images
        self.queue = queue
        self.activations = activations
        self.limits = limits
        self.logger = logger
    }

    /// Opens the data directory (`registry.sqlite` and `images/`), creating it if needed, and
    /// deletes images no version names and temporaries a crash left behind.
    /// - Throws: `RegistryError` (`unavailable`) when the directory or database cannot be opened.
    public static func open(
        directory: String, limits: ArchiveLimits = .init(), activationLimits: ActivationLimits = .init(),
        kvQuota: Int = KeyValueRules.defaultQuotaBytes, logger: Logger
    ) throws -> FunctionRegistry {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw RegistryError.storage("cannot create the data directory \(directory): \(error.localizedDescription)")
        }
        let store = try SQLiteFunctionStore(path: directory + "/registry.sqlite")
        let images = try FileImageStore(directory: directory + "/images")
        let collected = try images.collect(keeping: store.referencedDigests())
        if collected.images + collected.temporaries > 0 {
            logger.info(
                "collected unreferenced images",
                metadata: ["faas.images": "\(collected.images)", "faas.temporaries": "\(collected.temporaries)"])
        }
        let log = ActivationLog(store: store, limits: activationLimits, logger: logger)
        return FunctionRegistry(
            functions: store, images: images, activations: log,
            queue: SQLiteAsyncQueue(store: store, limits: activationLimits),
            keyValue: try SQLiteKeyValueStore(path: directory + "/kv.sqlite", quotaBytes: kvQuota), limits: limits,
            logger: logger)
    }

    // MARK: - Deploy

    /// Deploys a `fn.tar.gz`: reads it under the limits, parses and checks the manifest, validates
    /// the module, stores the image and records a new version, which becomes current.
    ///
    /// Nothing is stored unless every check passes; the image is durable before the version is.
    /// - Parameter check: a further check of the image before anything is stored (the scheduler loads
    ///   a runtime function's scripts with it); what it throws is what the deploy throws.
    /// - Throws: `invalid_archive` (400) or `invalid_function` (422) naming what to fix;
    ///   `unavailable` when storage fails.
    public func deploy(
        archive bytes: [UInt8], check: (FunctionImage) throws(RegistryError) -> Void = { _ in }
    ) throws(RegistryError) -> DeployResult {
        let prepared = try Self.prepare(archive: bytes, limits: limits)
        try check(prepared.image)
        let digest = prepared.image.digest
        inFlight.withLock { $0[digest, default: 0] += 1 }
        defer {
            inFlight.withLock { entries in
                entries[digest, default: 1] -= 1
                if entries[digest] == 0 { entries[digest] = nil }
            }
        }
        let compressedSize = try images.put(digest: digest, canonical: prepared.canonical)
        let info = try functions.addVersion(
            manifest: prepared.image.manifest, digest: digest, size: prepared.canonical.count,
            compressedSize: compressedSize, created: Date())
        logger.info(
            "deployed",
            metadata: [
                "faas.function": "\(prepared.image.manifest.name)", "faas.version": "\(info.version)",
                "faas.digest": "\(digest)",
            ])
        return DeployResult(
            name: prepared.image.manifest.name, version: info.version, digest: digest, size: prepared.canonical.count,
            compressedSize: compressedSize)
    }

    /// Reads and checks an archive into its image without storing anything.
    /// - Returns: the image and its canonical bytes.
    public static func prepare(
        archive bytes: [UInt8], limits: ArchiveLimits
    ) throws(RegistryError) -> (image: FunctionImage, canonical: [UInt8]) {
        let archive = try FunctionArchive.read(bytes, limits: limits)
        guard let yamlBytes = archive.files[Manifest.fileName] else {
            let nested = archive.files.keys.filter { $0.hasSuffix("/" + Manifest.fileName) }.sorted().first
            let hint = nested.map { " (found \($0): pack the folder's contents, not the folder)" } ?? ""
            throw .archive("archive has no \(Manifest.fileName) at its root\(hint)")
        }
        guard let yaml = String(validating: yamlBytes, as: UTF8.self) else {
            throw .function("\(Manifest.fileName) is not UTF-8 text")
        }
        let manifest = try Manifest.parse(yaml: yaml)
        let (module, files) = try manifest.select(from: archive)
        if manifest.runtime == nil {
            do {
                try ModuleValidation.validate(module: module, abi: manifest.abi, grants: manifest.capabilities)
            } catch {
                throw .function("module \(manifest.module): \(error.message)")
            }
        }
        let image = try FunctionImage(manifest: manifest, module: module, files: files)
        return (image, try image.canonicalEncoding())
    }

    // MARK: - Reading

    /// Every function with its current version, by name.
    public func list() throws(RegistryError) -> [FunctionSummary] {
        try functions.summaries()
    }

    /// A function's current manifest and versions, or `nil` when there is no such function.
    public func function(named name: String) throws(RegistryError) -> FunctionDetail? {
        try functions.detail(name: name)
    }

    /// The image of `version` of `function` (the current version when `nil`), verified against its digest.
    /// - Throws: `not_found` for an unknown function or version; `unavailable` for a missing or corrupt image.
    public func image(function name: String, version: Int?) throws(RegistryError) -> (version: Int, image: FunctionImage) {
        guard let record = try functions.version(name: name, version: version) else {
            if let version, try functions.version(name: name, version: nil) != nil {
                throw RegistryError(.notFound, "function \(name) has no version \(version)")
            }
            throw RegistryError(.notFound, "function \(name) does not exist")
        }
        let canonical: [UInt8]
        do {
            canonical = try images.get(digest: record.info.digest)
        } catch where error.code == .notFound {
            throw .storage("image \(record.info.digest) of \(name) version \(record.info.version) is missing")
        }
        return (record.info.version, try ImageEncoding.decode(canonical, digest: record.info.digest))
    }

    // MARK: - Changing

    /// Makes `version` current (the previous version when `nil`).
    /// - Throws: `not_found` when the function or version does not exist.
    @discardableResult
    public func rollback(function name: String, to version: Int?) throws(RegistryError) -> VersionInfo {
        let info = try functions.setCurrent(name: name, version: version)
        logger.info("rolled back", metadata: ["faas.function": "\(name)", "faas.version": "\(info.version)"])
        return info
    }

    /// Removes a function and its versions, and deletes the images no other version names.
    /// - Throws: `not_found` when there is no such function.
    public func remove(function name: String) throws(RegistryError) {
        guard let digests = try functions.remove(name: name) else {
            throw RegistryError(.notFound, "function \(name) does not exist")
        }
        try inFlight.withLock { (entries) throws(RegistryError) in
            let referenced = try functions.referencedDigests()
            for digest in digests where !referenced.contains(digest) && entries[digest] == nil {
                try images.remove(digest: digest)
            }
        }
        logger.info("removed", metadata: ["faas.function": "\(name)"])
    }

    /// Stores pending activation records and closes the database.
    public func close() {
        activations.close()
        queue.close()
        keyValue.close()
        functions.close()
    }
}
