import Testing

@testable import Sandbox

/// Each CHERI fault class, raised by the operation that should raise it, and the legal derivations.
@Suite struct CapabilityTests {
    let memory = Capability.root(base: 0, length: 65_536, permissions: .data)
    let sealer = Capability.root(base: 100, length: 10, permissions: [.seal, .unseal, .global])

    @Test func restrictionShrinksBoundsAndPermissions() throws {
        let buffer = try memory.restricted(offset: 1024, length: 16, permissions: .load)
        #expect(buffer.base == 1024)
        #expect(buffer.length == 16)
        #expect(buffer.top == 1040)
        #expect(buffer.permissions == .load)
        #expect(buffer.tag)
        #expect(!buffer.isSealed)
        // The whole capability and an empty range at its top are both legal derivations.
        #expect(try memory.restricted(offset: 0, length: 65_536, permissions: .data) == memory)
        #expect(try memory.restricted(offset: 65_536, length: 0, permissions: []).base == 65_536)
    }

    @Test func boundsFaults() {
        #expect(capabilityFault { _ = try memory.restricted(offset: 65_536, length: 1, permissions: .load) } == .bounds)
        #expect(capabilityFault { _ = try memory.restricted(offset: 65_537, length: 0, permissions: .load) } == .bounds)
        #expect(capabilityFault { _ = try memory.restricted(offset: 1, length: .max, permissions: .load) } == .bounds)
        #expect(capabilityFault { try memory.checked(address: 65_535, length: 2, needs: .load) } == .bounds)
        #expect(capabilityFault { try memory.checked(address: .max, length: 2, needs: .load) } == .bounds)
        #expect(capabilityFault { try memory.checked(address: 10, length: .max, needs: .load) } == .bounds)
        #expect(capabilityFault { try memory.checked(offset: .max, length: 1, needs: .load) } == .bounds)
        let inner = try? memory.restricted(offset: 100, length: 10, permissions: .data)
        #expect(capabilityFault { try inner?.checked(address: 99, length: 1, needs: .load) } == .bounds)
        #expect(capabilityFault { try inner?.checked(address: 110, length: 1, needs: .load) } == .bounds)
        #expect(capabilityFault { try inner?.checked(address: 100, length: 10, needs: .load) } == nil)
        #expect(capabilityFault { try inner?.checked(address: 110, length: 0, needs: .load) } == nil)
        // Sealing with an object type outside the sealer's bounds [base, top).
        #expect(capabilityFault { _ = try memory.sealed(using: sealer, objectType: 110) } == .bounds)
        #expect(capabilityFault { _ = try memory.sealed(using: sealer, objectType: 99) } == .bounds)
    }

