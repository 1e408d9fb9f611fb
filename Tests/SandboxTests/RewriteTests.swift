import Testing
import WAT
import WasmKit

@testable import Sandbox

/// The export-section edit, checked by instantiating the rewritten modules with WasmKit.
@Suite struct RewriteTests {
    /// The sections of a module other than its export section, as (id, content) pairs, with the header.
    static func sectionsOutsideExports(_ module: [UInt8]) throws -> [[UInt8]] {
        var result = [Array(module.prefix(8))]
        var index = 8
        while index < module.count {
            let id = module[index]
            let size = try #require(LEB128.decodeUInt32(module, at: index + 1))
            let end = index + 1 + size.length + Int(size.value)
            try #require(end <= module.count)
            if id != 7 { result.append(Array(module[index..<end])) }
            index = end
        }
        return result
    }

    static func sectionIDs(_ module: [UInt8]) throws -> [UInt8] {
        var ids: [UInt8] = []
        var index = 8
        while index < module.count {
            let size = try #require(LEB128.decodeUInt32(module, at: index + 1))
            ids.append(module[index])
            index += 1 + size.length + Int(size.value)
        }
        return ids
    }

    static func instantiate(_ bytes: [UInt8], imports: (Store) throws -> Imports = { _ in Imports() }) throws
        -> Instance
    {
        let store = Store(engine: Engine())
        return try parseWasm(bytes: bytes).instantiate(store: store, imports: imports(store))
    }

    @Test func exportsEveryMutableDefinedGlobalByIndex() throws {
        let module = try wat2wasm(
            """
            (module
              (import "env" "imported" (global $imported (mut i32)))
              (memory (export "memory") 1)
              (global $counter (mut i32) (i32.const 7))
              (global $constant i32 (i32.const 9))
              (global $wide (mut i64) (i64.const -5))
              (global $real (mut f64) (f64.const 1.5))
              (func (export "bump") (result i32)
                global.get $counter
                i32.const 1
                i32.add
                global.set $counter
                global.get $counter))
            """)
        let (bytes, exported) = try ModuleRewriter.exportingMutableGlobals(module)
        #expect(exported == ["__cvm_global_1", "__cvm_global_3", "__cvm_global_4"])
        #expect(try Self.sectionsOutsideExports(bytes) == Self.sectionsOutsideExports(module))

        let instance = try Self.instantiate(bytes) { store in
            var imports = Imports()
            imports.define(
                module: "env", name: "imported",
                try Global(store: store, type: GlobalType(mutability: .variable, valueType: .i32), value: .i32(0)))
            return imports
        }
        let counter = try #require(instance.exports[global: "__cvm_global_1"])
        #expect(counter.value == .i32(7))
        #expect(instance.exports[global: "__cvm_global_3"]?.value == .i64(UInt64(bitPattern: -5)))
        #expect(instance.exports[global: "__cvm_global_4"]?.value == .f64(1.5.bitPattern))
        #expect(instance.exports[global: "__cvm_global_2"] == nil)
        #expect(instance.exports[global: "__cvm_global_0"] == nil)
        // The export names the module's own global: the guest sees what the host assigns, and back.
        let bump = try #require(instance.exports[function: "bump"])
        #expect(try bump() == [.i32(8)])
        #expect(counter.value == .i32(8))
        try counter.assign(.i32(7))
        #expect(try bump() == [.i32(8)])
        #expect(instance.exports[function: "bump"] != nil && instance.exports[memory: "memory"] != nil)
    }

    @Test func leavesModulesWithoutMutableGlobalsUntouched() throws {
        let module = try wat2wasm(
            """
            (module
              (global (export "answer") i32 (i32.const 42))
              (func (export "f") (result i32) global.get 0))
            """)
        let (bytes, exported) = try ModuleRewriter.exportingMutableGlobals(module)
        #expect(bytes == module)
        #expect(exported.isEmpty)
    }

