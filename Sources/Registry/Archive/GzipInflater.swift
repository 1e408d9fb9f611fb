import CompressNIO
import NIOCore

/// Streams a gzip archive through zlib in fixed-size windows, handing each decompressed window to a
/// consumer and enforcing the archive limits after every window, so a bomb stops within one window
/// of crossing a limit.
struct GzipInflater {
    let limits: ArchiveLimits
    /// Output window size: the most that is decompressed past a limit before it is noticed.
    var windowBytes: Int = 64 << 10

    private enum Step { case windowFull, needsInput, returned }

    /// Decompresses `archive`, calling `consume` with each window of the tar stream in order.
    ///
    /// Concatenated gzip members are read as one stream (as gzip(1) does); zero padding after the
    /// last member is ignored; anything else after it is refused.
    /// - Returns: the number of decompressed bytes.
    /// - Throws: `invalid_archive` for a stream that is not gzip, is corrupt or truncated, or crosses a limit;
    ///   whatever `consume` throws.
    @discardableResult
    func inflate(
        _ archive: [UInt8], consume: (UnsafeRawBufferPointer) throws(RegistryError) -> Void
    ) throws(RegistryError) -> Int {
        guard archive.count <= limits.compressedBytes else {
            throw .archive("archive is \(archive.count) bytes, more than the \(limits.compressedBytes) bytes allowed")
        }
        guard archive.count >= 18, archive[0] == 0x1f, archive[1] == 0x8b else {
            throw .archive("archive is not gzip-compressed (expected a .tar.gz)")
        }
        let inflater: ZlibDecompressor
        do {
            inflater = try ZlibDecompressor(algorithm: .gzip, windowSize: 15)
        } catch {
            throw .storage("cannot start zlib: \(error)")
        }
        var input = ByteBufferAllocator().buffer(capacity: archive.count)
        input.writeBytes(archive)
        var window = ByteBufferAllocator().buffer(capacity: windowBytes)
        var total = 0

        func drain() throws(RegistryError) {
            let count = window.readableBytes
            guard count > 0 else { return }
            total += count
            guard total <= limits.uncompressedBytes else {
                throw .archive("archive decompresses to more than the \(limits.uncompressedBytes) bytes allowed")
            }
            if total > limits.ratioGraceBytes, total > limits.ratio.multipliedReportingOverflow(by: archive.count).partialValue {
                throw .archive(
                    "archive decompresses more than \(limits.ratio):1 (\(total) bytes from \(archive.count)); refused as a compression bomb")
            }
            var failure: RegistryError?
            window.withUnsafeReadableBytes { bytes in
                do throws(RegistryError) { try consume(bytes) } catch { failure = error }
            }
            window.clear()
            if let failure { throw failure }
        }

        func step(_ from: inout ByteBuffer) throws(RegistryError) -> Step {
            do {
                try inflater.inflate(from: &from, to: &window)
                return .returned
            } catch let error as CompressNIOError where error == .bufferOverflow {
                return .windowFull
            } catch let error as CompressNIOError where error == .inputBufferOverflow {
                return .needsInput
            } catch let error as CompressNIOError where error == .corruptData {
                throw .archive("gzip stream is corrupt (bad deflate data or checksum)")
            } catch {
                throw .archive("gzip stream cannot be decompressed: \(error)")
            }
        }

        while true {
            let result = try step(&input)
            try drain()
            switch result {
            case .windowFull:
                continue
            case .needsInput:
                throw .archive("gzip stream ends early: the archive is truncated")
            case .returned:
                if input.readableBytes == 0 {
                    // Either the member ended exactly at the end of the input, or zlib consumed all the
                    // input and wants more. A call with no input tells the two apart.
                    if case .needsInput = try step(&input) {
                        throw .archive("gzip stream ends early: the archive is truncated")
                    }
                    try drain()
                    return total
                }
                let rest = input.readableBytesView
                if rest.allSatisfy({ $0 == 0 }) { return total }
                guard rest.count >= 2, rest.first == 0x1f, rest.dropFirst().first == 0x8b else {
                    throw .archive("unexpected bytes after the end of the gzip stream")
                }
                do { try inflater.reset() } catch { throw .archive("gzip stream cannot be decompressed: \(error)") }
            }
        }
    }
}
