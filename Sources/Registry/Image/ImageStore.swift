/// Where images are kept, by digest. The local folder (``FileImageStore``) here; an object store
/// can replace it without touching callers.
public protocol ImageStore: Sendable {
    /// Compresses and stores the canonical bytes of the image `digest`, durably, before returning.
    /// Storing a digest that is already present keeps the present blob if it still verifies, and replaces it otherwise.
    /// - Returns: the stored (compressed) size in bytes.
    func put(digest: String, canonical: [UInt8]) throws(RegistryError) -> Int

    /// The canonical bytes of image `digest`, verified against the digest.
    /// - Throws: `not_found` when absent, `unavailable` when it no longer matches its digest.
    func get(digest: String) throws(RegistryError) -> [UInt8]

    /// Whether image `digest` is stored.
    func contains(digest: String) -> Bool

    /// Deletes image `digest` if present.
    func remove(digest: String) throws(RegistryError)

    /// Deletes every image not in `keeping` and every half-written temporary file.
    /// - Returns: how many images and temporaries were deleted.
    @discardableResult
    func collect(keeping: Set<String>) throws(RegistryError) -> (images: Int, temporaries: Int)
}
