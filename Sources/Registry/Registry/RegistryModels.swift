public import Foundation

/// What a deploy answers (`201` body of `POST /functions`).
public struct DeployResult: Sendable, Equatable {
    public var name: String
    public var version: Int
    /// Digest of the version's image.
    public var digest: String
    /// Bytes of the canonical image.
    public var size: Int
    /// Bytes of the compressed image on disk.
    public var compressedSize: Int
}

/// One immutable version of a function.
public struct VersionInfo: Sendable, Equatable {
    public var version: Int
    public var digest: String
    /// Bytes of the canonical image.
    public var size: Int
    /// Bytes of the compressed image on disk.
    public var compressedSize: Int
    public var created: Date

    public init(version: Int, digest: String, size: Int, compressedSize: Int, created: Date) {
        self.version = version
        self.digest = digest
        self.size = size
        self.compressedSize = compressedSize
        self.created = created
    }
}

/// A function in the list (`GET /functions`): its current version.
public struct FunctionSummary: Sendable, Equatable {
    public var name: String
    public var version: Int
    public var description: String
    /// When the current version last changed (deploy or rollback).
    public var updated: Date

    public init(name: String, version: Int, description: String, updated: Date) {
        self.name = name
        self.version = version
        self.description = description
        self.updated = updated
    }
}

/// A function's details (`GET /functions/{name}`): the current version's manifest and every version.
public struct FunctionDetail: Sendable, Equatable {
    public var name: String
    /// The current version.
    public var version: Int
    public var manifest: Manifest
    /// Every version, oldest first.
    public var versions: [VersionInfo]

    public init(name: String, version: Int, manifest: Manifest, versions: [VersionInfo]) {
        self.name = name
        self.version = version
        self.manifest = manifest
        self.versions = versions
    }
}

/// A stored version with the manifest it was deployed with.
public struct VersionRecord: Sendable, Equatable {
    public var function: String
    public var info: VersionInfo
    public var manifest: Manifest

    public init(function: String, info: VersionInfo, manifest: Manifest) {
        self.function = function
        self.info = info
        self.manifest = manifest
    }
}
