import Foundation

/// The canonical byte layout of an image, the input of its digest:
///
/// ```
/// "cvmfaas-image/1\n"
/// u32 length, manifest canonical JSON
/// u64 length, module
/// u32 count, then per file in byte order of path: u32 length, path (UTF-8), u64 length, bytes
/// ```
/// Integers are little-endian. Any change to this layout changes the magic.
enum ImageEncoding {
    static let magic = Array("cvmfaas-image/1\n".utf8)

    static func encode(manifestJSON: [UInt8], module: [UInt8], files: [String: [UInt8]]) -> [UInt8] {
        let paths = files.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        var size = magic.count + 4 + manifestJSON.count + 8 + module.count + 4
        for path in paths { size += 4 + path.utf8.count + 8 + files[path]!.count }
        var out: [UInt8] = []
        out.reserveCapacity(size)
        out += magic
        append(UInt32(manifestJSON.count), to: &out)
        out += manifestJSON
        append(UInt64(module.count), to: &out)
        out += module
        append(UInt32(paths.count), to: &out)
        for path in paths {
            append(UInt32(path.utf8.count), to: &out)
            out += Array(path.utf8)
            let bytes = files[path]!
            append(UInt64(bytes.count), to: &out)
            out += bytes
        }
        return out
    }

    /// Parses canonical bytes back into an image (whose digest the caller has already verified).
    /// - Throws: `unavailable` when the layout is broken.
    static func decode(_ bytes: [UInt8], digest: String) throws(RegistryError) -> FunctionImage {
        var reader = Reader(bytes: bytes)
        guard reader.take(magic.count).map(Array.init) == magic else { throw .storage("image \(digest) has an unknown format") }
        guard let manifestLength = reader.uint32(), let manifestJSON = reader.take(Int(manifestLength)),
            let moduleLength = reader.uint64(), moduleLength <= UInt64(bytes.count),
            let module = reader.take(Int(moduleLength)), let count = reader.uint32()
        else { throw .storage("image \(digest) is malformed") }
        var files: [String: [UInt8]] = [:]
        for _ in 0..<count {
            guard let pathLength = reader.uint32(), let path = reader.take(Int(pathLength)),
                let length = reader.uint64(), length <= UInt64(bytes.count), let data = reader.take(Int(length)),
                let name = String(validating: path, as: UTF8.self)
            else { throw .storage("image \(digest) is malformed") }
            files[name] = Array(data)
        }
        guard reader.offset == bytes.count else { throw .storage("image \(digest) has trailing bytes") }
        let manifest: Manifest
        do { manifest = try JSONDecoder().decode(Manifest.self, from: Data(manifestJSON)) } catch {
            throw .storage("image \(digest) holds an unreadable manifest: \(error)")
        }
        return FunctionImage(manifest: manifest, module: Array(module), files: files, digest: digest)
    }

    private static func append<T: FixedWidthInteger>(_ value: T, to out: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { out += $0 }
    }

    private struct Reader {
        let bytes: [UInt8]
        var offset = 0

        mutating func take(_ count: Int) -> ArraySlice<UInt8>? {
            guard count >= 0, count <= bytes.count - offset else { return nil }
            defer { offset += count }
            return bytes[offset..<(offset + count)]
        }

        mutating func uint32() -> UInt32? {
            guard let raw = take(4) else { return nil }
            return raw.reversed().reduce(0) { $0 << 8 | UInt32($1) }
        }

        mutating func uint64() -> UInt64? {
            guard let raw = take(8) else { return nil }
            return raw.reversed().reduce(0) { $0 << 8 | UInt64($1) }
        }
    }
}
