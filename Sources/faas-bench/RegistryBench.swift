import ArgumentParser
import Foundation
import Logging
import Registry

/// Deploy throughput: read + validate + canonicalise + compress + store + register one archive.
struct RegistryBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "registry",
        abstract: "Median time to deploy a 1 MiB and a 10 MiB function archive.",
        discussion: "Each run deploys different content, so no run is served by deduplication.")

    @Option(help: "Deploys per archive size.")
    var runs: Int = 21

    @Option(help: "Module sizes in MiB.")
    var sizes: [Int] = [1, 10]

    func run() throws {
        var logger = Logger(label: "faas-bench")
        logger.logLevel = .error
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("faas-bench-registry-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        for mebibytes in sizes {
            let registry = try FunctionRegistry.open(directory: root.appendingPathComponent("\(mebibytes)").path, logger: logger)
            defer { registry.close() }
            var deploys: [Double] = []
            var prepares: [Double] = []
            var compressions: [Double] = []
            var stores: [Double] = []
            var registers: [Double] = []
            let scratchPath = root.appendingPathComponent("scratch-\(mebibytes)").path
            let scratch = try FileImageStore(directory: scratchPath)
            let scratchRows = try SQLiteFunctionStore(path: scratchPath + "/registry.sqlite")
            defer { scratchRows.close() }
            var result: DeployResult?
            let archives = try (0...runs).map { try Self.archive(moduleBytes: mebibytes << 20, variant: $0) }
            for (index, archive) in archives.enumerated() {
                let clock = ContinuousClock()
                var prepared: (image: FunctionImage, canonical: [UInt8])?
                let prepare = try clock.measure { prepared = try FunctionRegistry.prepare(archive: archive, limits: registry.limits) }
                guard let prepared else { continue }
                let (image, canonical) = prepared
                // The phases after preparation, each on its own: compression alone, then a whole durable
                // store (compress + temp file + fsync + rename + fsync of the folder) under a fresh digest,
                // then the registry row (a SQLite transaction with full sync).
                let compress = try clock.measure { _ = try ZlibCodec.compress(canonical, algorithm: .zlib, level: 1) }
                let scratchDigest = FunctionImage.digest(of: canonical + [UInt8(truncatingIfNeeded: index)])
                let store = try clock.measure { _ = try scratch.put(digest: scratchDigest, canonical: canonical) }
                let register = try clock.measure {
                    _ = try scratchRows.addVersion(
                        manifest: image.manifest, digest: scratchDigest, size: canonical.count, compressedSize: 0,
                        created: Date())
                }
                var deployed: DeployResult?
                let deploy = try clock.measure { deployed = try registry.deploy(archive: archive) }
                if index == 0 { continue }  // warm-up
                prepares.append(Self.milliseconds(prepare))
                compressions.append(Self.milliseconds(compress))
                stores.append(Self.milliseconds(store))
                registers.append(Self.milliseconds(register))
                deploys.append(Self.milliseconds(deploy))
                result = deployed
            }
            let compressedArchive = archives[0].count
            print(
                String(
                    format: "registry deploy %2d MiB module (archive %.2f MiB): median %.1f ms (min %.1f, max %.1f) over %d runs; "
                        + "read+validate+hash median %.1f ms; image %.2f MiB stored as %.2f MiB",
                    mebibytes, Double(compressedArchive) / 1_048_576, Self.median(deploys), deploys.min() ?? 0,
                    deploys.max() ?? 0, deploys.count, Self.median(prepares), Double(result?.size ?? 0) / 1_048_576,
                    Double(result?.compressedSize ?? 0) / 1_048_576))
            print(
                String(
                    format: "  phases (medians): read+validate+hash %.1f ms, compress %.1f ms, durable store %.1f ms, register %.1f ms",
                    Self.median(prepares), Self.median(compressions), Self.median(stores), Self.median(registers)))
        }
    }

    static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    /// A function archive whose module carries `moduleBytes` of data, varied by `variant`.
    static func archive(moduleBytes: Int, variant: Int) throws -> [UInt8] {
        var writer = ArchiveWriter()
        writer.addFile("function.yaml", contents: Array("name: bench\nmodule: bench.wasm\ndescription: deploy benchmark\n".utf8))
        writer.addFile("bench.wasm", contents: WasmBuilder.module(dataBytes: moduleBytes, seed: UInt64(variant) + 1))
        return try writer.archive()
    }
}
