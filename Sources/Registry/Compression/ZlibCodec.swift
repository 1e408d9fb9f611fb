import CompressNIO
import NIOCore

/// One-shot zlib compression and size-bounded decompression of byte arrays, for images and for
/// writing archives.
public enum ZlibCodec {
    /// The container around the deflate stream.
    public enum Format: Sendable {
        /// gzip (RFC 1952), with a CRC-32: archives.
        case gzip
        /// zlib (RFC 1950), with an Adler-32: images.
        case zlib

        var algorithm: ZlibAlgorithm { self == .gzip ? .gzip : .zlib }
    }

    /// Compresses `bytes` in one pass.
    /// - Parameters:
    ///   - algorithm: `.gzip` for archives, `.zlib` (with its Adler-32) for images.
    ///   - level: 0 (store) … 9 (smallest); 1 is fastest.
    public static func compress(_ bytes: [UInt8], algorithm: Format, level: Int32 = 6) throws -> [UInt8] {
        var input = ByteBufferAllocator().buffer(capacity: bytes.count)
        input.writeBytes(bytes)
        let compressor = try ZlibCompressor(
            algorithm: algorithm.algorithm, configuration: ZlibConfiguration(windowSize: 15, compressionLevel: level, memoryLevel: 8))
        var output = ByteBufferAllocator().buffer(capacity: compressor.maxSize(from: input))
        try compressor.deflate(from: &input, to: &output, flush: .finish)
        return Array(output.readableBytesView)
    }

    /// Decompresses a stream that must inflate to exactly `size` bytes and end there.
    ///
    /// The output is allocated once at `size`, so a corrupt or hostile stream cannot make it grow.
    /// - Returns: the bytes, or `nil` when the stream is corrupt, truncated, longer or shorter than `size`.
    public static func decompress(_ bytes: [UInt8], algorithm: Format, size: Int) -> [UInt8]? {
        guard size >= 0, let inflater = try? ZlibDecompressor(algorithm: algorithm.algorithm, windowSize: 15) else { return nil }
        var input = ByteBufferAllocator().buffer(capacity: bytes.count)
        input.writeBytes(bytes)
        var output = ByteBufferAllocator().buffer(capacity: max(size, 1))
        do {
            try inflater.inflate(from: &input, to: &output)
            // Reaching here means the stream ended, or zlib used all the input and wants more;
            // a call with nothing left tells the two apart.
            try inflater.inflate(from: &input, to: &output)
        } catch {
            return nil
        }
        guard output.readableBytes == size, input.readableBytes == 0 else { return nil }
        return Array(output.readableBytesView)
    }
}
