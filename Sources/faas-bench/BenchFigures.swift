import Foundation

/// The figures every benchmark prints: percentiles of samples and durations in readable units.
enum BenchFigures {
    /// The sample at `fraction` (0.5: the median) of `samples`, or zero when there are none.
    static func percentile(_ samples: [Duration], _ fraction: Double) -> Duration {
        guard !samples.isEmpty else { return .zero }
        let sorted = samples.sorted()
        return sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))]
    }

    /// `1.23 ms` or `45.6 µs`.
    static func format(_ duration: Duration, decimals: Int = 1) -> String {
        let nanoseconds = Double(duration.components.seconds) * 1e9 + Double(duration.components.attoseconds) / 1e9
        if nanoseconds >= 1e6 { return String(format: "%.2f ms", nanoseconds / 1e6) }
        return String(format: "%.\(decimals)f µs", nanoseconds / 1e3)
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
