/// When a failed async attempt runs again: after 1 s, 2 s, 4 s … (doubling, capped at 5 min), each
/// delay moved by up to ±20 % of jitter so that a burst of failures does not come back in step.
public struct RetryPolicy: Sendable, Equatable {
    /// The first delay (1 s).
    public var base: Double = 1
    /// The longest delay (300 s).
    public var cap: Double = 300
    /// The largest share of a delay added or taken away (0.2).
    public var jitter: Double = 0.2

    public init(base: Double = 1, cap: Double = 300, jitter: Double = 0.2) {
        self.base = base
        self.cap = cap
        self.jitter = jitter
    }

    /// The delay in seconds after failed attempt `attempt` (1 for the first), for `unit` drawn
    /// uniformly from -1…1 (0: no jitter).
    public func delay(afterAttempt attempt: Int, unit: Double) -> Double {
        let exponent = Double(min(max(attempt - 1, 0), 30))
        let nominal = min(base * Double.pow2(exponent), cap)
        return nominal * (1 + jitter * min(max(unit, -1), 1))
    }
}

extension Double {
    fileprivate static func pow2(_ exponent: Double) -> Double {
        var value = 1.0
        for _ in 0..<Int(exponent) { value *= 2 }
        return value
    }
}
