import WasmKit

extension Compartment {
    /// Runs one invocation through the compartment's own sealed entry capability.
    ///
    /// Never throws and never crashes the host, whatever the guest does: the outcome is a response or a typed
    /// failure, with the logs, exit status, fuel and run time either way.
    public func invoke(_ request: InvocationRequest, context invocation: InvocationContext) -> InvocationOutcome {
        invoke(request, context: invocation, through: entryCapability)
    }

    /// Runs one invocation entered through `capability`, which must be this compartment's sealed entry:
    /// anything else is a `seal` or `type` capability fault (and destroys the compartment).
    public func invoke(_ request: InvocationRequest, context invocation: InvocationContext, through capability: Capability)
        -> InvocationOutcome
    {
        guard claim() else {
            return .failure(
                InvocationFailure(.unavailable, "compartment \(id) is \(state == .destroyed ? "destroyed" : "busy")"),
                InvocationReport())
        }
        let clock = ContinuousClock()
        let start = clock.now
        let intravisor = image.intravisor
        do throws(CapabilityFault) {
            try capability.checkedEntry(objectType: intravisor.objectType)
            let unsealed = try intravisor.unseal(capability)
            guard unsealed.base == id else {
                throw CapabilityFault(.type, "entry capability of compartment \(unsealed.base), not \(id)")
            }
        } catch {
            discard()
            return .failure(InvocationFailure(error), InvocationReport())
        }
        let remaining = start.duration(to: invocation.deadline)
        guard remaining > .zero else {
            release()
            return .failure(InvocationFailure(.timeout, "the deadline passed before the invocation started"), InvocationReport())
        }

        let host = hostContext
        host.begin(request, context: invocation)
        let budget = intravisor.fuel(for: min(remaining, image.descriptor.limits.timeout))
        store.fuel = Fuel(remaining: budget)
        var exitCode: Int32?
        var failure: InvocationFailure?
        var mustDestroy = false
        do {
            let results = try runEntry()
            exitCode = image.descriptor.abi == .iv ? Int32(bitPattern: results.first?.i32 ?? 0) : 0
        } catch HostcallInterruption.exit(let status) {
            exitCode = status
        } catch {
            failure = TrapClassifier.failure(for: error, timeout: image.descriptor.limits.timeout)
            mustDestroy = true
        }
        let fuelUsed = budget &- (store.fuel?.remaining ?? budget)
        var response: InvocationResponse?
        if failure == nil, let exitCode {
            if exitCode != 0 {
                let what = image.descriptor.abi == .iv ? "iv_main returned" : "the function exited with status"
                failure = InvocationFailure(.functionError, "\(what) \(exitCode)")
            } else {
                do {
                    response = try makeResponse(host)
                } catch {
                    failure = error
                }
            }
        }
        let report = InvocationReport(
            logs: host.log.contents, exitCode: exitCode, fuelUsed: fuelUsed, runTime: start.duration(to: clock.now))
        host.end()
        recordInvocation()
        if mustDestroy || !resetState() {
            discard()
        } else {
            release()
        }
        if let response { return .success(response, report) }
        return .failure(failure ?? InvocationFailure(.functionError, "the function produced no response"), report)
    }

    private func makeResponse(_ host: HostcallContext) throws(InvocationFailure) -> InvocationResponse {
        switch (image.descriptor.abi, image.descriptor.response) {
        case (.iv, _):
            return InvocationResponse(status: host.status, headers: host.headers, body: host.body)
        case (.wasi, .raw):
            return InvocationResponse(status: 200, headers: [], body: host.body)
        case (.wasi, .cgi):
            return try CGIResponse.parse(host.body)
        }
    }
}
