import Registry
import SandboxTesting
import Testing

@Suite struct ArchiveFuzzTests {
    /// Archives with every kind of entry the reader accepts.
    static func seeds() throws -> [[UInt8]] {
        var rich = ArchiveWriter()
        rich.addFile("function.yaml", contents: Array(Fixtures.manifest().utf8))
        rich.addDirectory("data")
        rich.addFile("data/a.txt", contents: Array(repeating: 0x61, count: 700))
        rich.addFile(String(repeating: "long/", count: 25) + "name", contents: [1, 2, 3])
        rich.addFile(String(repeating: "pax/", count: 80) + "name", contents: [4])
        rich.addFile("hello.wasm", contents: Fixtures.wasiModule)
        return [rich.tarBytes(), BadArchive.tar { _ in }]
    }

    /// 10,000 mutants: bit flips and truncations of the gzip bytes, and header-field edits (with and
    /// without a fixed checksum) of the tar stream. None may crash, and none may yield more than the limits allow.
    @Test func survivesTenThousandMutants() async throws {
        try await onDedicatedThread {
            var random = SeededGenerator(seed: 0x5EED_CAFE)
            let limits = ArchiveLimits(compressedBytes: 1 << 20, uncompressedBytes: 256 << 10, entries: 64, ratio: 200)
            let tars = try Self.seeds()
            let archives = try tars.map { try Fixtures.gzip($0) }
            var accepted = 0, refused = 0
            for round in 0..<10_000 {
                let seed = round % tars.count
                let mutant: [UInt8]
                switch round % 4 {
                case 0:  // bit flips in the compressed bytes
                    var bytes = archives[seed]
                    for _ in 0..<Int.random(in: 1...4, using: &random) {
                        let index = Int.random(in: 0..<bytes.count, using: &random)
                        bytes[index] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &random)
                    }
                    mutant = bytes
                case 1:  // truncation, or random bytes spliced in
                    var bytes = archives[seed]
                    let cut = Int.random(in: 0..<bytes.count, using: &random)
                    if Bool.random(using: &random) {
                        bytes.removeSubrange(cut...)
                    } else {
                        bytes.insert(contentsOf: (0..<8).map { _ in UInt8.random(in: 0...255, using: &random) }, at: cut)
                    }
                    mutant = bytes
                default:  // a header field edited in the tar stream, then compressed properly
                    var tar = tars[seed]
                    let headers = TarSurgery.headerOffsets(tar)
                    let header = headers[Int.random(in: 0..<headers.count, using: &random)]
                    let fields: [(Int, Int)] = [(0, 100), (124, 12), (156, 1), (257, 8), (345, 155), (148, 8)]
                    let (offset, length) = fields[Int.random(in: 0..<fields.count, using: &random)]
                    let values: [[UInt8]] = [
                        Array("77777777777".utf8), Array("../../x".utf8), Array("/abs".utf8), [UInt8(ascii: "2")],
                        [UInt8(ascii: "x")], [UInt8(ascii: "L")], [UInt8(ascii: "5")], Array("ustar\0".utf8),
                        (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }, [], Array("1000".utf8),
                    ]
                    let value = values[Int.random(in: 0..<values.count, using: &random)]
                    if round % 4 == 2 {
                        TarSurgery.setField(&tar, header: header, at: offset, length: length, to: value)
                    } else {
                        for index in 0..<min(length, value.count) { tar[header + offset + index] = value[index] }
                    }
                    mutant = try Fixtures.gzip(tar)
                }
                do throws(RegistryError) {
                    let archive = try FunctionArchive.read(mutant, limits: limits)
                    let total = archive.files.values.reduce(0) { $0 + $1.count }
                    #expect(total <= limits.uncompressedBytes, "round \(round)")
                    #expect(archive.files.count + archive.directories.count <= limits.entries, "round \(round)")
                    #expect(archive.files.keys.allSatisfy { !$0.hasPrefix("/") && !$0.split(separator: "/").contains("..") })
                    accepted += 1
                } catch {
                    #expect(error.code == .invalidArchive, "round \(round): \(error)")
                    refused += 1
                }
            }
            #expect(accepted + refused == 10_000)
            #expect(refused > 5_000, "most mutants are refused")
            #expect(accepted > 0, "some mutants (edits of ignored fields) still read")
        }
    }
}
