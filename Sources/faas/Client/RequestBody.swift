import ArgumentParser
import Foundation

/// The body of a client command: `-d DATA`, `-d @FILE` (the file's bytes), or else standard input.
enum RequestBody {
    static func read(_ data: String?) throws -> Data {
        guard let data else {
            return FileHandle.standardInput.readDataToEndOfFile()
        }
        guard data.hasPrefix("@") else { return Data(data.utf8) }
        let path = String(data.dropFirst())
        guard let contents = FileManager.default.contents(atPath: path) else {
            throw ValidationError("cannot read \(path)")
        }
        return contents
    }
}