    @Test func permissionFaults() throws {
        let readOnly = try memory.restricted(offset: 0, length: 64, permissions: .load)
        #expect(capabilityFault { try readOnly.checked(address: 0, length: 4, needs: .store) } == .permission)
        #expect(
            capabilityFault { _ = try readOnly.restricted(offset: 0, length: 4, permissions: [.load, .store]) }
                == .permission)
        #expect(
            capabilityFault { _ = try memory.restricted(offset: 0, length: 4, permissions: .execute) } == .permission)
        // Sealing and unsealing need their permissions on the authorising capability.
        let noSeal = Capability.root(base: 100, length: 10, permissions: .unseal)
        #expect(capabilityFault { _ = try memory.sealed(using: noSeal, objectType: 100) } == .permission)
        let sealedMemory = try memory.sealed(using: sealer, objectType: 105)
        let noUnseal = Capability.root(base: 100, length: 10, permissions: .seal)
        #expect(capabilityFault { _ = try sealedMemory.unsealed(using: noUnseal) } == .permission)
        // Entering needs invoke.
        #expect(capabilityFault { try sealedMemory.checkedEntry(objectType: 105) } == .permission)
    }

    @Test func narrowingReportsEveryWideningAsPermission() throws {
        #expect(
            capabilityFault { _ = try memory.narrowed(offset: 65_000, length: 1_000, permissions: .load) }
                == .permission)
        #expect(capabilityFault { _ = try memory.narrowed(offset: 0, length: 1, permissions: .execute) } == .permission)
        #expect(
            try memory.narrowed(offset: 8, length: 8, permissions: .load)
                == memory.restricted(offset: 8, length: 8, permissions: .load))
        let sealedMemory = try memory.sealed(using: sealer, objectType: 100)
        #expect(capabilityFault { _ = try sealedMemory.narrowed(offset: 0, length: 1, permissions: .load) } == .seal)
    }

    @Test func tagFaults() throws {
        let untagged = memory.clearingTag()
        #expect(!untagged.tag)
        #expect(untagged.base == memory.base && untagged.length == memory.length)
        #expect(capabilityFault { try untagged.checked(address: 0, length: 1, needs: .load) } == .tag)
        #expect(capabilityFault { try untagged.checked(offset: 0, length: 1, needs: .load) } == .tag)
        #expect(capabilityFault { _ = try untagged.restricted(offset: 0, length: 1, permissions: .load) } == .tag)
        #expect(capabilityFault { _ = try untagged.sealed(using: sealer, objectType: 100) } == .tag)
        #expect(capabilityFault { _ = try memory.sealed(using: sealer.clearingTag(), objectType: 100) } == .tag)
        let sealedMemory = try memory.sealed(using: sealer, objectType: 100)
        #expect(capabilityFault { _ = try sealedMemory.clearingTag().unsealed(using: sealer) } == .tag)
        #expect(capabilityFault { _ = try sealedMemory.unsealed(using: sealer.clearingTag()) } == .tag)
        #expect(capabilityFault { try sealedMemory.clearingTag().checkedEntry(objectType: 100) } == .tag)
        // A tag fault takes priority over a bounds fault.
        #expect(capabilityFault { try untagged.checked(address: .max, length: .max, needs: .all) } == .tag)
    }

    @Test func sealFaults() throws {
        let entry = try Capability.root(base: 0, length: 4096, permissions: [.execute, .invoke])
            .sealed(using: sealer, objectType: 104)
        #expect(entry.isSealed)
        #expect(entry.objectType == 104)
        #expect(capabilityFault { try entry.checked(address: 0, length: 1, needs: .execute) } == .seal)
        #expect(capabilityFault { _ = try entry.restricted(offset: 0, length: 1, permissions: .execute) } == .seal)
        #expect(capabilityFault { _ = try entry.sealed(using: sealer, objectType: 105) } == .seal)
        #expect(capabilityFault { _ = try memory.unsealed(using: sealer) } == .seal)  // not sealed
        let sealedSealer = try sealer.sealed(using: sealer, objectType: 100)
        #expect(capabilityFault { _ = try memory.sealed(using: sealedSealer, objectType: 100) } == .seal)
        #expect(capabilityFault { _ = try entry.unsealed(using: sealedSealer) } == .seal)
        // Entering through an unsealed capability is a seal fault too.
        let unsealedEntry = try entry.unsealed(using: sealer)
        #expect(capabilityFault { try unsealedEntry.checkedEntry(objectType: 104) } == .seal)
    }

    @Test func typeFaults() throws {
        let entry = try Capability.root(base: 0, length: 4096, permissions: [.execute, .invoke])
            .sealed(using: sealer, objectType: 104)
        let otherUnsealer = Capability.root(base: 105, length: 5, permissions: .unseal)
        #expect(capabilityFault { _ = try entry.unsealed(using: otherUnsealer) } == .type)
        #expect(capabilityFault { try entry.checkedEntry(objectType: 105) } == .type)
        #expect(capabilityFault { try entry.checkedEntry(objectType: 104) } == nil)
    }

    @Test func unsealingRestoresTheCapabilityAndHonoursGlobal() throws {
        let sealedMemory = try memory.sealed(using: sealer, objectType: 109)
        #expect(try sealedMemory.unsealed(using: sealer) == memory)
        let localUnsealer = Capability.root(base: 109, length: 1, permissions: .unseal)
        let local = try sealedMemory.unsealed(using: localUnsealer)
        #expect(local.permissions == [.load, .store])
        #expect(!local.isSealed)
    }

    @Test func rootCapabilitiesNeverOverflowTheirTop() {
        let high = Capability.root(base: .max - 10, length: 100, permissions: .load)
        #expect(high.top == .max)
        #expect(high.length == 10)
        #expect(capabilityFault { try high.checked(address: .max - 1, length: 2, needs: .load) } == .bounds)
        #expect(capabilityFault { try high.checked(address: .max - 1, length: 1, needs: .load) } == nil)
    }

    @Test func guestPermissionMasks() {
        #expect(Permissions(guestMask: 0) == [])
        #expect(Permissions(guestMask: 1) == .load)
        #expect(Permissions(guestMask: 2) == .store)
        #expect(Permissions(guestMask: 3) == [.load, .store])
        #expect(Permissions(guestMask: 4) == nil)
        #expect(Permissions(guestMask: -1) == nil)
        #expect(Permissions.data == [.load, .store, .global])
        #expect(Permissions.all.rawValue == 0x1FF)
    }

    @Test func faultsDescribeThemselves() {
        let error = CapabilityFault(.bounds, "access outside")
        #expect(error.description == "bounds fault: access outside")
        #expect(FaultKind.allCases.map(\.rawValue) == ["bounds", "tag", "seal", "type", "permission"])
    }
}
