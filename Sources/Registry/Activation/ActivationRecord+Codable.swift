import Foundation
import Sandbox

/// Activation records encode with the SPEC's field names (`queue_us`, `fuel_used`, …).
extension ActivationRecord: Codable {
    private enum Key: String, CodingKey {
        case id, function, version, status, start
        case queueUs = "queue_us", initUs = "init_us", runUs = "run_us"
        case exit, error, message, logs
        case fuelUsed = "fuel_used"
        case created, result
        case isAsync = "async"
        case attempts, trigger, node, history
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(id, forKey: .id)
        try container.encode(function, forKey: .function)
        try container.encode(version, forKey: .version)
        try container.encode(status, forKey: .status)
        try container.encodeIfPresent(start, forKey: .start)
        try container.encode(queueUs, forKey: .queueUs)
        try container.encode(initUs, forKey: .initUs)
        try container.encode(runUs, forKey: .runUs)
        try container.encodeIfPresent(exit, forKey: .exit)
        try container.encodeIfPresent(error, forKey: .error)
        try container.encodeIfPresent(message, forKey: .message)
        try container.encode(logs, forKey: .logs)
        try container.encode(fuelUsed, forKey: .fuelUsed)
        try container.encode(created, forKey: .created)
        try container.encodeIfPresent(result, forKey: .result)
        try container.encode(isAsync, forKey: .isAsync)
        try container.encode(attempts, forKey: .attempts)
        try container.encode(trigger, forKey: .trigger)
        try container.encodeIfPresent(node, forKey: .node)
        try container.encode(history, forKey: .history)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        self.init(
            id: try container.decode(String.self, forKey: .id),
            function: try container.decode(String.self, forKey: .function),
            version: try container.decode(Int.self, forKey: .version),
            status: try container.decode(ActivationStatus.self, forKey: .status),
            start: try container.decodeIfPresent(String.self, forKey: .start),
            queueUs: try container.decode(Int64.self, forKey: .queueUs),
            initUs: try container.decode(Int64.self, forKey: .initUs),
            runUs: try container.decode(Int64.self, forKey: .runUs),
            exit: try container.decodeIfPresent(Int32.self, forKey: .exit),
            error: try container.decodeIfPresent(String.self, forKey: .error),
            message: try container.decodeIfPresent(String.self, forKey: .message),
            logs: try container.decode(String.self, forKey: .logs),
            fuelUsed: try container.decode(UInt64.self, forKey: .fuelUsed),
            created: try container.decode(Date.self, forKey: .created),
            result: try container.decodeIfPresent(StoredResult.self, forKey: .result),
            isAsync: try container.decodeIfPresent(Bool.self, forKey: .isAsync) ?? false,
            attempts: try container.decodeIfPresent(Int.self, forKey: .attempts) ?? 1,
            trigger: try container.decodeIfPresent(ActivationTrigger.self, forKey: .trigger),
            node: try container.decodeIfPresent(String.self, forKey: .node),
            history: try container.decodeIfPresent([AttemptRecord].self, forKey: .history) ?? [])
    }
}

/// A stored result encodes its headers as `[{"name": …, "value": …}]` (in order) and its body as base64.
extension StoredResult: Codable {
    private enum Key: String, CodingKey { case status, headers, body }
    private struct Field: Codable { var name: String; var value: String }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(status, forKey: .status)
        try container.encode(headers.map { Field(name: $0.name, value: $0.value) }, forKey: .headers)
        try container.encode(Data(body), forKey: .body)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        self.init(
            status: try container.decode(Int.self, forKey: .status),
            headers: try container.decode([Field].self, forKey: .headers).map { HTTPField(name: $0.name, value: $0.value) },
            body: [UInt8](try container.decode(Data.self, forKey: .body)))
    }
}
