import ArgumentParser
import Egress
import Foundation
import Sandbox
import SandboxTesting

/// What the platform's outbound client adds to a request: `CurlClient.perform` (resolve, grant
/// address check, pin, limits, collecting the response) against plain libcurl (`RawCurl.get`),
/// both to one loopback server, interleaved in the same run.
struct EgressBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "egress",
        abstract: "Outbound request latency: the platform's libcurl client against plain libcurl, same run.",
        discussion: "Example: faas-bench egress --requests 2000")

    @Option(help: "Requests of each kind.")
    var requests = 2000

    func run() throws {
        let body = Array(#"{"ok":true}"#.utf8)
        let server = try LoopbackHTTPServer { _ in .answer(status: 200, headers: [("Content-Type", "application/json")], body: body) }
        defer { server.stop() }
        let url = "http://127.0.0.1:\(server.port)/data"
        let client = CurlClient()
        let grant = try HTTPGrant(parsing: "http://127.0.0.1:*")
        guard let parsed = OutboundURL(parsing: url) else { throw ValidationError("bad URL \(url)") }
        let clock = ContinuousClock()
        var raw: [Duration] = []
        var platform: [Duration] = []
        for index in 0..<(requests + 50) {
            let request = OutboundRequest(
                function: "bench", method: "GET", url: parsed, grant: grant, headers: [], body: [],
                deadline: .now + .seconds(5), maxResponseBytes: 6 << 20)
            let a = clock.measure { _ = RawCurl.get(url: url) }
            let b = clock.measure {
                if case .response = client.perform(request) {} else { print("egress: a request failed") }
            }
            if index >= 50 {  // the first ones warm up
                raw.append(a)
                platform.append(b)
            }
        }
        let rawMedian = BenchFigures.percentile(raw, 0.5)
        let platformMedian = BenchFigures.percentile(platform, 0.5)
        print("egress raw libcurl GET: p50 \(BenchFigures.format(rawMedian)), p99 \(BenchFigures.format(BenchFigures.percentile(raw, 0.99)))")
        print("egress CurlClient GET:  p50 \(BenchFigures.format(platformMedian)), p99 \(BenchFigures.format(BenchFigures.percentile(platform, 0.99)))")
        print("egress overhead p50: \(BenchFigures.format(platformMedian - rawMedian)) over \(raw.count) requests each, interleaved")
    }
}
