import Foundation
#if canImport(Glibc)
    import Glibc
#endif

/// `openssl s_server` with a certificate made for the test: a TLS peer no CA store trusts.
final class SelfSignedTLSServer {
    static let openssl = "/usr/bin/openssl"
    static var available: Bool { FileManager.default.isExecutableFile(atPath: openssl) }

    let port: Int
    private let process = Process()
    private let folder: URL

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("egress-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let key = folder.appendingPathComponent("key.pem").path
        let certificate = folder.appendingPathComponent("cert.pem").path
        try Self.run([
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", certificate,
            "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
        ])
        let output = Pipe()
        process.executableURL = URL(fileURLWithPath: Self.openssl)
        process.arguments = ["s_server", "-accept", "127.0.0.1:0", "-cert", certificate, "-key", key, "-www"]
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Should it never say where it listens, stop it so the read below ends.
        let process = self.process
        let watchdog = DispatchWorkItem { Self.kill(process) }
        DispatchQueue.global().asyncAfter(deadline: .now() + 5, execute: watchdog)
        defer { watchdog.cancel() }
        // It prints `ACCEPT 127.0.0.1:PORT` once it listens.
        var seen = ""
        func acceptLine() -> Substring? { seen.split(separator: "\n").first { $0.hasPrefix("ACCEPT") && seen.hasSuffix("\n") } }
        while acceptLine() == nil {
            let data = output.fileHandleForReading.availableData
            guard !data.isEmpty else { break }
            seen += String(decoding: data, as: UTF8.self)
        }
        guard let line = acceptLine(),
            let port = line.split(separator: ":").last.flatMap({ Int($0) })
        else {
            Self.kill(process)
            throw CocoaError(.fileReadCorruptFile)
        }
        self.port = port
    }

    func stop() {
        Self.kill(process)
        try? FileManager.default.removeItem(at: folder)
    }

    /// SIGKILL, not `terminate()`'s SIGTERM: a child spawned from a Dispatch thread inherits its
    /// blocked signal mask, SIGTERM included, and would never go away.
    private static func kill(_ process: Process) {
        guard process.isRunning else { return }
        _ = Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    private static func run(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: openssl)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CocoaError(.fileWriteUnknown) }
    }
}
