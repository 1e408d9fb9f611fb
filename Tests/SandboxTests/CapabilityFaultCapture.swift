import Sandbox
import Testing

/// The kind of the capability fault `body` throws, or `nil` when it completes. Any other error fails the test.
func capabilityFault(_ body: () throws -> Void) -> FaultKind? {
    do {
        try body()
        return nil
    } catch let error as CapabilityFault {
        return error.kind
    } catch {
        Issue.record("expected a capability fault, got \(error)")
        return nil
    }
}
