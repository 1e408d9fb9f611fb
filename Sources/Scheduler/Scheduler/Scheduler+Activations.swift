import Foundation
import Registry
import Sandbox

extension Scheduler {
    /// Records an activation that has not finished (an async one, queued or running).
    func record(_ runtime: VersionRuntime, activation: String, status: ActivationStatus) {
        registry.activations.record(
            ActivationRecord(id: activation, function: runtime.function, version: runtime.version, status: status))
    }

    /// Records the final activation, updates the metrics and builds the answer.
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
            created: Date(), result: nil)
        switch result {
        case .success(let response):
            if storeResult {
                record.result = StoredResult(status: response.status, headers: response.headers, body: response.body)
            }
        case .failure(let failure):
            record.error = failure.code
            record.message = failure.message
            if let fault = failure.fault { metrics.capabilityFault(kind: fault.rawValue) }
            if storeResult {
                let body = Array("{\"error\":{\"code\":\"\(failure.code)\",\"message\":\(jsonString(failure.message))}}".utf8)
                record.result = StoredResult(
                    status: SchedulerFailure.status(of: failure.code),
                    headers: [HTTPField(name: "Content-Type", value: "application/json")], body: body)
            }
        }
        registry.activations.record(record)
        metrics.invocation(
            function: runtime.function, status: result.isSuccess ? "success" : (result.failureCode ?? "error"),
            start: start?.rawValue ?? "none", duration: duration)
        return InvocationAnswer(activation: activation, start: start, duration: duration, result: result)
    }
}

/// A JSON string literal for `text`.
func jsonString(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
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

    /// The HTTP status of a SPEC error code (used for stored async results; the Gateway maps
    /// live answers with the same table).
    public static func status(of code: String) -> Int {
        switch code {
        case "bad_request", "invalid_archive": 400
        case "unauthorized": 401
        case "not_found": 404
        case "payload_too_large": 413
        case "invalid_function": 422
        case "too_many_requests": 429
        case "function_error", "function_trap", "capability_fault", "response_too_large": 502
        case "timeout": 504
        default: 503
        }
    }
}
