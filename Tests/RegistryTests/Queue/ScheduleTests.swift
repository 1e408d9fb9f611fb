import Foundation
import Registry
import Testing

/// Cron expressions and `@every` against a table of next fire times (UTC).
@Suite struct ScheduleTests {
    static func date(_ text: String) -> Date {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.date(from: text)!
    }

    static let table: [(expression: String, after: String, next: String)] = [
        ("* * * * *", "2026-01-01T00:00:00Z", "2026-01-01T00:01:00Z"),
        ("* * * * *", "2026-01-01T00:00:59Z", "2026-01-01T00:01:00Z"),
        ("*/15 * * * *", "2026-03-04T10:16:00Z", "2026-03-04T10:30:00Z"),
        ("5,35 9-17 * * *", "2026-03-04T17:36:00Z", "2026-03-05T09:05:00Z"),
        ("0 0 1 * *", "2026-01-31T12:00:00Z", "2026-02-01T00:00:00Z"),
        // Month ends: the 31st skips the months without one.
        ("0 12 31 * *", "2026-04-01T00:00:00Z", "2026-05-31T12:00:00Z"),
        ("59 23 30 * *", "2026-02-01T00:00:00Z", "2026-03-30T23:59:00Z"),
        // Leap years: 29 February only in 2028.
        ("0 0 29 2 *", "2026-03-01T00:00:00Z", "2028-02-29T00:00:00Z"),
        ("0 0 29 2 *", "2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"),
        // 1900 was not a leap year, 2000 was (the century rules).
        ("0 0 29 2 *", "1999-01-01T00:00:00Z", "2000-02-29T00:00:00Z"),
        // Day of week: 2026-12-02 is a Wednesday; 0 and 7 are Sunday; names.
        ("0 9 * * 1", "2026-12-02T00:00:00Z", "2026-12-07T09:00:00Z"),
        ("0 9 * * 0", "2026-12-02T00:00:00Z", "2026-12-06T09:00:00Z"),
        ("0 9 * * 7", "2026-12-02T00:00:00Z", "2026-12-06T09:00:00Z"),
        ("30 8 * * MON-FRI", "2026-12-04T09:00:00Z", "2026-12-07T08:30:00Z"),
        ("0 0 * JAN,jul *", "2026-02-01T00:00:00Z", "2026-07-01T00:00:00Z"),
        // Both day fields restricted: either matches (cron's OR rule). The 13th or any Friday.
        ("0 0 13 * 5", "2026-12-02T00:00:00Z", "2026-12-04T00:00:00Z"),
        ("0 0 13 * 5", "2026-12-11T00:00:00Z", "2026-12-13T00:00:00Z"),
        // One restricted, the other `*`: only the restricted one counts.
        ("0 0 13 * *", "2026-12-02T00:00:00Z", "2026-12-13T00:00:00Z"),
        ("0 0 */10 * *", "2026-12-02T00:00:00Z", "2026-12-11T00:00:00Z"),  // 1, 11, 21, 31
        // A day field starting with `*` makes the two fields AND (Vixie cron): the 1st, 11th … that is a Monday.
        ("0 0 */10 * 1", "2026-12-02T00:00:00Z", "2026-12-21T00:00:00Z"),
        ("0 0 * * */2", "2026-12-02T00:00:00Z", "2026-12-03T00:00:00Z"),  // Sun, Tue, Thu, Sat
        ("0 22-23/1 * * *", "2026-12-31T23:30:00Z", "2027-01-01T22:00:00Z"),
        ("10-20/5 * * * *", "2026-12-02T00:16:00Z", "2026-12-02T00:20:00Z"),
        ("7/20 * * * *", "2026-12-02T00:28:00Z", "2026-12-02T00:47:00Z"),
        ("@hourly", "2026-12-02T10:00:00Z", "2026-12-02T11:00:00Z"),
        ("@daily", "2026-12-31T23:59:59Z", "2027-01-01T00:00:00Z"),
        ("@every 1s", "2026-12-02T10:00:00Z", "2026-12-02T10:00:01Z"),
        ("@every 30s", "2026-12-02T10:00:10Z", "2026-12-02T10:00:30Z"),
        ("@every 2h", "2026-12-02T01:00:00Z", "2026-12-02T02:00:00Z"),
        ("@every 1500ms", "1970-01-01T00:00:02Z", "1970-01-01T00:00:03Z"),
    ]

