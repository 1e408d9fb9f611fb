import Foundation
public import Logging
import NIOCore
import PostgresNIO
public import Registry

/// Images in the shared registry, by digest, with a cache on this node's disk.
///
/// The database holds each image's canonical bytes in rows of at most 1 MiB (`image_chunks`, far
/// under PostgreSQL's 1 GB field limit; TOAST compresses them). A node reads an image from its
/// cache (a ``FileImageStore``, verified against the digest on every read) and fetches it from the
/// database once, on the first miss or when the cached copy no longer verifies.
///
/// Removal and collection spare images stored in the last ``graceSeconds``: another node may be
/// between storing an image and committing the version that names it (the version's insert checks
/// that its image is still there, so a lost race fails that deploy with 503 rather than a version
/// without an image).
public final class PostgresImageStore: ImageStore {
    let database: RegistryDatabase
    /// This node's copies.
    public let cache: FileImageStore
    private let logger: Logger
    static let chunkBytes = 1 << 20
    static let graceSeconds: Double = 600

    public init(database: RegistryDatabase, cache: FileImageStore, logger: Logger) {
        self.database = database
        self.cache = cache
        self.logger = logger
    }

    public func put(digest: String, canonical: [UInt8]) throws(RegistryError) -> Int {
        let compressed = try cache.put(digest: digest, canonical: canonical)
        let chunks = stride(from: 0, to: max(canonical.count, 1), by: Self.chunkBytes).map { start in
            ByteBuffer(bytes: canonical[start..<min(start + Self.chunkBytes, canonical.count)])
        }
        let size = canonical.count
        let now = Date().timeIntervalSince1970
        let logger = logger
        try database.blocking("store image \(digest)", transaction: true) { connection in
            let inserted = try await connection.query(
                """
                INSERT INTO images (digest, size, chunks, stored) VALUES (\(digest), \(size), \(chunks.count), \(now))
                ON CONFLICT (digest) DO UPDATE SET stored = excluded.stored
                RETURNING (xmax = 0) AS inserted
                """, logger: logger
            ).decode(Bool.self)
            var isNew = false
            for try await value in inserted { isNew = value }
            guard isNew else { return }  // stored already (the same digest is the same bytes)
            for (index, chunk) in chunks.enumerated() {
                try await connection.query(
                    "INSERT INTO image_chunks (digest, index, bytes) VALUES (\(digest), \(index), \(chunk))", logger: logger)
            }
        }
        return compressed
    }

    public func get(digest: String) throws(RegistryError) -> [UInt8] {
        do {
            return try cache.get(digest: digest)
        } catch where error.code == .notFound {
            // Not fetched yet.
        } catch {
            logger.warning("cached image does not verify; fetching it again", metadata: ["faas.digest": "\(digest)"])
        }
        let logger = logger
        let fetched = try database.blocking("read image \(digest)") { connection -> [UInt8]? in
            var header: (Int, Int)?
            for try await row in try await connection.query(
                "SELECT size, chunks FROM images WHERE digest = \(digest)", logger: logger
            ).decode((Int, Int).self) {
                header = row
            }
            guard let (size, count) = header else { return nil }
            var bytes: [UInt8] = []
            bytes.reserveCapacity(size)
            var next = 0
            for try await (index, chunk) in try await connection.query(
                "SELECT index, bytes FROM image_chunks WHERE digest = \(digest) ORDER BY index", logger: logger
            ).decode((Int, ByteBuffer).self) {
                guard index == next else { break }
                bytes += chunk.readableBytesView
                next += 1
            }
            guard next == count, bytes.count == size else {
                throw RegistryError(.unavailable, "image \(digest) is incomplete in the registry; it will not be run")
            }
            return bytes
        }
        guard let fetched else { throw RegistryError(.notFound, "image \(digest) is missing from the registry") }
        _ = try cache.put(digest: digest, canonical: fetched)
        return try cache.get(digest: digest)  // verifies the digest
    }

    public func contains(digest: String) -> Bool {
        if cache.contains(digest: digest) { return true }
        let logger = logger
        return (try? database.blocking("look up image \(digest)") { connection in
            try await !connection.query("SELECT 1 FROM images WHERE digest = \(digest)", logger: logger).all().isEmpty
        }) ?? false
    }

    public func remove(digest: String) throws(RegistryError) {
        let before = Date().timeIntervalSince1970 - Self.graceSeconds
        let logger = logger
        try database.blocking("delete image \(digest)") { connection in
            try await connection.query(
                """
                DELETE FROM images WHERE digest = \(digest) AND stored < \(before)
                AND NOT EXISTS (SELECT 1 FROM versions WHERE digest = \(digest))
                """, logger: logger)
        }
        try cache.remove(digest: digest)
    }

    @discardableResult
    public func collect(keeping: Set<String>) throws(RegistryError) -> (images: Int, temporaries: Int) {
        let before = Date().timeIntervalSince1970 - Self.graceSeconds
        let logger = logger
        let removed = try database.blocking("collect images") { connection in
            try await connection.query(
                """
                DELETE FROM images i WHERE stored < \(before)
                AND NOT EXISTS (SELECT 1 FROM versions v WHERE v.digest = i.digest) RETURNING digest
                """, logger: logger
            ).all().count
        }
        let local = try cache.collect(keeping: keeping)
        return (removed + local.images, local.temporaries)
    }
}
