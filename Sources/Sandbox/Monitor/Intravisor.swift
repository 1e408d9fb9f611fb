import Synchronization
package import WasmKit

/// The monitor: one per process. It owns the WasmKit engine every compartment runs on (fuel metering on,
/// software bounds checks so no compartment reserves 4 GiB of address space), the fuel-per-second rate
/// that turns a timeout into a fuel budget, and the sealing capability whose object type seals every
/// compartment's entry capability.
///
/// ```swift
/// let intravisor = Intravisor()
/// let image = try CompartmentImage(module: bytes, files: [:], descriptor: descriptor, intravisor: intravisor)
/// let compartment = try Compartment(image: image, id: 1, callHandler: nil)
/// let outcome = compartment.invoke(request, context: context)
/// ```
public final class Intravisor: Sendable {
    /// The engine shared by every compartment. `Engine` is safe to share: its configuration is immutable
    /// and its type interner synchronises itself.
    package let engine: Engine
    public let configuration: IntravisorConfiguration
    /// Fuel units per second of guest execution on this machine (measured at start-up unless configured).
    public let fuelPerSecond: UInt64
    /// The object type this monitor seals compartment entries with; unique per monitor in the process.
    public let objectType: UInt32
    /// The capability authorising sealing and unsealing with `objectType`. Never leaves the monitor.
    let sealer: Capability

    private static let nextObjectType = Atomic<UInt32>(16)

    public init(configuration: IntravisorConfiguration = .init()) {
        self.configuration = configuration
        let engine = Engine(
            configuration: EngineConfiguration(
                stackSize: configuration.stackBytes, memoryBoundsChecking: .software,
                fuelMetering: configuration.fuelMetering))
        self.engine = engine
        let objectType = Self.nextObjectType.wrappingAdd(1, ordering: .relaxed).newValue
        self.objectType = objectType
        self.sealer = Capability.root(base: UInt64(objectType), length: 1, permissions: [.seal, .unseal])
        if let fixed = configuration.fuelPerSecond {
            fuelPerSecond = max(fixed, 1)
        } else {
            fuelPerSecond = FuelCalibration.measure(engine: engine, time: configuration.calibrationTime)
        }
    }

    /// The fuel that lasts about `duration` of guest execution, at least 1.
    public func fuel(for duration: Duration) -> UInt64 {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
        guard seconds > 0 else { return 1 }
        let fuel = seconds * Double(fuelPerSecond)
        return fuel >= Double(UInt64.max / 2) ? UInt64.max / 2 : max(UInt64(fuel), 1)
    }

    /// Seals `capability` as an entry of a compartment of this monitor.
    func seal(_ capability: Capability) throws(CapabilityFault) -> Capability {
        try capability.sealed(using: sealer, objectType: objectType)
    }

    /// Unseals an entry capability; a capability sealed by anyone else is a `type` fault, an unsealed one a
    /// `seal` fault.
    func unseal(_ capability: Capability) throws(CapabilityFault) -> Capability {
        try capability.unsealed(using: sealer)
    }
}
