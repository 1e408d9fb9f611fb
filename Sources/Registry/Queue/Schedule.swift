public import Foundation

/// A function's `schedule:` (SPEC "Schedules"): a 5-field cron expression in UTC or `@every D`.
///
/// ```swift
/// let schedule = try Schedule.parse("*/15 9-17 * * MON-FRI")
/// schedule.next(after: now)   // the first tick strictly after `now`
/// ```
public enum Schedule: Sendable, Equatable {
    /// Every `milliseconds`, at the multiples of it since 1970-01-01 UTC (so every node computes the
    /// same ticks).
    case every(milliseconds: Int64)
    case cron(CronExpression)

    /// Why an expression was refused: names the field and what is wrong with it.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
    }

    /// Parses `text`.
    /// - Throws: ``ParseError`` naming the bad field (`minute`, `hour`, `day-of-month`, `month`,
    ///   `day-of-week`) or duration.
    public static func parse(_ text: String) throws(ParseError) -> Schedule {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.hasPrefix("@every") {
            let duration = trimmed.dropFirst("@every".count).trimmingCharacters(in: .whitespaces)
            guard let value = ManifestUnits.duration(duration, hours: true) else {
                throw ParseError(description: "@every takes a duration with ms, s, m or h (e.g. @every 30s), not \"\(duration)\"")
            }
            let milliseconds = value.components.seconds * 1000 + value.components.attoseconds / 1_000_000_000_000_000
            guard milliseconds >= 1000 else { throw ParseError(description: "@every \(duration) is shorter than 1s") }
            return .every(milliseconds: milliseconds)
        }
        let aliases = [
            "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
            "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
        ]
        if trimmed.hasPrefix("@") {
            guard let expanded = aliases[trimmed] else {
                throw ParseError(description: "\"\(trimmed)\" is not @every D, @hourly, @daily, @weekly, @monthly or @yearly")
            }
            return .cron(try CronExpression.parse(expanded))
        }
        let expression = try CronExpression.parse(trimmed)
        guard expression.next(after: Date(timeIntervalSince1970: 0)) != nil else {
            throw ParseError(description: "\"\(trimmed)\" never fires (no such day)")
        }
        return .cron(expression)
    }

    /// The first tick strictly after `date`, or `nil` when there is none within the years searched.
    public func next(after date: Date) -> Date? {
        switch self {
        case .every(let milliseconds):
            let now = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
            let tick = (now.quotientAndRemainder(dividingBy: milliseconds).quotient + 1) * milliseconds
            return Date(timeIntervalSince1970: Double(tick) / 1000)
        case .cron(let expression):
            return expression.next(after: date)
        }
    }
}

/// `minute hour day-of-month month day-of-week`, each `*`, a number or name, a range `a-b`, a step
/// `x/n`, or a comma-separated list of these; day-of-week 0–7 (0 and 7 are Sunday). When both day
/// fields are restricted, a day matches if either does (cron's rule); when either starts with `*`,
/// it must match both.
public struct CronExpression: Sendable, Equatable {
    public var minutes: Set<Int>
    public var hours: Set<Int>
    public var daysOfMonth: Set<Int>
    public var months: Set<Int>
    /// 0 (Sunday) … 6.
    public var daysOfWeek: Set<Int>
    /// Whether the day-of-month field starts with `*`, and the same for day-of-week (cron's rule for
    /// combining them).
    public var anyDayOfMonth: Bool
    public var anyDayOfWeek: Bool

