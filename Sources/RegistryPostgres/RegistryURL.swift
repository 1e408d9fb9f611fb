import Foundation
public import PostgresNIO

/// A registry URL, `postgres://user:password@host:port/database` (`faas serve --registry`).
///
/// The password is kept for connecting and never printed: ``redacted`` is what messages show.
public struct RegistryURL: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var user: String
    var password: String?
    public var database: String

    /// Parses `text`.
    /// - Throws: a message naming what is wrong with the URL (never its password).
    public init(_ text: String) throws(RegistryURLError) {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased() else {
            throw RegistryURLError("the registry URL must look like postgres://user:password@host:5432/database")
        }
        guard scheme == "postgres" || scheme == "postgresql" else {
            throw RegistryURLError("the registry URL must start with postgres:// (got \(scheme)://)")
        }
        guard let host = components.host, !host.isEmpty else {
            throw RegistryURLError("the registry URL names no host (postgres://user:password@host:5432/database)")
        }
        guard let user = components.user.flatMap({ $0.removingPercentEncoding }), !user.isEmpty else {
            throw RegistryURLError("the registry URL names no user (postgres://user:password@\(host)/database)")
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else {
            throw RegistryURLError("the registry URL names no database (postgres://\(user)@\(host)/database)")
        }
        for item in components.queryItems ?? [] {
            guard item.name == "sslmode", item.value == "disable" || item.value == "prefer" else {
                throw RegistryURLError(
                    "the registry URL's option \(item.name)=\(item.value ?? "") is not supported (only sslmode=disable)")
            }
        }
        self.host = host
        self.port = components.port ?? 5432
        self.user = user
        self.password = components.password.flatMap { $0.removingPercentEncoding }
        self.database = database
    }

    /// The URL without its password, for messages and logs.
    public var redacted: String {
        "postgres://\(user)\(password == nil ? "" : ":***")@\(host):\(port)/\(database)"
    }

    var clientConfiguration: PostgresClient.Configuration {
        PostgresClient.Configuration(
            host: host, port: port, username: user, password: password, database: database, tls: .disable)
    }

    var connectionConfiguration: PostgresConnection.Configuration {
        PostgresConnection.Configuration(
            host: host, port: port, username: user, password: password, database: database, tls: .disable)
    }
}

/// What is wrong with a registry URL.
public struct RegistryURLError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
