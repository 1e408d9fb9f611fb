import Testing

@testable import Sandbox

@Suite struct CapabilityTableTests {
    let file = CapFile(path: "data/words.txt", bytes: Array("the quick brown fox".utf8))

    @Test func handlesStartAtOneAndAreNeverReused() throws {
        var table = CapabilityTable()
        let first = table.insert(.file(file), capability: file.capability)
        let second = table.insert(.file(file), capability: file.capability)
        #expect(first == 1)
        #expect(second == 2)
        try table.drop(first)
        #expect(table.insert(.file(file), capability: file.capability) == 3)
        table.removeAll()
        #expect(table.count == 0)
        #expect(table.insert(.file(file), capability: file.capability) == 4)
    }

    @Test func unknownAndDroppedHandlesAreTagFaults() throws {
        var table = CapabilityTable()
        let handle = table.insert(.file(file), capability: file.capability)
        #expect(capabilityFault { _ = try table.lookup(0) } == .tag)
        #expect(capabilityFault { _ = try table.lookup(-1) } == .tag)
        #expect(capabilityFault { _ = try table.lookup(handle + 1) } == .tag)
        #expect(capabilityFault { _ = try table.lookup(.max) } == .tag)
        #expect(capabilityFault { _ = try table.lookup(.min) } == .tag)
        try table.drop(handle)
        #expect(capabilityFault { _ = try table.lookup(handle) } == .tag)
        #expect(capabilityFault { try table.drop(handle) } == .tag)
        #expect(capabilityFault { try table.drop(42) } == .tag)
        let again = table.insert(.file(file), capability: file.capability)
        table.removeAll()
        #expect(capabilityFault { _ = try table.lookup(again) } == .tag)
    }

    @Test func capacityIsBounded() throws {
        var table = CapabilityTable(capacity: 3)
        let handles = (0..<3).map { _ in table.insert(.callResponse(status: 200, body: []), capability: file.capability)
        }
        #expect(handles == [1, 2, 3])
        #expect(table.insert(.callResponse(status: 200, body: []), capability: file.capability) == CapabilityTable.full)
        #expect(table.count == 3)
        try table.drop(2)
        #expect(table.insert(.callResponse(status: 200, body: []), capability: file.capability) == 4)
        #expect(CapabilityTable().capacity == 1024)
    }

    @Test func restrictNamesTheSameObjectWithANarrowerCapability() throws {
        var table = CapabilityTable()
        let whole = table.insert(.file(file), capability: file.capability)
        let quick = try table.restrict(whole, offset: 4, length: 5, permissions: .load)
        let (object, capability) = try table.lookup(quick)
        #expect(capability.base == 4 && capability.length == 5)
        #expect(String(decoding: try object.bytes(through: capability, offset: 0, length: 5), as: UTF8.self) == "quick")
        #expect(capabilityFault { _ = try object.bytes(through: capability, offset: 1, length: 5) } == .bounds)
        // Relative to the restricted base: widening past it is a permission fault, like asking for write.
        #expect(
            capabilityFault { _ = try table.restrict(quick, offset: 0, length: 6, permissions: .load) } == .permission)
        #expect(
            capabilityFault { _ = try table.restrict(quick, offset: 0, length: 5, permissions: .store) } == .permission)
        #expect(capabilityFault { _ = try table.restrict(99, offset: 0, length: 1, permissions: .load) } == .tag)
        #expect(table.count == 2)
    }

    @Test func objectsRefuseCapabilitiesOverOtherObjects() throws {
        let body = CapabilityObject.callResponse(status: 201, body: [1, 2, 3])
        #expect(body.rootCapability.length == 3)
        #expect(body.rootCapability.permissions == .load)
        #expect(try body.bytes(through: body.rootCapability, offset: 1, length: 2) == [2, 3])
        // The file's capability is larger than the response body: refused, never read out of range.
        #expect(capabilityFault { _ = try body.bytes(through: file.capability, offset: 0, length: 1) } == .bounds)
        #expect(
            capabilityFault { _ = try body.bytes(through: body.rootCapability.clearingTag(), offset: 0, length: 1) }
                == .tag)
    }

    @Test func capFilesShareTheirBytes() {
        let storage = CapFile.Storage(path: "a.txt", bytes: Array(repeating: 7, count: 4096))
        let one = CapFile(storage: storage)
        let two = CapFile(storage: storage)
        #expect(one.storage === two.storage)
        #expect(one.path == "a.txt")
        #expect(one.capability == two.capability)
        #expect(one.capability.length == 4096)
        #expect(one.capability.permissions == .load)
        one.bytes.withUnsafeBufferPointer { a in
            two.bytes.withUnsafeBufferPointer { b in #expect(a.baseAddress == b.baseAddress) }
        }
    }
}
