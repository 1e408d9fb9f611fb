import Foundation
import SandboxTesting
import Testing

/// One HTTP answer as curl saw it.
struct HTTPAnswer: Sendable {
    var status: Int
    /// Header names in lower case; the last header block (after any `100 Continue`).
    var headers: [String: String]
    var body: Data

    var text: String { String(decoding: body, as: UTF8.self) }

    func header(_ name: String) -> String? { headers[name.lowercased()] }

    var object: [String: Any]? { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] }
    var array: [[String: Any]]? { (try? JSONSerialization.jsonObject(with: body)) as? [[String: Any]] }

    /// `error.code` of a contract error answer.
    var errorCode: String? { (object?["error"] as? [String: Any])?["code"] as? String }
    var errorMessage: String? { (object?["error"] as? [String: Any])?["message"] as? String }
}

/// `/usr/bin/curl`, as a user would type it.
enum Curl {
    static let executable = URL(fileURLWithPath: "/usr/bin/curl")

    /// Sends one request. `body` is sent as is (`--data-binary`); `extra` are more curl arguments.
    static func request(
        _ method: String, _ url: String, body: Data? = nil, bodyFile: URL? = nil, headers: [(String, String)] = [],
        token: String? = nil, extra: [String] = []
    ) async throws -> HTTPAnswer {
        let scratch = try TemporaryFolder(prefix: "faas-e2e-curl")
        let bodyOut = scratch.url.appendingPathComponent("body")
        let headOut = scratch.url.appendingPathComponent("head")
        var arguments = [
            "-sS", "-X", method, "-o", bodyOut.path, "-D", headOut.path, "-w", "%{http_code}", "--max-time", "90",
        ]
        for (name, value) in headers { arguments += ["-H", "\(name): \(value)"] }
        if let token { arguments += ["-H", "Authorization: Bearer \(token)"] }
        if let body {
            let file = scratch.url.appendingPathComponent("request")
            try body.write(to: file)
            arguments += ["--data-binary", "@\(file.path)"]
        } else if let bodyFile {
            arguments += ["--data-binary", "@\(bodyFile.path)"]
        }
        arguments += extra + [url]
        let result = try await ChildProcess.run(executable, arguments, timeout: .seconds(120))
        guard let status = Int(result.output), status > 0 else {
            throw ServerFailure("curl \(method) \(url) got no answer (exit \(result.status)): \(result.errors)")
        }
        let head = String(decoding: (try? Data(contentsOf: headOut)) ?? Data(), as: UTF8.self)
        let blocks = head.components(separatedBy: "\r\n\r\n").filter { !$0.isEmpty }
        var fields: [String: String] = [:]
        for line in (blocks.last ?? "").components(separatedBy: "\r\n").dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return HTTPAnswer(status: status, headers: fields, body: (try? Data(contentsOf: bodyOut)) ?? Data())
    }
}

/// Waits (bounded) until `condition` holds, polling; false if it never did.
func eventually(
    within timeout: Duration = .seconds(60), every interval: Duration = .milliseconds(50),
    _ condition: () async throws -> Bool
) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: interval)
    }
    return try await condition()
}
