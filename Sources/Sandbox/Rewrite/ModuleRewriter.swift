import WasmParser
import WasmTypes

/// Module rewriting at image time: exports every mutable global a module defines under a reserved name,
/// so the Intravisor can snapshot and restore it (WasmKit reads and assigns only exported globals).
///
/// C modules keep their shadow stack pointer in a mutable global (`__stack_pointer`) that they do not
/// export; a WASI `_start` ending in `proc_exit` leaves it moved. Restoring memory without it would let a
/// reused compartment walk off its stack, and leave state of one invocation visible to the next.
///
/// The edit is confined to the export section: the new exports are appended to it (or a new export
/// section is inserted in its place in the section order), and every other byte of the module is kept.
public enum ModuleRewriter {
    /// The export name prefix of rewritten globals: the export name is this prefix plus the global's index
    /// in the global index space (imported globals first). Guest modules may not use it.
    public static let reservedGlobalPrefix = "__cvm_global_"

    /// Returns `module` with each mutable global it defines (not imported ones) exported as
    /// ``reservedGlobalPrefix`` + index, and the names added, in index order.
    ///
    /// A module without mutable defined globals is returned unchanged, and so is a module rewritten
    /// before (rewriting is idempotent).
    /// - Throws: `SandboxError` `invalid_function` when the module is not well-formed WebAssembly, uses the
    ///   reserved prefix for anything but exactly these exports, or would exceed the format's limits.
    public static func exportingMutableGlobals(_ module: [UInt8]) throws(SandboxError) -> (
        bytes: [UInt8], exported: [String]
    ) {
        let layout = try Layout(module)
        let indices = layout.mutableDefinedGlobals
        let names = indices.map { reservedGlobalPrefix + String($0) }
        let reserved = layout.exports.filter { $0.name.hasPrefix(reservedGlobalPrefix) }
        if !reserved.isEmpty {
            // Already rewritten, with exactly these exports: idempotent. Any other use of the prefix is refused.
            let expected = Dictionary(uniqueKeysWithValues: zip(names, indices))
            for export in reserved {
                guard case .global(let index) = export.descriptor, expected[export.name] == index else {
                    throw SandboxError(
                        .invalidFunction, "module exports \"\(export.name)\", a name reserved by the platform")
                }
            }
            guard reserved.count == expected.count, Set(reserved.map(\.name)).count == expected.count else {
                throw SandboxError(
                    .invalidFunction,
                    "module exports some of the names reserved by the platform (\(reservedGlobalPrefix)*)")
            }
            return (module, names)
        }
        guard !indices.isEmpty else { return (module, []) }

        var added: [UInt8] = []
        for (name, index) in zip(names, indices) {
            let utf8 = Array(name.utf8)
            added += LEB128.encode(UInt32(utf8.count)) + utf8
            added.append(0x03)  // exportdesc: global
            added += LEB128.encode(index)
        }

        var oldEntries: ArraySlice<UInt8> = []
        var oldCount: UInt32 = 0
        if let range = layout.exportSection {
            // id, size, count, entries: the parser has already checked the framing.
            guard let size = LEB128.decodeUInt32(module, at: range.lowerBound + 1),
                let count = LEB128.decodeUInt32(module, at: range.lowerBound + 1 + size.length)
            else {
                throw SandboxError(.invalidFunction, "module export section is malformed")
            }
            oldCount = count.value
            oldEntries = module[(range.lowerBound + 1 + size.length + count.length)..<range.upperBound]
        }
        guard let addedCount = UInt32(exactly: indices.count),
            case (let newCount, false) = oldCount.addingReportingOverflow(addedCount)
        else { throw SandboxError(.invalidFunction, "module has too many exports to rewrite") }
        let content = LEB128.encode(newCount) + oldEntries + added
        guard let contentSize = UInt32(exactly: content.count) else {
            throw SandboxError(.invalidFunction, "module export section would exceed the format's size limit")
        }
        let section = [UInt8(7)] + LEB128.encode(contentSize) + content

        var bytes = module
        if let range = layout.exportSection {
            bytes.replaceSubrange(range, with: section)
        } else {
            bytes.insert(contentsOf: section, at: layout.exportInsertionPoint)
        }
        return (bytes, names)
    }
}

extension ModuleRewriter {
    /// What the rewrite needs to know of a module, read with WasmKit's own parser (so it accepts exactly
    /// the modules WasmKit accepts, with the same features), plus the byte ranges of its sections.
    struct Layout {
        /// Global indices of the mutable globals the module defines.
        var mutableDefinedGlobals: [UInt32] = []
        /// What the module already exports.
        var exports: [Export] = []
        /// The byte range of the export section (id byte to end), if any.
        var exportSection: Range<Int>?
        /// Where a new export section goes: before the first section that must follow it.
        var exportInsertionPoint: Int
        /// The byte ranges of the type, function and code sections, if present.
        var typeSection: Range<Int>?
        var functionSection: Range<Int>?
        var codeSection: Range<Int>?
        var typeCount = 0
        var importedFunctions = 0
        var definedFunctions = 0
        /// Whether the module defines a memory of its own (rather than importing one, or having none).
        var definesMemory = false

        init(_ module: [UInt8]) throws(SandboxError) {
            var parser = Parser(bytes: module)
            var importedGlobals: UInt32 = 0
            var mutablePositions: [Int] = []
            var insertion: Int?
            do throws(WasmParserError) {
                while true {
                    let start = parser.offset
                    guard let payload = try parser.parseNext() else { break }
                    switch payload {
                    case .importSection(let imports):
                        for entry in imports {
                            switch entry.descriptor {
                            case .global: importedGlobals += 1
                            case .function: importedFunctions += 1
                            default: break
                            }
                        }
                    case .globalSection(let globals):
                        mutablePositions = globals.indices.filter { globals[$0].type.mutability == .variable }
                    case .exportSection(let exports):
                        self.exports = exports
                        exportSection = start..<parser.offset
                    case .typeSection(let types):
                        typeCount = types.reduce(0) { $0 + $1.types.count }
                        typeSection = start..<parser.offset
                    case .functionSection(let functions):
                        definedFunctions = functions.count
                        functionSection = start..<parser.offset
                    case .memorySection(let memories):
                        definesMemory = !memories.isEmpty
                    case .codeSection:
                        codeSection = start..<parser.offset
                        if insertion == nil { insertion = start }
                    case .startSection, .elementSection, .dataCount, .dataSection:
                        if insertion == nil { insertion = start }
                    case .header, .customSection, .tableSection, .tagSection:
                        break
                    }
                }
            } catch {
                throw SandboxError(.invalidFunction, "module is not valid WebAssembly: \(error)")
            }
            for position in mutablePositions {
                guard let index = UInt32(exactly: UInt64(importedGlobals) + UInt64(position)) else {
                    throw SandboxError(.invalidFunction, "module has too many globals")
                }
                mutableDefinedGlobals.append(index)
            }
            exportInsertionPoint = insertion ?? module.count
        }
    }
}
