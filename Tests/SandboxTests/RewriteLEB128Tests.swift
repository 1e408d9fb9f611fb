import Testing

@testable import Sandbox

@Suite struct RewriteLEB128Tests {
    @Test(arguments: [0, 1, 127, 128, 16_383, 16_384, 2_097_151, 2_097_152, 268_435_455, 268_435_456, UInt32.max])
    func roundTrips(value: UInt32) throws {
        let bytes = LEB128.encode(value)
        let expectedLength = value < 1 << 7 ? 1 : value < 1 << 14 ? 2 : value < 1 << 21 ? 3 : value < 1 << 28 ? 4 : 5
        #expect(bytes.count == expectedLength)
        let decoded = try #require(LEB128.decodeUInt32([0xAA] + bytes + [0xBB], at: 1))
        #expect(decoded.value == value)
        #expect(decoded.length == bytes.count)
    }

    @Test func decodesPaddedEncodings() throws {
        let zero = try #require(LEB128.decodeUInt32([0x80, 0x80, 0x80, 0x80, 0x00], at: 0))
        #expect(zero.value == 0 && zero.length == 5)
        let five = try #require(LEB128.decodeUInt32([0x85, 0x00], at: 0))
        #expect(five.value == 5 && five.length == 2)
    }

    @Test func refusesMalformedEncodings() {
        #expect(LEB128.decodeUInt32([], at: 0) == nil)
        #expect(LEB128.decodeUInt32([0x80], at: 0) == nil)  // ends inside the number
        #expect(LEB128.decodeUInt32([0x80, 0x80, 0x80, 0x80, 0x80, 0x00], at: 0) == nil)  // six bytes
        #expect(LEB128.decodeUInt32([0xFF, 0xFF, 0xFF, 0xFF, 0x10], at: 0) == nil)  // bit 32 set
        #expect(LEB128.decodeUInt32([0x00], at: 1) == nil)
        #expect(LEB128.decodeUInt32([0x00], at: -1) == nil)
    }
}
