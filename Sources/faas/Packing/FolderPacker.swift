import Foundation

/// Makes a `fn.tar.gz` from a folder holding `function.yaml`.
enum FolderPacker {
    /// Packs `directory` (its contents at the archive's root) into gzip-compressed ustar bytes.
    /// - Throws: ``ClientFailure`` when the folder has no `function.yaml` or cannot be packed.
    static func pack(directory: String) throws(ClientFailure) -> [UInt8] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ClientFailure("\(directory) is not a folder")
        }
        guard FileManager.default.fileExists(atPath: (directory as NSString).appendingPathComponent("function.yaml")) else {
            throw ClientFailure("\(directory) holds no function.yaml")
        }
        let entries: [String]
        do {
            entries = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        } catch {
            throw ClientFailure("cannot read \(directory): \(error.localizedDescription)")
        }
        // The system tar writes a portable ustar stream; entries are named relative to the folder.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["tar", "--format=ustar", "--owner=0", "--group=0", "--numeric-owner", "-czf", "-", "-C", directory, "--"] + entries
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        do {
            try process.run()
        } catch {
            throw ClientFailure("cannot run tar to pack \(directory): \(error.localizedDescription)")
        }
        let bytes = output.fileHandleForReading.readDataToEndOfFile()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ClientFailure("packing \(directory) failed: \(String(decoding: message, as: UTF8.self))")
        }
        return Array(bytes)
    }
}