    private static let fields: [(name: String, range: ClosedRange<Int>, names: [String])] = [
        ("minute", 0...59, []), ("hour", 0...23, []), ("day-of-month", 1...31, []),
        ("month", 1...12, ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]),
        ("day-of-week", 0...7, ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]),
    ]

    public static func parse(_ text: String) throws(Schedule.ParseError) -> CronExpression {
        let parts = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard parts.count == 5 else {
            throw Schedule.ParseError(
                description: "a cron expression has 5 fields (minute hour day-of-month month day-of-week); \"\(text)\" has \(parts.count)")
        }
        var sets: [Set<Int>] = []
        for (index, part) in parts.enumerated() {
            sets.append(try field(part, Self.fields[index]))
        }
        var week = sets[4]
        if week.remove(7) != nil { week.insert(0) }
        return CronExpression(
            minutes: sets[0], hours: sets[1], daysOfMonth: sets[2], months: sets[3], daysOfWeek: week,
            anyDayOfMonth: parts[2].hasPrefix("*"), anyDayOfWeek: parts[4].hasPrefix("*"))
    }

    private static func field(
        _ text: String, _ spec: (name: String, range: ClosedRange<Int>, names: [String])
    ) throws(Schedule.ParseError) -> Set<Int> {
        func fail(_ why: String) -> Schedule.ParseError {
            Schedule.ParseError(description: "field \(spec.name) \"\(text)\": \(why)")
        }
        func value(_ token: Substring) throws(Schedule.ParseError) -> Int {
            if let index = spec.names.firstIndex(of: token.uppercased()) { return index + (spec.name == "month" ? 1 : 0) }
            guard !token.isEmpty, token.allSatisfy(\.isASCII), let number = Int(token) else {
                throw fail("\"\(token)\" is not a number")
            }
            guard spec.range.contains(number) else {
                throw fail("\(number) is outside \(spec.range.lowerBound)-\(spec.range.upperBound)")
            }
            return number
        }
        var values: Set<Int> = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard !item.isEmpty else { throw fail("an empty list item") }
            let pieces = item.split(separator: "/", omittingEmptySubsequences: false)
            guard pieces.count <= 2 else { throw fail("more than one '/'") }
            var step = 1
            if pieces.count == 2 {
                guard let parsed = Int(pieces[1]), pieces[1].allSatisfy(\.isASCII), parsed >= 1, parsed <= spec.range.upperBound
                else { throw fail("step \"\(pieces[1])\" must be a number from 1 to \(spec.range.upperBound)") }
                step = parsed
            }
            let base = pieces[0]
            let low: Int
            let high: Int
            if base == "*" {
                (low, high) = (spec.range.lowerBound, spec.range.upperBound)
            } else if let dash = base.firstIndex(of: "-") {
                low = try value(base[..<dash])
                high = try value(base[base.index(after: dash)...])
                guard low <= high else { throw fail("range \(low)-\(high) runs backwards") }
            } else {
                low = try value(base)
                high = pieces.count == 2 ? spec.range.upperBound : low
            }
            for number in stride(from: low, through: high, by: step) { values.insert(number) }
        }
        return values
    }

    /// The first minute strictly after `date` that the expression matches, searching 8 years
    /// (`nil` beyond: an expression like `0 0 30 2 *` never matches).
    public func next(after date: Date) -> Date? {
        let start = Int64((date.timeIntervalSince1970 / 60).rounded(.down)) + 1  // minutes since the epoch
        var day = start.floorDivided(by: 1440)
        var minuteOfDay = Int(start - day * 1440)
        let sortedHours = hours.sorted()
        let sortedMinutes = minutes.sorted()
        for _ in 0..<(366 * 8) {
            let civil = CivilDate(daysSinceEpoch: day)
            if months.contains(civil.month) && matchesDay(civil) {
                for hour in sortedHours where hour >= minuteOfDay / 60 {
                    let fromMinute = hour == minuteOfDay / 60 ? minuteOfDay % 60 : 0
                    if let minute = sortedMinutes.first(where: { $0 >= fromMinute }) {
                        return Date(timeIntervalSince1970: Double((day * 1440 + Int64(hour * 60 + minute)) * 60))
                    }
                }
            }
            day += 1
            minuteOfDay = 0
        }
        return nil
    }

    /// Vixie cron's rule: when either day field starts with `*` (so `*/10` too), a day must match
    /// both; when both are restricted, either.
    private func matchesDay(_ civil: CivilDate) -> Bool {
        let byMonth = daysOfMonth.contains(civil.day)
        let byWeek = daysOfWeek.contains(civil.weekday)
        return anyDayOfMonth || anyDayOfWeek ? byMonth && byWeek : byMonth || byWeek
    }
}

/// A day of the proleptic Gregorian calendar in UTC (H. Hinnant's `civil_from_days`).
struct CivilDate {
    var year: Int
    var month: Int
    var day: Int
    /// 0 (Sunday) … 6.
    var weekday: Int

    init(daysSinceEpoch days: Int64) {
        let z = days + 719_468
        let era = z.floorDivided(by: 146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        day = Int(dayOfYear - (153 * mp + 2) / 5 + 1)
        month = Int(mp < 10 ? mp + 3 : mp - 9)
        year = Int(yearOfEra + era * 400 + (month <= 2 ? 1 : 0))
        weekday = Int((days + 4).floorModulo(7))
    }
}

extension Int64 {
    fileprivate func floorDivided(by divisor: Int64) -> Int64 {
        let (quotient, remainder) = quotientAndRemainder(dividingBy: divisor)
        return remainder < 0 ? quotient - 1 : quotient
    }

    fileprivate func floorModulo(_ divisor: Int64) -> Int64 {
        let remainder = self % divisor
        return remainder < 0 ? remainder + divisor : remainder
    }
}
