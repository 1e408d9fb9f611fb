import Foundation
import Registry
import Sandbox

extension Scheduler {
    /// Records the final activation (an async attempt's goes back in the answer instead, for its
    /// runner to store with the queue), updates the metrics and builds the answer.
    @discardableResult
    func finishRecord(
        _ runtime: VersionRuntime, activation: String, arrival: ContinuousClock.Instant, queueWait: Duration,
        execution: Execution?, failure: SchedulerFailure?, storeResult: Bool
    ) -> InvocationAnswer {
        var result: Result<InvocationResponse, SchedulerFailure>
        var report: InvocationReport?
        switch (execution?.outcome, execution?.failure ?? failure) {
        case (.success(let response, let runReport)?, _):
            result = .success(response)
            report = runReport
        case (.failure(let invocationFailure, let runReport)?, _):
            result = .failure(SchedulerFailure(invocation: invocationFailure))
            report = runReport
        case (nil, let failure?):
            result = .failure(failure)
        case (nil, nil):
            result = .failure(.unavailable("the invocation produced no outcome"))
        }
        let duration = ContinuousClock.now - arrival
        let start = execution?.start
        var record = ActivationRecord(
            id: activation, function: runtime.function, version: runtime.version,
            status: result.isSuccess ? .succeeded : .failed, start: start?.rawValue,
            queueUs: queueWait.microseconds, initUs: execution?.initTime.microseconds ?? 0,
            runUs: report?.runTime.microseconds ?? 0, exit: report?.exitCode, error: nil, message: nil,
            logs: String(decoding: report?.logs ?? [], as: UTF8.self), fuelUsed: report?.fuelUsed ?? 0,
            created: Date(), result: nil, isAsync: storeResult, node: configuration.node)
        switch result {
        case .success(let response):
            if storeResult {
                record.result = StoredResult(status: response.status, headers: response.headers, body: response.body)
            }
        case .failure(let failure):
            record.error = failure.code
            record.message = failure.message
            if let fault = failure.fault { metrics.capabilityFault(kind: fault.rawValue) }
        }
        if !storeResult { registry.activations.record(record) }
        metrics.invocation(
            function: runtime.function, status: result.isSuccess ? "success" : (result.failureCode ?? "error"),
            start: start?.rawValue ?? "none", duration: duration)
        return InvocationAnswer(
            activation: activation, start: start, duration: duration, result: result, record: storeResult ? record : nil)
    }
}

extension Result where Failure == SchedulerFailure {
    var isSuccess: Bool {
        if case .success = self { return true }
        return false
    }

    var failureCode: String? {
        if case .failure(let failure) = self { return failure.code }
        return nil
    }
}

extension SchedulerFailure {
    /// A failure of a guest run, with its SPEC code.
    init(invocation failure: InvocationFailure) {
        self.init(code: failure.code.description, message: failure.message, fault: failure.fault)
    }

    /// A registry error, with its SPEC code.
    init(registry error: RegistryError) {
        self.init(code: error.code.description, message: error.message)
    }
}
