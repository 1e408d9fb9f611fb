import Foundation
import Registry
public import Sandbox
import Synchronization

/// CAP-Calls: a guest's `call` runs the callee inline, on the caller's worker thread — a domain
/// crossing, as in the Intravisor, not a trip through the queue. The callee must have a free
/// slot now (a waiting call could deadlock the worker threads); otherwise the call fails and the
/// guest sees -4.
extension Scheduler: CallHandler {
    public func call(
        function: String, body: [UInt8], caller: ImageDescriptor, deadline: ContinuousClock.Instant
    ) -> CallResult {
        let depth = CallDepth.current
        guard depth < configuration.maxCallDepth else {
            return .failed(
                InvocationFailure(.unavailable, "CAP-Call chain deeper than \(configuration.maxCallDepth)"))
        }
        let runtime: VersionRuntime
        do {
            runtime = try runtimeBlocking(for: function, version: nil)
        } catch {
            return error.code == "not_found"
                ? .notFound : .failed(InvocationFailure(.unavailable, error.message))
        }
        let admitted = state.withLock { state -> (CompartmentHandle?)? in
            guard !state.shuttingDown, state.functions[function]?.admission.tryAcquire() == true else { return nil }
            state.runningInvocations += 1
            return .some(Self.checkout(&state, runtime))
        }
        guard let handle = admitted else {
            return .failed(InvocationFailure(.unavailable, "\(function) has no free slot for a CAP-Call"))
        }
        let arrival = ContinuousClock.now
        let activation = ActivationID.make()
        let request = InvocationRequest(
            method: "POST", path: "", query: "",
            headers: [HTTPField(name: "X-Faas-Caller", value: caller.function)], body: body)
        let calleeDeadline = min(deadline, arrival + runtime.manifest.timeout)
        CallDepth.current = depth + 1
        let execution = execute(
            runtime, on: handle, request: request, context: InvocationContext(activation: activation, deadline: calleeDeadline))
        CallDepth.current = depth
        let answer = finishRecord(
            runtime, activation: activation, arrival: arrival, queueWait: .zero, execution: execution, failure: nil,
            storeResult: false)
        switch answer.result {
        case .success(let response):
            return .response(response)
        case .failure:
            if case .failure(let failure, _)? = execution.outcome { return .failed(failure) }
            return .failed(
                InvocationFailure(.unavailable, execution.failure?.message ?? "the callee failed"))
        }
    }
}

/// How deep in a CAP-Call chain the current thread is.
enum CallDepth {
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    static var current: Int {
        get { Int(bitPattern: pthread_getspecific(key)) }
        set { pthread_setspecific(key, UnsafeRawPointer(bitPattern: newValue)) }
    }
}

#if canImport(Glibc)
    import Glibc
#endif
