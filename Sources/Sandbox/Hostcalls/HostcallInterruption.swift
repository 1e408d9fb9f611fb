/// Why a hostcall stops the guest instead of returning to it. Thrown through the engine and caught by the
/// compartment around its entry call.
enum HostcallInterruption: Error, Sendable {
    /// WASI `proc_exit`: the guest ended itself with this status. Not a failure in itself.
    case exit(Int32)
    /// The guest broke a capability rule.
    case fault(CapabilityFault)
    /// The invocation's deadline passed.
    case deadline
    /// The response body would exceed `limit` bytes.
    case responseTooLarge(limit: Int)

    var failure: InvocationFailure {
        switch self {
        case .exit(let status):
            InvocationFailure(.functionError, "the function exited with status \(status)")
        case .fault(let fault):
            InvocationFailure(fault)
        case .deadline:
            InvocationFailure(.timeout, "the invocation passed its deadline")
        case .responseTooLarge(let limit):
            InvocationFailure(.responseTooLarge, "the response exceeds \(limit) bytes")
        }
    }
}
