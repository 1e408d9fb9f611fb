// Deploys fresh function content into a data directory, round after round, until it is killed.
// The crash-consistency test runs it and sends SIGKILL at random moments. Every deploy carries new
// data, so every deploy writes a new image; some rounds roll back or remove a function, so the
// rollback and collection paths are killed too.
//
// usage: registry-crash-child DATA_DIR MODULE_FILE SEED
import Foundation
import Logging
import Registry

let arguments = CommandLine.arguments
guard arguments.count == 4, let seed = UInt64(arguments[3]) else {
    FileHandle.standardError.write(Data("usage: registry-crash-child DATA_DIR MODULE_FILE SEED\n".utf8))
    exit(2)
}
var logger = Logger(label: "registry-crash-child")
logger.logLevel = .error
let module = [UInt8](try Data(contentsOf: URL(fileURLWithPath: arguments[2])))
let registry = try FunctionRegistry.open(directory: arguments[1], logger: logger)
FileHandle.standardOutput.write(Data("ready\n".utf8))

var state = seed &* 0x9E37_79B9_7F4A_7C15
var round = 0
// A test that dies before it kills this child must not leave it deploying, a core busy, for ever:
// once the parent is gone (this process is re-parented), stop.
let parent = getppid()
while getppid() == parent {
    let name = round % 2 == 0 ? "alpha" : "beta"
    var noise = [UInt8](repeating: 0, count: 96 << 10)
    for index in noise.indices {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        noise[index] = UInt8(truncatingIfNeeded: state >> 58)
    }
    var writer = ArchiveWriter()
    writer.addFile(
        "function.yaml", contents: Array("name: \(name)\nmodule: fn.wasm\ncapabilities: { files: [data/] }\n".utf8))
    writer.addFile("fn.wasm", contents: module)
    writer.addFile("data/noise", contents: noise)
    let result = try registry.deploy(archive: try writer.archive(level: 1))
    FileHandle.standardOutput.write(Data("deployed \(result.name) \(result.version)\n".utf8))
    if round % 7 == 6 { _ = try? registry.rollback(function: "alpha", to: nil) }
    if round % 11 == 10 { try registry.remove(function: "beta") }
    if round % 23 == 22 { try registry.remove(function: "alpha") }
    round += 1
}
