import Foundation
import Gateway

/// Writing to stdout and stderr.
enum Output {
    static func line(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    static func raw(_ data: Data) {
        FileHandle.standardOutput.write(data)
    }

    static func error(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    /// Prints a JSON answer as the gateway sent it, re-indented for reading.
    static func json(_ data: Data) {
        if let object = try? JSONSerialization.jsonObject(with: data),
            let pretty = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        {
            raw(pretty)
            line("")
        } else {
            raw(data)
        }
    }

    /// A date for tables: `2026-11-26 22:14:12`.
    static func date(_ date: Date) -> String {
        var text = ISO8601DateFormatter().string(from: date)
        text = text.replacingOccurrences(of: "T", with: " ").replacingOccurrences(of: "Z", with: "")
        return text
    }

    /// Bytes for people: `64Mi`, `512Ki`, `300`.
    static func bytes(_ count: Int64) -> String {
        if count >= 1 << 30, count % (1 << 30) == 0 { return "\(count >> 30)Gi" }
        if count >= 1 << 20 { return count % (1 << 20) == 0 ? "\(count >> 20)Mi" : String(format: "%.1fMi", Double(count) / 1_048_576) }
        if count >= 1 << 10 { return count % (1 << 10) == 0 ? "\(count >> 10)Ki" : String(format: "%.1fKi", Double(count) / 1024) }
        return "\(count)"
    }
}
