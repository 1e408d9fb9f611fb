import CoreMetrics
import Prometheus
import Synchronization

/// The platform's metrics, with the names and labels of the SPEC, exported in Prometheus text.
///
/// One registry per scheduler (not the process-global `MetricsSystem`), so that several
/// schedulers — tests, benchmarks — do not mix their figures. Metric handles are cached per label
/// set: creating one takes the registry's lock, recording does not.
final class SchedulerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory

    private struct InvocationKey: Hashable {
        var function: String
        var status: String
        var start: String
    }

    private struct Handles {
        var invocations: [InvocationKey: CoreMetrics.Counter] = [:]
        var durations: [InvocationKey: CoreMetrics.Timer] = [:]
        var coldStarts: [String: CoreMetrics.Timer] = [:]
        var queueWaits: [String: CoreMetrics.Timer] = [:]
        var compartments: [InvocationKey: CoreMetrics.Gauge] = [:]
        var deploys: [String: CoreMetrics.Counter] = [:]
        var faults: [String: CoreMetrics.Counter] = [:]
        var retries: [String: CoreMetrics.Counter] = [:]
        var dead: [String: CoreMetrics.Counter] = [:]
        var depths: [String: CoreMetrics.Gauge] = [:]
        var pairs: [PairKey: CoreMetrics.Counter] = [:]
        var recycled: (instances: CoreMetrics.Gauge, bytes: CoreMetrics.Gauge)?
    }

    /// A counter with two labels: its name and both label values.
    private struct PairKey: Hashable {
        var label: String
        var first: String
        var second: String
    }

    private let handles = AdaptiveLock(Handles())

    init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        let buckets: [Duration] = [
            .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500),
            .milliseconds(1), .microseconds(2500), .milliseconds(5), .milliseconds(10), .milliseconds(25),
            .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
            .microseconds(2_500_000), .seconds(5), .seconds(10), .seconds(30), .seconds(60), .seconds(300),
        ]
        factory.defaultDurationHistogramBuckets = buckets
        self.factory = factory
    }

    /// `faas_invocations_total{function,status,start}` and
    /// `faas_invocation_duration_seconds{function,start}`.
    func invocation(function: String, status: String, start: String, duration: Duration) {
        let key = InvocationKey(function: function, status: status, start: start)
        let durationKey = InvocationKey(function: function, status: "", start: start)
        let (counter, timer) = handles.withLock { handles in
            let counter = handles.invocations[key] ?? {
                let made = CoreMetrics.Counter(
                    label: "faas_invocations_total",
                    dimensions: [("function", function), ("status", status), ("start", start)], factory: factory)
                handles.invocations[key] = made
                return made
            }()
            let timer = handles.durations[durationKey] ?? {
                let made = CoreMetrics.Timer(
                    label: "faas_invocation_duration_seconds",
                    dimensions: [("function", function), ("start", start)], factory: factory)
                handles.durations[durationKey] = made
                return made
            }()
            return (counter, timer)
        }
        counter.increment()
        timer.recordNanoseconds(duration.nanoseconds)
    }

    /// `faas_cold_start_seconds{function}`: the time to create a compartment on an invocation's path.
    func coldStart(function: String, duration: Duration) {
        timer(\.coldStarts, label: "faas_cold_start_seconds", function: function).recordNanoseconds(duration.nanoseconds)
    }

    /// `faas_queue_wait_seconds{function}`.
    func queueWait(function: String, duration: Duration) {
        timer(\.queueWaits, label: "faas_queue_wait_seconds", function: function).recordNanoseconds(duration.nanoseconds)
    }

    /// `faas_compartments{function,state}`.
    func compartments(function: String, sealed: Int, running: Int) {
        let gauges = handles.withLock { handles in
            ["sealed", "running"].map { state in
                let key = InvocationKey(function: function, status: state, start: "")
                if let gauge = handles.compartments[key] { return gauge }
                let made = CoreMetrics.Gauge(
                    label: "faas_compartments", dimensions: [("function", function), ("state", state)], factory: factory)
                handles.compartments[key] = made
                return made
            }
        }
        gauges[0].record(sealed)
        gauges[1].record(running)
    }

    /// `faas_recycled_instances` and `faas_recycled_instance_bytes`: instances of departed
    /// compartments kept for later cold starts, and the linear memory they hold, which no
    /// compartment's `memory_bytes` counts.
    func recycled(instances: Int, bytes: Int) {
        let (count, size) = handles.withLock { handles in
            if handles.recycled == nil {
                handles.recycled = (
                    CoreMetrics.Gauge(label: "faas_recycled_instances", factory: factory),
                    CoreMetrics.Gauge(label: "faas_recycled_instance_bytes", factory: factory)
                )
            }
            return handles.recycled!
        }
        count.record(instances)
        size.record(bytes)
    }

    /// `faas_deploys_total{result}`.
    func deploy(result: String) {
        counter(\.deploys, label: "faas_deploys_total", dimension: "result", value: result).increment()
    }

    /// `faas_capability_faults_total{kind}`.
    func capabilityFault(kind: String) {
        counter(\.faults, label: "faas_capability_faults_total", dimension: "kind", value: kind).increment()
    }

    /// `faas_async_retries_total{function}`: a failed async attempt queued again.
    func asyncRetry(function: String) {
        counter(\.retries, label: "faas_async_retries_total", dimension: "function", value: function).increment()
    }

    /// `faas_async_dead_total{function}`: an async activation out of attempts.
    func asyncDead(function: String) {
        counter(\.dead, label: "faas_async_dead_total", dimension: "function", value: function).increment()
    }

    /// `faas_async_queue_depth{function}`: its async activations not final yet. Functions absent
    /// from `depths` that had a gauge read 0.
    func asyncDepths(_ depths: [String: Int]) {
        let gauges: [(CoreMetrics.Gauge, Int)] = handles.withLock { handles in
            for function in depths.keys where handles.depths[function] == nil {
                handles.depths[function] = CoreMetrics.Gauge(
                    label: "faas_async_queue_depth", dimensions: [("function", function)], factory: factory)
            }
            return handles.depths.map { ($0.value, depths[$0.key] ?? 0) }
        }
        for (gauge, depth) in gauges { gauge.record(depth) }
    }

    /// `faas_http_requests_total{function,result}`: outbound requests, by what became of them
    /// (`ok`, `refused`, `too_large`, `failed`, `not_granted`, `invalid`, `limit`).
    func httpRequest(function: String, result: String) {
        pair("faas_http_requests_total", ("function", function), ("result", result)).increment()
    }

    /// `faas_kv_operations_total{op,result}`: key-value operations of guests (`ok`, `not_found`,
    /// `conflict`, `invalid`, `too_large`, `quota`, `unavailable`, `not_granted`).
    func keyValueOperation(_ operation: String, result: String) {
        pair("faas_kv_operations_total", ("op", operation), ("result", result)).increment()
    }

    /// Everything, in the Prometheus text format.
    func prometheusText() -> String {
        registry.emitToString()
    }

    private func timer(
        _ path: WritableKeyPath<Handles, [String: CoreMetrics.Timer]>, label: String, function: String
    ) -> CoreMetrics.Timer {
        handles.withLock { handles in
            if let timer = handles[keyPath: path][function] { return timer }
            let made = CoreMetrics.Timer(label: label, dimensions: [("function", function)], factory: factory)
            handles[keyPath: path][function] = made
            return made
        }
    }

    private func pair(_ label: String, _ first: (String, String), _ second: (String, String)) -> CoreMetrics.Counter {
        let key = PairKey(label: label, first: first.1, second: second.1)
        return handles.withLock { handles in
            if let counter = handles.pairs[key] { return counter }
            let made = CoreMetrics.Counter(label: label, dimensions: [first, second], factory: factory)
            handles.pairs[key] = made
            return made
        }
    }

    private func counter(
        _ path: WritableKeyPath<Handles, [String: CoreMetrics.Counter]>, label: String, dimension: String, value: String
    ) -> CoreMetrics.Counter {
        handles.withLock { handles in
            if let counter = handles[keyPath: path][value] { return counter }
            let made = CoreMetrics.Counter(label: label, dimensions: [(dimension, value)], factory: factory)
            handles[keyPath: path][value] = made
            return made
        }
    }
}

extension Duration {
    /// Whole nanoseconds, saturating.
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : scaled &+ attoseconds / 1_000_000_000
    }

    /// Whole microseconds, saturating.
    package var microseconds: Int64 { nanoseconds / 1_000 }
}
