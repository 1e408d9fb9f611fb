import PropertyBased
import Testing

@testable import Sandbox

/// Properties of derivation checked against an oracle in 128-bit arithmetic (which cannot overflow).
@Suite struct CapabilityPropertyTests {
    /// Coordinates mixing small values, values near `UInt64.max` and everything in between, so that
    /// both the edges of the bounds and the overflow cases come up often.
    static let coordinate = zip(
        Gen.int(in: 0...2), Gen.uint64(in: 0...400), Gen.uint64(in: (UInt64.max - 400)...UInt64.max), Gen.uint64()
    ).map { choice, low, high, any in
        choice == 0 ? low : choice == 1 ? high : any
    }

    static let capability = zip(
        Gen.uint64(in: 0...128).optional(valueRate: 0.8), Gen.uint64(in: 0...256),
        Gen<Permissions>.optionSet(of: .all)
    ).map { base, length, permissions in
        // A nil base puts the capability at the very top of the address space.
        Capability.root(base: base ?? UInt64.max - length, length: length, permissions: permissions)
    }

    static let offset = zip(Gen.bool(0.8), Gen.uint64(in: 0...300), Gen.uint64()).map { small, near, any in
        small ? near : any
    }

    @Test func restrictionNeverWidens() async {
        await propertyCheck(
            count: 2000, input: Self.capability, Self.offset, Self.offset, Gen<Permissions>.optionSet(of: .all)
        ) { cap, offset, length, permissions in
            let inside = UInt128(offset) + UInt128(length) <= UInt128(cap.length)
            let expected: FaultKind? = !inside ? .bounds : permissions.isSubset(of: cap.permissions) ? nil : .permission
            do {
                let derived = try cap.restricted(offset: offset, length: length, permissions: permissions)
                #expect(expected == nil)
                #expect(derived.base >= cap.base)
                #expect(derived.top <= cap.top)
                #expect(UInt128(derived.base) + UInt128(derived.length) == UInt128(derived.top))
                #expect(derived.permissions.isSubset(of: cap.permissions))
                #expect(derived.tag && !derived.isSealed)
            } catch let error as CapabilityFault {
                #expect(error.kind == expected)
            }
        }
    }

