public import Sandbox

/// Shared pieces for tests and benchmarks that run guests: one monitor per process (as in production), and
/// shortcuts from a module to an image, a compartment and an outcome.
public enum SandboxHarness {
    /// The process's monitor, calibrated once.
    public static let intravisor = Intravisor()

    /// A descriptor for tests: function `test`, version 1.
    public static func descriptor(
        abi: GuestABI = .iv, state: StatePolicy = .reset, response: ResponseMode = .raw, env: [HTTPField] = [],
        grants: Grants = .none, limits: CompartmentLimits = .init(), function: String = "test"
    ) -> ImageDescriptor {
        ImageDescriptor(
            function: function, version: 1, abi: abi, state: state, response: response, env: env, grants: grants,
            limits: limits)
    }

    /// An image of the WAT module `wat`.
    public static func image(
        wat: String, _ descriptor: ImageDescriptor, files: [String: [UInt8]] = [:], intravisor: Intravisor? = nil
    ) throws -> CompartmentImage {
        try CompartmentImage(
            module: GuestFixtures.wasm(wat), files: files, descriptor: descriptor,
            intravisor: intravisor ?? Self.intravisor)
    }

    /// A context whose deadline is `timeout` from now.
    public static func context(timeout: Duration = .seconds(5), activation: String = "act-1") -> InvocationContext {
        InvocationContext(activation: activation, deadline: ContinuousClock.now.advanced(by: timeout))
    }

    /// Creates a compartment of `image` and invokes it once with `request`.
    public static func run(
        _ image: CompartmentImage, _ request: InvocationRequest = .init(), timeout: Duration = .seconds(5)
    ) throws -> InvocationOutcome {
        let compartment = try Compartment(image: image, id: 1, callHandler: nil)
        return compartment.invoke(request, context: context(timeout: timeout))
    }
}

extension InvocationOutcome {
    /// The response, or nil on failure.
    public var response: InvocationResponse? {
        if case .success(let response, _) = self { return response }
        return nil
    }

    /// The failure, or nil on success.
    public var failure: InvocationFailure? {
        if case .failure(let failure, _) = self { return failure }
        return nil
    }
}
