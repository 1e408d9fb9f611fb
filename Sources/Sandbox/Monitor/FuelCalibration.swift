import WasmKit

/// Measures how much fuel guest code burns per second on this machine, so a timeout can become a budget.
///
/// WasmKit cannot interrupt a running guest, so fuel is the only bound on a loop that makes no hostcall.
/// The probe mixes arithmetic, loads, stores and branches (a linear congruential generator over a small
/// buffer) and keeps the best of several runs: the budget then lasts about the timeout when the machine is
/// idle, and the deadline checked in every hostcall covers the rest.
enum FuelCalibration {
    /// A tiny module exporting `spin(n: i32) -> i32`, compiled from C:
    /// `for (i = 0; i < n; i++) { a = a * 1103515245 + 12345; buf[i & 15] = a; a ^= buf[(i + 7) & 15] >> 3; }`.
    static let probe: [UInt8] = [
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06, 0x01, 0x60, 0x01, 0x7f, 0x01, 0x7f,
        0x03, 0x02, 0x01, 0x00, 0x04, 0x05, 0x01, 0x70, 0x01, 0x01, 0x01, 0x05, 0x03, 0x01, 0x00, 0x01,
        0x06, 0x07, 0x01, 0x7f, 0x01, 0x41, 0x80, 0x28, 0x0b, 0x07, 0x11, 0x02, 0x06, 0x6d, 0x65, 0x6d,
        0x6f, 0x72, 0x79, 0x02, 0x00, 0x04, 0x73, 0x70, 0x69, 0x6e, 0x00, 0x00, 0x0a, 0x7e, 0x01, 0x7c,
        0x01, 0x05, 0x7f, 0x23, 0x80, 0x80, 0x80, 0x80, 0x00, 0x41, 0xc0, 0x00, 0x6b, 0x21, 0x01, 0x02,
        0x40, 0x02, 0x40, 0x20, 0x00, 0x0d, 0x00, 0x41, 0x01, 0x21, 0x02, 0x0c, 0x01, 0x0b, 0x41, 0x00,
        0x21, 0x03, 0x41, 0x01, 0x21, 0x04, 0x03, 0x40, 0x20, 0x01, 0x20, 0x03, 0x22, 0x03, 0x41, 0x0f,
        0x71, 0x41, 0x02, 0x74, 0x6a, 0x20, 0x04, 0x41, 0xed, 0x9c, 0x99, 0x8e, 0x04, 0x6c, 0x41, 0xb9,
        0xe0, 0x00, 0x6a, 0x22, 0x04, 0x36, 0x02, 0x00, 0x20, 0x01, 0x20, 0x03, 0x41, 0x07, 0x6a, 0x41,
        0x0f, 0x71, 0x41, 0x02, 0x74, 0x6a, 0x28, 0x02, 0x00, 0x41, 0x03, 0x76, 0x20, 0x04, 0x73, 0x22,
        0x04, 0x21, 0x02, 0x20, 0x03, 0x41, 0x01, 0x6a, 0x22, 0x05, 0x21, 0x03, 0x20, 0x04, 0x21, 0x04,
        0x20, 0x00, 0x20, 0x05, 0x47, 0x0d, 0x00, 0x0b, 0x0b, 0x20, 0x02, 0x0b,
    ]

    /// A conservative rate for when the probe cannot run (an engine without metering): 1e9 units/s.
    static let fallback: UInt64 = 1_000_000_000

    /// Runs the probe for about `time` and returns the best observed fuel per second.
    static func measure(engine: Engine, time: Duration) -> UInt64 {
        guard engine.configuration.fuelMetering else { return fallback }
        do {
            let store = Store(engine: engine)
            let instance = try parseWasm(bytes: probe).instantiate(store: store)
            guard let spin = instance.exports[function: "spin"] else { return fallback }
            var stack = ExecutionStack(engine: engine)
            let clock = ContinuousClock()
            try spin.invoke([.i32(16)], on: &stack)  // translate before measuring
            let end = clock.now.advanced(by: time)
            var iterations: UInt32 = 20_000
            var best = 0.0
            var runs = 0
            while runs < 3 || (clock.now < end && runs < 50) {
                let budget: UInt64 = 1 << 40
                store.fuel = Fuel(remaining: budget)
                let start = clock.now
                try spin.invoke([.i32(iterations)], on: &stack)
                let elapsed = start.duration(to: clock.now)
                let used = budget - (store.fuel?.remaining ?? budget)
                let seconds = Double(elapsed.components.attoseconds) * 1e-18 + Double(elapsed.components.seconds)
                if seconds > 0 { best = max(best, Double(used) / seconds) }
                if seconds < 0.002, iterations < 1 << 28 { iterations *= 2 }
                runs += 1
            }
            guard best >= 1e6 else { return fallback }
            return UInt64(best)
        } catch {
            return fallback
        }
    }
}