    @Test(arguments: table)
    func nextFireTimes(row: (expression: String, after: String, next: String)) throws {
        let schedule = try Schedule.parse(row.expression)
        #expect(schedule.next(after: Self.date(row.after)) == Self.date(row.next), "\(row.expression) after \(row.after)")
    }

    @Test func everyTickIsAlignedSoEveryNodeComputesTheSame() throws {
        let schedule = try Schedule.parse("@every 1500ms")
        let a = try #require(schedule.next(after: Date(timeIntervalSince1970: 100.2)))
        let b = try #require(schedule.next(after: Date(timeIntervalSince1970: 100.49)))
        #expect(a == b && a.timeIntervalSince1970 == 100.5)
        #expect(schedule.next(after: a)?.timeIntervalSince1970 == 102)
    }

    static let refused: [(expression: String, names: String)] = [
        ("* * * *", "5 fields"),
        ("* * * * * *", "5 fields"),
        ("60 * * * *", "minute"),
        ("* 24 * * *", "hour"),
        ("* * 0 * *", "day-of-month"),
        ("* * 32 * *", "day-of-month"),
        ("* * * 13 *", "month"),
        ("* * * * 8", "day-of-week"),
        ("*/0 * * * *", "minute"),
        ("5-1 * * * *", "minute"),
        ("a * * * *", "minute"),
        ("1,,2 * * * *", "minute"),
        ("* * * FOO *", "month"),
        ("0 0 30 2 *", "never fires"),
        ("@every 500ms", "shorter than 1s"),
        ("@every", "@every takes a duration"),
        ("@every 5x", "@every takes a duration"),
        ("@sometimes", "@every D"),
    ]

    @Test(arguments: refused)
    func badExpressionsNameTheField(row: (expression: String, names: String)) {
        #expect {
            _ = try Schedule.parse(row.expression)
        } throws: { error in
            "\(error)".contains(row.names)
        }
    }

    @Test func aBadScheduleIs422NamingTheKeyAndField() {
        #expect {
            _ = try Manifest.parse(yaml: "name: f\nmodule: f.wasm\nschedule: \"0 25 * * *\"\n")
        } throws: { error in
            guard let error = error as? RegistryError else { return false }
            return error.code == .invalidFunction && error.message.contains("key 'schedule'") && error.message.contains("hour")
        }
        #expect(throws: RegistryError.self) { _ = try Manifest.parse(yaml: "name: f\nmodule: f.wasm\nretries: 11\n") }
        #expect(throws: RegistryError.self) { _ = try Manifest.parse(yaml: "name: f\nmodule: f.wasm\nretries: -1\n") }
    }

    @Test func retriesAndScheduleRoundTripThroughTheStoredManifest() throws {
        let manifest = try Manifest.parse(yaml: "name: f\nmodule: f.wasm\nretries: 0\nschedule: \"@every 1s\"\n")
        #expect(manifest.retries == 0 && manifest.schedule?.text == "@every 1s")
        let decoded = try JSONDecoder().decode(Manifest.self, from: Data(try manifest.canonicalJSON()))
        #expect(decoded == manifest)
        // A manifest without the v2 keys encodes as before (its image digest does not change).
        let plain = try Manifest.parse(yaml: "name: f\nmodule: f.wasm\n")
        let json = String(decoding: try plain.canonicalJSON(), as: UTF8.self)
        #expect(!json.contains("retries") && !json.contains("schedule") && plain.retries == 2)
    }
}