    @Test func createsTheExportSectionInItsPlace() throws {
        let plain = try wat2wasm(
            """
            (module
              (global $g (mut i32) (i32.const 11))
              (memory 1)
              (func $main global.get $g drop)
              (start $main)
              (data (i32.const 0) "hi"))
            """)
        // A custom section after the globals must stay where it is, before the new export section.
        let ids = try Self.sectionIDs(plain)
        #expect(!ids.contains(7))
        let globalEnd = try Self.offsetAfterSection(6, in: plain)
        let custom: [UInt8] = [0, 5, 4] + Array("note".utf8)
        let module = Array(plain[..<globalEnd]) + custom + Array(plain[globalEnd...])

        let (bytes, exported) = try ModuleRewriter.exportingMutableGlobals(module)
        #expect(exported == ["__cvm_global_0"])
        let newIDs = try Self.sectionIDs(bytes)
        let position = try #require(newIDs.firstIndex(of: 7))
        #expect(newIDs[position - 1] == 0)  // after the custom section
        #expect(newIDs[position + 1] == 8)  // before the start section
        #expect(try Self.sectionsOutsideExports(bytes) == Self.sectionsOutsideExports(module))
        let instance = try Self.instantiate(bytes)
        #expect(instance.exports[global: "__cvm_global_0"]?.value == .i32(11))
    }

