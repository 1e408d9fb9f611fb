import Foundation
import NIOCore

/// The body of `POST /functions/{name}/rollback`: `{"version": N}`, or empty for the previous version.
public struct RollbackBody: Sendable, Codable, Equatable {
    public var version: Int?

    public init(version: Int?) {
        self.version = version
    }

    /// The requested version, `nil` for "the previous one".
    /// - Throws: `bad_request` for a body that is not such JSON or a version below 1.
    static func version(from body: ByteBuffer) throws(PlatformError) -> Int? {
        let bytes = body.readableBytesView
        if bytes.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: "\t") }) {
            return nil
        }
        let parsed: RollbackBody
        do {
            parsed = try JSONDecoder().decode(RollbackBody.self, from: Data(bytes))
        } catch {
            throw PlatformError(.badRequest, #"the rollback body must be empty or {"version": N}"#)
        }
        if let version = parsed.version, version < 1 {
            throw PlatformError(.badRequest, "version must be 1 or more, not \(version)")
        }
        return parsed.version
    }
}
