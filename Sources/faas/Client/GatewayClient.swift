import Foundation
import Gateway

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A small HTTP client of the gateway's API, over URLSession.
struct GatewayClient: Sendable {
    /// One answer, as received.
    struct Answer: Sendable {
        var status: Int
        var headers: [String: String]
        var body: Data

        /// A header, by case-insensitive name.
        func header(_ name: String) -> String? {
            headers.first { $0.key.lowercased() == name.lowercased() }?.value
        }
    }

    let base: URL
    let token: String?

    /// Sends one request. `path` segments are percent-encoded here.
    func send(
        _ method: String, _ segments: [String], query: [URLQueryItem] = [], headers: [String: String] = [:],
        body: Data? = nil
    ) async throws(ClientFailure) -> Answer {
        var components = URLComponents(url: base, resolvingAgainstBaseURL: false) ?? URLComponents()
        let prefix = components.percentEncodedPath.hasSuffix("/") ? String(components.percentEncodedPath.dropLast()) : components.percentEncodedPath
        components.percentEncodedPath = prefix + "/" + segments.map(Self.encodeSegment).joined(separator: "/")
        if !query.isEmpty {
            // Encoded by hand: URLComponents leaves `+` as it is, which the gateway reads as a space.
            components.percentEncodedQuery = query.map { item in
                Self.encodeSegment(item.name) + (item.value.map { "=" + Self.encodeSegment($0) } ?? "")
            }.joined(separator: "&")
        }
        guard let url = components.url else {
            throw ClientFailure("cannot build a URL from \(base) and \(segments)")
        }
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.timeoutInterval = 330
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let body {
            request.httpBody = body
            if request.value(forHTTPHeaderField: "Content-Type") == nil {
                request.setValue("application/octet-stream", forHTTPHeaderField: "Content-Type")
            }
        }
        let (data, response): (Data, URLResponse)
        do {
            (data, response) = try await Self.session.data(for: request)
        } catch {
            throw ClientFailure("cannot reach the gateway at \(base.absoluteString): \(error.localizedDescription)")
        }
        guard let http = response as? HTTPURLResponse else {
            throw ClientFailure("the gateway at \(base.absoluteString) did not answer HTTP")
        }
        var fields: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            fields[String(describing: name)] = String(describing: value)
        }
        return Answer(status: http.statusCode, headers: fields, body: data)
    }

    /// Sends one request and requires a 2xx answer.
    /// - Throws: ``ClientFailure`` with the server's error message otherwise.
    func expectSuccess(
        _ method: String, _ segments: [String], query: [URLQueryItem] = [], body: Data? = nil
    ) async throws(ClientFailure) -> Answer {
        let answer = try await send(method, segments, query: query, body: body)
        guard (200..<300).contains(answer.status) else { throw ClientFailure(answer) }
        return answer
    }

    /// Sends a request and decodes its JSON answer.
    func json<T: Decodable>(
        _ type: T.Type, _ method: String, _ segments: [String], query: [URLQueryItem] = [], body: Data? = nil
    ) async throws(ClientFailure) -> (T, Answer) {
        let answer = try await expectSuccess(method, segments, query: query, body: body)
        do {
            return (try GatewayJSON.decode(type, from: answer.body), answer)
        } catch {
            throw ClientFailure("unexpected answer from the gateway (HTTP \(answer.status)): \(error)")
        }
    }

    private static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 330
        configuration.timeoutIntervalForResource = 660
        configuration.httpShouldSetCookies = false
        configuration.urlCache = nil
        return URLSession(configuration: configuration)
    }()

    /// Every byte but the unreserved characters (RFC 3986: letters, digits, `-._~`) is encoded,
    /// `/` included: a key-value key may hold one and must stay one segment.
    private static func encodeSegment(_ segment: String) -> String {
        segment.addingPercentEncoding(withAllowedCharacters: unreserved) ?? segment
    }

    private static let unreserved = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
}
