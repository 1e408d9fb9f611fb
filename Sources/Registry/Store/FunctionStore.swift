public import Foundation

/// Where functions and their versions are recorded. SQLite (``SQLiteFunctionStore``) here; a shared
/// database can replace it without touching callers.
///
/// Versions are immutable and numbered densely from 1 per function; exactly one is current.
public protocol FunctionStore: Sendable {
    /// Records the next version of `manifest.name`, naming the image `digest`, and makes it current,
    /// in one transaction. The image must already be durable.
    func addVersion(
        manifest: Manifest, digest: String, size: Int, compressedSize: Int, created: Date
    ) throws(RegistryError) -> VersionInfo

    /// Every function with its current version, by name.
    func summaries() throws(RegistryError) -> [FunctionSummary]

    /// A function's current manifest and every version, or `nil` when there is no such function.
    func detail(name: String) throws(RegistryError) -> FunctionDetail?

    /// `version` of `name` (the current one when `nil`), or `nil` when either does not exist.
    func version(name: String, version: Int?) throws(RegistryError) -> VersionRecord?

    /// Makes `version` current (the highest version below the current one when `nil`).
    /// - Throws: `not_found` when the function or version does not exist.
    func setCurrent(name: String, version: Int?) throws(RegistryError) -> VersionInfo

    /// Removes a function and all its versions.
    /// - Returns: the digests its versions named, or `nil` when there was no such function.
    func remove(name: String) throws(RegistryError) -> Set<String>?

    /// Every digest some version names.
    func referencedDigests() throws(RegistryError) -> Set<String>

    /// Closes the store; later calls fail.
    func close()
}
