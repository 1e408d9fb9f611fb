import ArgumentParser
import Foundation

/// `faas kv`: the key-value stores functions reach through `capabilities.kv`.
struct KeyValue: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kv",
        abstract: "Read and write the key-value stores functions use (capabilities.kv).",
        discussion: """
            A store is made by its first write and shared by every function that lists it.
            Keys are 1-512 bytes of UTF-8, percent-encoded in the URL by this command;
            values are raw bytes, at most 1 MiB.

            Example:
              faas kv set counters home -d 41
              faas invoke counter -d home        # 42
              faas kv get counters home
              faas kv ls counters --prefix h
            """,
        subcommands: [ListKeys.self, GetValue.self, SetValue.self, RemoveValue.self])

    struct ListKeys: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ls", abstract: "List the stores, or the keys of one store in byte order.")

        @OptionGroup var client: ClientOptions

        @Argument(help: "A store: list its keys instead of the stores.")
        var store: String?

        @Option(help: "Only keys starting with this.")
        var prefix: String?

        @Option(help: "At most this many keys (up to 10000).")
        var limit = 1000

        func validate() throws {
            guard (0...10_000).contains(limit) else { throw ValidationError("--limit must be from 0 to 10000") }
        }

        func run() async throws {
            let gateway = try client.client()
            guard let store else {
                let (stores, _) = try await gateway.json([StoreRow].self, "GET", ["kv"])
                var table = Table("STORE", "KEYS", "BYTES")
                for row in stores { table.add([row.store, String(row.keys), String(row.bytes)]) }
                Output.line(table.render())
                return
            }
            var query = [URLQueryItem(name: "limit", value: String(limit))]
            if let prefix { query.append(URLQueryItem(name: "prefix", value: prefix)) }
            let (keys, _) = try await gateway.json([String].self, "GET", ["kv", store], query: query)
            for key in keys { Output.line(key) }
        }
    }

    struct GetValue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "get", abstract: "Print a value's bytes; fails when the key is absent.")

        @OptionGroup var client: ClientOptions
        @Argument(help: "The store.") var store: String
        @Argument(help: "The key.") var key: String

        func run() async throws {
            let answer = try await client.client().expectSuccess("GET", ["kv", store, key])
            Output.raw(answer.body)
        }
    }

    struct SetValue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set", abstract: "Set a value: from -d DATA, -d @FILE, or standard input.")

        @OptionGroup var client: ClientOptions
        @Argument(help: "The store.") var store: String
        @Argument(help: "The key.") var key: String

        @Option(name: .short, help: "The value, or @FILE to store a file's bytes.")
        var data: String?

        func run() async throws {
            let value = try RequestBody.read(data)
            _ = try await client.client().expectSuccess("PUT", ["kv", store, key], body: value)
        }
    }

    struct RemoveValue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm", abstract: "Delete a key.")

        @OptionGroup var client: ClientOptions
        @Argument(help: "The store.") var store: String
        @Argument(help: "The key.") var key: String

        func run() async throws {
            _ = try await client.client().expectSuccess("DELETE", ["kv", store, key])
        }
    }

    /// One row of `GET /kv`.
    struct StoreRow: Decodable {
        var store: String
        var keys: Int
        var bytes: Int
    }
}
