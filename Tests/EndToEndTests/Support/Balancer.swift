import Foundation
import SandboxTesting

/// HAProxy with the project's own `deploy/haproxy/haproxy.cfg` in front of `faas serve` nodes, on
/// 127.0.0.1: what users run in front of several gateways (SPEC "(v2) Several nodes on one registry").
final class Balancer: Sendable {
    let port: Int
    let statusPort: Int
    private let child: ChildProcess

    var url: String { "http://127.0.0.1:\(port)" }

    static let executable = URL(fileURLWithPath: "/usr/sbin/haproxy")
    static let configuration = Examples.packageRoot.appendingPathComponent("deploy/haproxy/haproxy.cfg")

    /// Starts HAProxy over `nodes` (node1, node2, ... in that order) and waits until it sees all of them up.
    static func start(over nodes: [FaasServer]) async throws -> Balancer {
        let port = LoopbackPort.free()
        let statusPort = LoopbackPort.free()
        var environment = ["FAAS_LB_BIND": "127.0.0.1:\(port)", "FAAS_LB_STATS": "127.0.0.1:\(statusPort)"]
        for (index, node) in nodes.enumerated() { environment["FAAS_LB_NODE\(index + 1)"] = "127.0.0.1:\(node.port)" }
        let child = try ChildProcess.launch(executable, ["-db", "-f", configuration.path], environment: environment)
        let balancer = Balancer(port: port, statusPort: statusPort, child: child)
        let ready = try await eventually(within: .seconds(30), every: .milliseconds(100)) {
            guard child.isRunning else { return true }
            return (try? await balancer.serversUp())?.count == nodes.count
        }
        guard ready, child.isRunning else {
            throw ChildProcessError("HAProxy did not see \(nodes.count) nodes up: \(child.output) \(child.errors)")
        }
        return balancer
    }

    private init(port: Int, statusPort: Int, child: ChildProcess) {
        self.port = port
        self.statusPort = statusPort
        self.child = child
    }

    /// The servers (node1, ...) of the invoke backend that HAProxy's health checks hold up now.
    func serversUp() async throws -> Set<String> {
        Set(try await serverStates().filter { $0.value == "UP" }.keys)
    }

    /// Each server of the invoke backend and its state on HAProxy's status page: `UP`, `DOWN`, or
    /// one on its way to the other (`UP 1/2`: one check failed; `DOWN 1/2`: one succeeded).
    func serverStates() async throws -> [String: String] {
        let answer = try await Curl.request("GET", "http://127.0.0.1:\(statusPort)/stats;csv")
        var states: [String: String] = [:]
        for line in answer.text.split(separator: "\n") {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            if fields.count > 17, fields[0] == "invoke", fields[1].hasPrefix("node") {
                states[String(fields[1])] = String(fields[17])
            }
        }
        return states
    }

    /// HAProxy's own output so far (for failure messages).
    var output: String { child.output + child.errors }

    deinit { if child.isRunning { child.send(SIGKILL) } }
}
