// Deploys the archives of a folder into a data directory, round and round, until it is killed.
// The crash-consistency test runs it and sends SIGKILL at random moments.
//
// usage: registry-crash-child DATA_DIR ARCHIVE_DIR SEED
import Foundation
import Logging
import Registry

let arguments = CommandLine.arguments
guard arguments.count == 4, let seed = Int(arguments[3]) else {
    FileHandle.standardError.write(Data("usage: registry-crash-child DATA_DIR ARCHIVE_DIR SEED\n".utf8))
    exit(2)
}
var logger = Logger(label: "registry-crash-child")
logger.logLevel = .error
let names = try FileManager.default.contentsOfDirectory(atPath: arguments[2]).filter { $0.hasSuffix(".tar.gz") }.sorted()
let archives = try names.map { [UInt8](try Data(contentsOf: URL(fileURLWithPath: arguments[2] + "/" + $0))) }
guard !archives.isEmpty else { exit(2) }

let registry = try FunctionRegistry.open(directory: arguments[1], logger: logger)
var round = seed
while true {
    let result = try registry.deploy(archive: archives[round % archives.count])
    if round % 5 == 4 { _ = try? registry.rollback(function: result.name, to: nil) }
    FileHandle.standardOutput.write(Data("deployed \(result.name) \(result.version)\n".utf8))
    round += 1
}
