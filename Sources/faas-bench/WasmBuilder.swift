import Sandbox

/// Assembles a valid WASI command module of a chosen size: an empty `_start`, an exported memory and
/// one data segment of pseudo-random bytes from a small alphabet (compressing about 2:1, like code).
enum WasmBuilder {
    static func module(dataBytes: Int, seed: UInt64) -> [UInt8] {
        var data = [UInt8](repeating: 0, count: dataBytes)
        var state = seed &* 0x9E37_79B9_7F4A_7C15
        for index in data.indices {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            data[index] = UInt8(truncatingIfNeeded: state >> 59) &+ 0x30  // 32 symbols
        }
        let pages = UInt32((dataBytes + 0xFFFF) / 0x10000 + 1)
        var out: [UInt8] = [0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00]
        section(1, [0x01, 0x60, 0x00, 0x00], into: &out)  // type: () -> ()
        section(3, [0x01, 0x00], into: &out)  // function 0 has type 0
        section(5, [0x01, 0x00] + LEB128.encode(pages), into: &out)  // memory, min pages
        let start = Array("_start".utf8), memory = Array("memory".utf8)
        section(
            7, [0x02] + LEB128.encode(UInt32(start.count)) + start + [0x00, 0x00] + LEB128.encode(UInt32(memory.count)) + memory + [0x02, 0x00],
            into: &out)
        section(10, [0x01, 0x02, 0x00, 0x0B], into: &out)  // code: no locals, end
        section(11, [0x01, 0x00, 0x41, 0x00, 0x0B] + LEB128.encode(UInt32(data.count)) + data, into: &out)
        return out
    }

    private static func section(_ id: UInt8, _ body: [UInt8], into out: inout [UInt8]) {
        out.append(id)
        out += LEB128.encode(UInt32(body.count))
        out += body
    }

}
