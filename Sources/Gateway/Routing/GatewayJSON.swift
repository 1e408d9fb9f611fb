public import Foundation

/// The JSON conventions of the API: ISO 8601 dates, sorted keys; shared by the server and the CLI.
public enum GatewayJSON {
    /// Encodes a value the way every JSON answer of the gateway is encoded.
    public static func encode(_ value: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return Array(try encoder.encode(value))
        } catch {
            // Our value types always encode; an exotic Double (NaN) is the only way here.
            return Array(#"{"error":{"code":"unavailable","message":"response could not be encoded"}}"#.utf8)
        }
    }

    /// Decodes a JSON answer of the gateway.
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(type, from: data)
    }
}
