import Foundation
import Gateway
import Sandbox
import Testing

/// The `/kv` routes over real HTTP: raw values under percent-encoded keys, listings in byte
/// order, the error codes, the quota, and the token.
@Suite struct KeyValueRouteTests {
    /// A gateway whose platform has no functions (the routes need none), with `kvQuota` per store.
    static func with(
        token: String? = nil, kvQuota: Int = KeyValueRules.defaultQuotaBytes, _ body: (TestGateway) async throws -> Void
    ) async throws {
        try await TestGateway.with(
            { $0.token = token }, backend: { try await RealPlatform.make(kvQuota: kvQuota) }, body)
    }

    static func keys(_ response: RawConnection.Response) -> [String]? {
        (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String]
    }

    @Test func valuesRoundTripUnderPercentEncodedKeys() async throws {
        try await Self.with { gateway in
            let value: [UInt8] = [0, 1, 2, 255, 10]
            #expect(try await gateway.request("PUT", "/kv/notes/a%2Fb%20caf%C3%A9", body: value).status == 204)
            let read = try await gateway.request("GET", "/kv/notes/a%2Fb%20caf%C3%A9")
            #expect(read.status == 200)
            #expect(read.body == value)
            #expect(read.header("Content-Type") == "application/octet-stream")
            // A literal `/` is part of the key too: both spellings name one key.
            #expect(try await gateway.request("GET", "/kv/notes/a/b%20caf%C3%A9").body == value)
            // `+` is a plus in a path, not a space.
            #expect(try await gateway.request("PUT", "/kv/notes/x+y", body: Array("plus".utf8)).status == 204)
            #expect(try await gateway.request("GET", "/kv/notes/x%2By").text == "plus")
            #expect(try await gateway.request("GET", "/kv/notes/x%20y").status == 404)
            // An empty body is an empty value, which exists.
            #expect(try await gateway.request("PUT", "/kv/notes/empty").status == 204)
            let empty = try await gateway.request("GET", "/kv/notes/empty")
            #expect(empty.status == 200 && empty.body.isEmpty)
            // Overwriting replaces.
            #expect(try await gateway.request("PUT", "/kv/notes/empty", body: [7]).status == 204)
            #expect(try await gateway.request("GET", "/kv/notes/empty").body == [7])

            #expect(try await gateway.request("DELETE", "/kv/notes/x%2By").status == 204)
            let gone = try await gateway.request("GET", "/kv/notes/x+y")
            #expect(gone.status == 404)
            #expect(gone.errorBody?.error.code == "not_found")
            let again = try await gateway.request("DELETE", "/kv/notes/x+y")
            #expect(again.status == 404)
            #expect(again.errorBody?.error.code == "not_found")
            #expect(try await gateway.request("GET", "/kv/elsewhere/empty").status == 404)
        }
    }

    @Test func storesAndKeysAreListedInByteOrder() async throws {
        try await Self.with { gateway in
            #expect(try await gateway.request("GET", "/kv").array?.isEmpty == true)
            // "Z" < "a" < "a/b" < "ab" < "é" (C3 A9) < "ÿ" (C3 BF) in bytes.
            for key in ["%C3%BF", "ab", "a", "Z", "a%2Fb", "%C3%A9"] {
                #expect(try await gateway.request("PUT", "/kv/letters/\(key)", body: [1, 2]).status == 204)
            }
            #expect(try await gateway.request("PUT", "/kv/another/k", body: [1]).status == 204)

            let stores = try #require(try await gateway.request("GET", "/kv").array)
            #expect(stores.map { $0["store"] as? String } == ["another", "letters"])
            #expect(stores.map { $0["keys"] as? Int } == [1, 6])
            // Bytes are the keys' (Z, a, ab, a/b, é, ÿ: 1 + 1 + 2 + 3 + 2 + 2) plus the values' (2 each).
            #expect(stores.map { $0["bytes"] as? Int } == [2, 1 + 1 + 2 + 3 + 2 + 2 + 6 * 2])

            let all = try await gateway.request("GET", "/kv/letters")
            #expect(all.status == 200)
            #expect(Self.keys(all) == ["Z", "a", "a/b", "ab", "é", "ÿ"])
            #expect(Self.keys(try await gateway.request("GET", "/kv/letters?prefix=a")) == ["a", "a/b", "ab"])
            #expect(Self.keys(try await gateway.request("GET", "/kv/letters?prefix=a%2F")) == ["a/b"])
            #expect(Self.keys(try await gateway.request("GET", "/kv/letters?prefix=%C3")) == nil, "not UTF-8: 400")
            #expect(Self.keys(try await gateway.request("GET", "/kv/letters?prefix=%C3%A9")) == ["é"])
            #expect(Self.keys(try await gateway.request("GET", "/kv/letters?limit=2")) == ["Z", "a"])
            #expect(Self.keys(try await gateway.request("GET", "/kv/letters?prefix=a&limit=1")) == ["a"])
            #expect(Self.keys(try await gateway.request("GET", "/kv/letters?limit=0")) == [])
            #expect(Self.keys(try await gateway.request("GET", "/kv/letters?limit=10000"))?.count == 6)
            #expect(Self.keys(try await gateway.request("GET", "/kv/nothing")) == [])

            for key in ["Z", "a", "a%2Fb", "ab", "%C3%A9", "%C3%BF"] {
                #expect(try await gateway.request("DELETE", "/kv/letters/\(key)").status == 204)
            }
            let left = try #require(try await gateway.request("GET", "/kv").array)
            #expect(left.map { $0["store"] as? String } == ["another"], "a store without keys is not listed")
        }
    }