    @Test func accessChecksMatchTheOracle() async {
        await propertyCheck(
            count: 2000, input: Self.capability, Self.coordinate, Self.offset, Gen<Permissions>.optionSet(of: .all)
        ) { cap, address, length, needs in
            let inside =
                address >= cap.base && UInt128(address) + UInt128(length) <= UInt128(cap.base) + UInt128(cap.length)
            let expected: FaultKind? = !inside ? .bounds : needs.isSubset(of: cap.permissions) ? nil : .permission
            #expect(capabilityFault { try cap.checked(address: address, length: length, needs: needs) } == expected)
            // The offset form agrees with the absolute one wherever the absolute address is representable.
            if address >= cap.base {
                #expect(
                    capabilityFault { _ = try cap.checked(offset: address - cap.base, length: length, needs: needs) }
                        == expected)
            }
        }
    }

    @Test func chainsOfDerivationsStayInsideTheRoot() async {
        let step = zip(Gen.uint64(in: 0...80), Gen.uint64(in: 0...80), Gen<Permissions>.optionSet(of: .all))
        await propertyCheck(count: 300, input: Self.capability, step.array(of: 1...12)) { root, steps in
            var current = root
            for (offset, length, permissions) in steps {
                guard let next = try? current.restricted(offset: offset, length: length, permissions: permissions)
                else {
                    continue
                }
                #expect(next.base >= current.base && next.top <= current.top)
                #expect(next.base >= root.base && next.top <= root.top)
                #expect(next.permissions.isSubset(of: root.permissions))
                current = next
            }
        }
    }

    @Test func sealedCapabilitiesCannotBeUsedOrDerived() async {
        await propertyCheck(
            count: 1000, input: Self.capability, Gen.uint32(in: 0...4096), Self.offset,
            Gen<Permissions>.optionSet(of: .all)
        ) { cap, objectType, probe, permissions in
            let sealer = Capability.root(base: UInt64(objectType), length: 1, permissions: [.seal, .unseal, .global])
            guard let sealed = try? cap.sealed(using: sealer, objectType: objectType) else {
                Issue.record("a tagged unsealed capability must seal with an authorised otype")
                return
            }
            #expect(sealed.isSealed && sealed.objectType == objectType)
            #expect(capabilityFault { try sealed.checked(address: cap.base, length: 0, needs: []) } == .seal)
            #expect(capabilityFault { try sealed.checked(address: probe, length: probe, needs: permissions) } == .seal)
            #expect(capabilityFault { _ = try sealed.restricted(offset: 0, length: 0, permissions: []) } == .seal)
            #expect(
                capabilityFault { _ = try sealed.restricted(offset: probe, length: probe, permissions: permissions) }
                    == .seal)
            #expect(capabilityFault { _ = try sealed.sealed(using: sealer, objectType: objectType) } == .seal)
            // Only an unsealer whose range contains the otype gives the capability back, unchanged.
            #expect((try? sealed.unsealed(using: sealer)) == cap)
            let other = Capability.root(base: UInt64(objectType) + 1, length: 4096, permissions: .unseal)
            #expect(capabilityFault { _ = try sealed.unsealed(using: other) } == .type)
        }
    }

    @Test func sealingNeedsAnObjectTypeInsideTheSealer() async {
        await propertyCheck(
            count: 1000, input: Gen.uint64(in: 0...5000), Gen.uint64(in: 0...100), Gen.uint32(in: 0...5200),
            Gen<Permissions>.optionSet(of: .all)
        ) { base, length, objectType, permissions in
            let sealer = Capability.root(base: base, length: length, permissions: permissions)
            let target = Capability.root(base: 0, length: 16, permissions: .data)
            let expected: FaultKind? =
                !permissions.contains(.seal)
                ? .permission
                : (UInt64(objectType) >= base && UInt64(objectType) < base + length) ? nil : .bounds
            #expect(capabilityFault { _ = try target.sealed(using: sealer, objectType: objectType) } == expected)
        }
    }

    /// A random program of inserts, drops, lookups and clears against a model: a handle, once dropped,
    /// never names anything again, and new handles are always fresh.
    @Test func tableHandlesNeverResurrect() async {
        let operation = zip(Gen.int(in: 0...9), Gen.int32(in: -2...40))
        await propertyCheck(count: 300, input: operation.array(of: 1...200)) { program in
            var table = CapabilityTable(capacity: 16)
            var live: Set<Int32> = []
            var dead: Set<Int32> = []
            var highest: Int32 = 0
            let cap = Capability.root(base: 0, length: 8, permissions: .load)
            for (choice, argument) in program {
                switch choice {
                case 0...3:
                    let handle = table.insert(.callResponse(status: 200, body: []), capability: cap)
                    if live.count == 16 {
                        #expect(handle == CapabilityTable.full)
                    } else {
                        #expect(handle == highest + 1)
                        highest = handle
                        live.insert(handle)
                    }
                case 4...5:
                    let handle = argument == 0 ? (live.first ?? argument) : argument
                    let outcome = capabilityFault { try table.drop(handle) }
                    #expect(outcome == (live.contains(handle) ? nil : .tag))
                    if live.remove(handle) != nil { dead.insert(handle) }
                case 6:
                    table.removeAll()
                    dead.formUnion(live)
                    live.removeAll()
                default:
                    #expect(
                        capabilityFault { _ = try table.lookup(argument) } == (live.contains(argument) ? nil : .tag))
                }
                for handle in dead {
                    #expect(capabilityFault { _ = try table.lookup(handle) } == .tag)
                }
                #expect(table.count == live.count)
            }
        }
    }
}
