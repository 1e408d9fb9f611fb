import Foundation
import SandboxTesting
import Testing

/// The test-support child process runner: what every end-to-end test stands on.
@Suite("Child processes")
struct ChildProcessTests {
    static let shell = URL(fileURLWithPath: "/bin/sh")

    @Test func runPassesInputAndDirectoryAndKeepsTheStreamsApart() async throws {
        let scratch = try TemporaryFolder()
        let result = try await ChildProcess.run(
            Self.shell, ["-c", "cat; echo oops >&2; pwd; exit 3"], input: Data("in\n".utf8), directory: scratch.url)
        #expect(result.status == 3)
        let directory = scratch.url.resolvingSymlinksInPath().path
        #expect(result.output == "in\n\(directory)\n", "\(result.output)")
        #expect(result.errors == "oops\n")
    }

    @Test func theEnvironmentIsOursLessWhatIsUnsetPlusWhatIsSet() async throws {
        let inherited = try #require(ProcessInfo.processInfo.environment.keys.first { $0 != "PATH" && !$0.isEmpty })
        let result = try await ChildProcess.run(
            URL(fileURLWithPath: "/usr/bin/env"), environment: ["CHILD_A": "a", "PATH": "/nowhere"],
            unsetting: [inherited])
        let variables = result.output.split(separator: "\n")
        #expect(variables.contains("CHILD_A=a") && variables.contains("PATH=/nowhere"), "\(result.output)")
        #expect(!variables.contains { $0.hasPrefix("\(inherited)=") }, "\(inherited) is not passed on")
    }

    @Test func outputLargerThanAPipeBufferDoesNotBlockTheChild() async throws {
        let result = try await ChildProcess.run(URL(fileURLWithPath: "/usr/bin/head"), ["-c", "3000000", "/dev/zero"])
        #expect(result.status == 0)
        #expect(result.stdout.count == 3_000_000)
    }

    @Test func aChildPastItsTimeoutIsKilled() async throws {
        let result = try await ChildProcess.run(
            URL(fileURLWithPath: "/bin/sleep"), ["60"], timeout: .milliseconds(200))
        #expect(result.status == -SIGKILL)
    }

    @Test func waitForLineReturnsTheFirstMatchingWholeLineThenStopSignals() async throws {
        let child = try ChildProcess.launch(
            Self.shell, ["-c", #"echo starting; printf 'port 1'; sleep 0.2; echo 234; echo 'port 99'; exec sleep 60"#])
        let port = try await child.waitForLine(timeout: .seconds(60)) { line in
            line.hasPrefix("port ") ? Int(line.dropFirst(5)) : nil
        }
        #expect(port == 1234)
        #expect(child.isRunning)
        #expect(await child.waitForExit(timeout: .milliseconds(50)) == nil)
        #expect(await child.stop() == -SIGTERM)
        #expect(!child.isRunning && child.exitStatus == -SIGTERM)
    }

    @Test func waitForLineFailsWhenTheChildExitsFirst() async throws {
        let child = try ChildProcess.launch(Self.shell, ["-c", "echo nothing to see; exit 2"])
        await #expect(throws: ChildProcessError.self) {
            try await child.waitForLine(timeout: .seconds(60)) { $0 == "ready" ? true : nil }
        }
        #expect(child.exitStatus == 2)
    }

    @Test func combinedOutputPutsBothStreamsInOneFile() async throws {
        let scratch = try TemporaryFolder()
        let log = scratch.url.appendingPathComponent("both.log")
        let child = try ChildProcess.launch(
            Self.shell, ["-c", "echo out; echo err >&2"], output: .combined(log))
        #expect(await child.waitForExit() == 0)
        #expect(String(decoding: try Data(contentsOf: log), as: UTF8.self) == "out\nerr\n")
        #expect(child.standardError == log)
    }

    @Test func aMissingProgramIsAnError() async throws {
        let scratch = try TemporaryFolder()
        await #expect(throws: ChildProcessError.self) {
            try await ChildProcess.run(scratch.url.appendingPathComponent("no-such-program"))
        }
    }
}
