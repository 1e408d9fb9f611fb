import Foundation
import Registry

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
        do {
            return try ArchiveWriter.pack(directory: directory)
        } catch {
            throw ClientFailure("cannot pack \(directory): \(error.localizedDescription)")
        }
    }
}