    @Test func appendsAnExportSectionWhenNothingFollowsIt() throws {
        let module = try wat2wasm(#"(module (global (mut i64) (i64.const 3)))"#)
        #expect(try Self.sectionIDs(module).last == 6)
        let (bytes, exported) = try ModuleRewriter.exportingMutableGlobals(module)
        #expect(exported == ["__cvm_global_0"])
        #expect(try Self.sectionIDs(bytes).last == 7)
        #expect(try Self.instantiate(bytes).exports[global: "__cvm_global_0"]?.value == .i64(3))
    }

    /// Counts and sizes that cross the one-, two- and three-byte LEB128 boundaries.
    @Test(arguments: [1, 9, 127, 128, 200, 2000])
    func encodesSizesAcrossLEBBoundaries(globals: Int) throws {
        var text = "(module (memory (export \"memory\") 1)\n"
        for index in 0..<globals {
            text += "(global (mut i32) (i32.const \(index * 3)))\n"
        }
        text += "(func (export \"f\")))"
        let module = try wat2wasm(text)
        let (bytes, exported) = try ModuleRewriter.exportingMutableGlobals(module)
        #expect(exported.count == globals)
        #expect(exported.last == "__cvm_global_\(globals - 1)")
        #expect(try Self.sectionsOutsideExports(bytes) == Self.sectionsOutsideExports(module))
        let parsed = try parseWasm(bytes: bytes)
        #expect(parsed.exports.count == globals + 2)
        let instance = try Self.instantiate(bytes)
        #expect(instance.exports[global: "__cvm_global_\(globals - 1)"]?.value == .i32(UInt32((globals - 1) * 3)))
        #expect(instance.exports[function: "f"] != nil)
    }

    @Test func acceptsPaddedLEBInTheExportSection() throws {
        let module = try wat2wasm(
            """
            (module (global $g (mut i32) (i32.const 5)) (func (export "f")) (memory (export "memory") 1))
            """)
        // Re-encode the export section with a five-byte size and a three-byte count (legal, not minimal).
        let start = try Self.offsetOfSection(7, in: module)
        let size = try #require(LEB128.decodeUInt32(module, at: start + 1))
        let count = try #require(LEB128.decodeUInt32(module, at: start + 1 + size.length))
        #expect(count.value == 2)
        let entries = module[(start + 1 + size.length + count.length)..<(start + 1 + size.length + Int(size.value))]
        let content: [UInt8] = [0x82, 0x80, 0x00] + entries
        let paddedSize = UInt32(content.count)
        let padded: [UInt8] =
            Array(module[..<start]) + [7]
            + [UInt8(paddedSize & 0x7F) | 0x80, UInt8(paddedSize >> 7) | 0x80, 0x80, 0x80, 0x00] + content
            + Array(module[(start + 1 + size.length + Int(size.value))...])
        _ = try parseWasm(bytes: padded)

        let (bytes, exported) = try ModuleRewriter.exportingMutableGlobals(padded)
        #expect(exported == ["__cvm_global_0"])
        #expect(try Set(parseWasm(bytes: bytes).exports.map(\.name)) == ["f", "memory", "__cvm_global_0"])
        #expect(try Self.sectionsOutsideExports(bytes) == Self.sectionsOutsideExports(padded))
    }

    @Test(arguments: [
        #"(module (global (export "__cvm_global_7") i32 (i32.const 0)))"#,
        #"(module (global (export "__cvm_global_1") (mut i32) (i32.const 0)))"#,
        #"(module (global (mut i32) (i32.const 0)) (func (export "__cvm_global_0")))"#,
        #"(module (global (export "__cvm_global_0") (mut i32) (i32.const 0)) (global (mut i32) (i32.const 0)))"#,
        #"(module (func (export "__cvm_global_")))"#,
    ])
    func refusesOtherUsesOfTheReservedPrefix(text: String) throws {
        let module = try wat2wasm(text)
        do {
            let result = try ModuleRewriter.exportingMutableGlobals(module)
            Issue.record("accepted a reserved export: \(result.exported)")
        } catch {
            #expect(error.code == .invalidFunction)
            #expect(error.message.contains("reserved"))
        }
    }

    @Test func rewritingTwiceChangesNothing() throws {
        let module = try wat2wasm(
            #"(module (global (mut i32) (i32.const 1)) (global i32 (i32.const 2)) (global (mut f32) (f32.const 3)))"#)
        let once = try ModuleRewriter.exportingMutableGlobals(module)
        let twice = try ModuleRewriter.exportingMutableGlobals(once.bytes)
        #expect(once.exported == ["__cvm_global_0", "__cvm_global_2"])
        #expect(twice.exported == once.exported)
        #expect(twice.bytes == once.bytes)
    }

    @Test func refusesMalformedModules() throws {
        let valid = try wat2wasm(#"(module (global (mut i32) (i32.const 1)) (func (export "f")))"#)
        let cases: [[UInt8]] = [
            [],
            [0x00, 0x61, 0x73],
            [0x00, 0x61, 0x73, 0x6d, 0x02, 0x00, 0x00, 0x00],  // version 2
            Array(valid.dropLast()),  // truncated code section
            valid + [0x07],  // a section id without a size
            valid + [0x01, 0x05, 0x00],  // a section shorter than its size
            Array(valid.prefix(8)) + [0x06, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01],  // over-long LEB size
            Array(valid.prefix(8)) + [0x0E, 0x00],  // unknown section id
            Array(valid.prefix(8)) + [0x07, 0x01, 0x00, 0x06, 0x01, 0x00],  // export before global: out of order
            Array(valid.prefix(8)) + [0x06, 0x06, 0x01, 0x7F, 0x02, 0x41, 0x00, 0x0B],  // mutability byte 2
        ]
        for module in cases {
            do {
                let result = try ModuleRewriter.exportingMutableGlobals(module)
                Issue.record("accepted \(module) as \(result.bytes)")
            } catch {
                #expect(error.code == .invalidFunction)
            }
        }
    }

    static func offsetOfSection(_ id: UInt8, in module: [UInt8]) throws -> Int {
        var index = 8
        while index < module.count {
            let size = try #require(LEB128.decodeUInt32(module, at: index + 1))
            if module[index] == id { return index }
            index += 1 + size.length + Int(size.value)
        }
        throw SandboxError(.invalidFunction, "no section \(id)")
    }

    static func offsetAfterSection(_ id: UInt8, in module: [UInt8]) throws -> Int {
        let start = try offsetOfSection(id, in: module)
        let size = try #require(LEB128.decodeUInt32(module, at: start + 1))
        return start + 1 + size.length + Int(size.value)
    }
}