    @Test func badNamesKeysLimitsAndEscapesAre400() async throws {
        try await Self.with { gateway in
            let longKey = String(repeating: "k", count: KeyValueRules.maxKeyBytes + 1)
            let targets = [
                ("PUT", "/kv/Upper/k"), ("GET", "/kv/Upper/k"), ("DELETE", "/kv/under_score/k"), ("GET", "/kv/9lives"),
                ("PUT", "/kv/s/\(longKey)"), ("GET", "/kv/s/"), ("PUT", "/kv/s/%zz"), ("GET", "/kv/s/a%2"),
                ("GET", "/kv/s/%C3"), ("GET", "/kv/s?limit=10001"), ("GET", "/kv/s?limit=-1"),
                ("GET", "/kv/s?limit=ten"),
                ("GET", "/kv/s?prefix=%zz"),
            ]
            for (method, target) in targets {
                let answer = try await gateway.request(method, target, body: method == "PUT" ? [1] : [])
                #expect(answer.status == 400, "\(method) \(target): \(answer.text)")
                #expect(answer.errorBody?.error.code == "bad_request", "\(method) \(target)")
            }
            let longest = String(repeating: "k", count: KeyValueRules.maxKeyBytes)
            #expect(try await gateway.request("PUT", "/kv/s/\(longest)", body: [1]).status == 204)
            #expect(try await gateway.request("POST", "/kv/s/k").status == 404, "not a method of the route")
            #expect(try await gateway.request("PUT", "/kv").status == 404)
        }
    }

    @Test func valuesOverOneMebibyteAndWritesPastTheQuotaAre413() async throws {
        try await Self.with(kvQuota: 2 << 20) { gateway in
            let largest = [UInt8](repeating: 0x61, count: KeyValueRules.maxValueBytes)
            #expect(try await gateway.request("PUT", "/kv/big/one", body: largest).status == 204)
            #expect(try await gateway.request("GET", "/kv/big/one").body == largest)
            let tooLarge = try await gateway.request("PUT", "/kv/big/two", body: largest + [0x61])
            #expect(tooLarge.status == 413)
            #expect(tooLarge.errorBody?.error.code == "payload_too_large")
            #expect(try await gateway.request("GET", "/kv/big/two").status == 404)

            // 3 + 1 MiB are stored; another 3 + 1 MiB would pass the 2 MiB quota by 6 bytes.
            let quota = try await gateway.request("PUT", "/kv/big/two", body: largest)
            #expect(quota.status == 413, "\(quota.text)")
            #expect(quota.errorBody?.error.code == "payload_too_large")
            #expect(quota.errorBody?.error.message.contains("quota of \(2 << 20) bytes") == true, "\(quota.text)")
            // Just up to the quota passes, and so does a write that shrinks the store.
            let fits = [UInt8](repeating: 0x62, count: (2 << 20) - KeyValueRules.maxValueBytes - 3 - 3)
            #expect(try await gateway.request("PUT", "/kv/big/two", body: fits).status == 204)
            #expect(try await gateway.request("PUT", "/kv/big/x", body: []).status == 413)
            #expect(try await gateway.request("PUT", "/kv/big/one", body: [1]).status == 204)
            #expect(try await gateway.request("PUT", "/kv/big/x", body: []).status == 204)
            let stores = try #require(try await gateway.request("GET", "/kv").array)
            #expect(stores.first?["bytes"] as? Int == 3 + 1 + 3 + fits.count + 1)
        }
    }

    @Test func theRoutesNeedTheTokenWhenTheServerHasOne() async throws {
        try await Self.with(token: "s3cret") { gateway in
            let good = [("Authorization", "Bearer s3cret")]
            let requests = [
                ("PUT", "/kv/s/k"), ("GET", "/kv/s/k"), ("GET", "/kv/s"), ("GET", "/kv"), ("DELETE", "/kv/s/k"),
            ]
            for (method, target) in requests {
                let denied = try await gateway.request(method, target, body: method == "PUT" ? [1] : [])
                #expect(denied.status == 401, "\(method) \(target)")
                #expect(denied.errorBody?.error.code == "unauthorized")
                let wrong = try await gateway.request(
                    method, target, headers: [("Authorization", "Bearer s3cre")], body: method == "PUT" ? [1] : [])
                #expect(wrong.status == 401, "\(method) \(target)")
            }
            #expect(try await gateway.request("GET", "/kv/s/k", headers: good).status == 404, "nothing was written")
            for (method, target) in requests {
                let allowed = try await gateway.request(method, target, headers: good, body: method == "PUT" ? [1] : [])
                #expect([200, 204].contains(allowed.status), "\(method) \(target): \(allowed.text)")
            }
        }
    }
}
