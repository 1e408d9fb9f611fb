import WasmParser

extension ModuleRewriter {
    /// The export name of the function ``addingMemoryGrow(_:)`` adds.
    public static let memoryGrowExport = "__cvm_memory_grow"

    /// Returns `module` with one more function, `(pages: i32) -> i32` doing `memory.grow 0`, exported as
    /// ``memoryGrowExport``, or the module unchanged and nil when that is impossible (it has no memory,
    /// or no type, function or code section to extend).
    ///
    /// WasmKit offers no host-side way to grow an instance's memory; a compartment created from an image's
    /// initial state (``CompartmentImage``) must grow its fresh memory to the size `iv_init` left before it
    /// copies that state in. The function is appended last in the type, function and code index spaces, so
    /// no index the module uses moves, and no guest code can call it: nothing refers to its index.
    ///
    /// A module that exports the name already (it was rewritten before) is returned unchanged with the
    /// name when that export is a function, and refused otherwise.
    /// - Throws: `SandboxError` `invalid_function` when the module is not well-formed WebAssembly, or uses
    ///   the reserved name for anything else.
    public static func addingMemoryGrow(_ module: [UInt8]) throws(SandboxError) -> (bytes: [UInt8], export: String?) {
        let layout = try Layout(module)
        if let existing = layout.exports.first(where: { $0.name == memoryGrowExport }) {
            guard case .function = existing.descriptor else {
                throw SandboxError(.invalidFunction, "module exports \"\(memoryGrowExport)\", a name reserved by the platform")
            }
            return (module, memoryGrowExport)
        }
        guard layout.definesMemory, let types = layout.typeSection, let functions = layout.functionSection,
            let code = layout.codeSection
        else { return (module, nil) }
        guard let typeIndex = UInt32(exactly: layout.typeCount),
            let functionIndex = UInt32(exactly: layout.importedFunctions + layout.definedFunctions)
        else { throw SandboxError(.invalidFunction, "module has too many functions to rewrite") }

        let name = Array(memoryGrowExport.utf8)
        let export = LEB128.encode(UInt32(name.count)) + name + [0x00] + LEB128.encode(functionIndex)
        var edits: [(range: Range<Int>, replacement: [UInt8])] = [
            (types, try appending([0x60, 0x01, 0x7F, 0x01, 0x7F], toSection: 1, in: module, at: types)),  // (param i32) (result i32)
            (functions, try appending(LEB128.encode(typeIndex), toSection: 3, in: module, at: functions)),
            // body of 6 bytes: no locals; local.get 0; memory.grow 0; end
            (code, try appending([0x06, 0x00, 0x20, 0x00, 0x40, 0x00, 0x0B], toSection: 10, in: module, at: code)),
        ]
        if let range = layout.exportSection {
            edits.append((range, try appending(export, toSection: 7, in: module, at: range)))
        } else {
            let point = layout.exportInsertionPoint
            edits.append((point..<point, [7] + LEB128.encode(UInt32(export.count + 1)) + [0x01] + export))
        }
        // Applied from the end of the module backwards, so the ranges not yet applied still hold; at one
        // offset the section replaced goes first and the inserted one lands in front of it.
        var bytes = module
        for edit in edits.sorted(by: { ($0.range.lowerBound, $0.range.count) > ($1.range.lowerBound, $1.range.count) }) {
            bytes.replaceSubrange(edit.range, with: edit.replacement)
        }
        return (bytes, memoryGrowExport)
    }

    /// The section at `range` of `module` (a vector section: count, entries) with `entry` appended.
    private static func appending(_ entry: [UInt8], toSection id: UInt8, in module: [UInt8], at range: Range<Int>)
        throws(SandboxError) -> [UInt8]
    {
        guard let size = LEB128.decodeUInt32(module, at: range.lowerBound + 1),
            let count = LEB128.decodeUInt32(module, at: range.lowerBound + 1 + size.length),
            count.value < UInt32.max
        else { throw SandboxError(.invalidFunction, "module section \(id) is malformed") }
        let entries = module[(range.lowerBound + 1 + size.length + count.length)..<range.upperBound]
        let content = LEB128.encode(count.value + 1) + entries + entry
        guard let contentSize = UInt32(exactly: content.count) else {
            throw SandboxError(.invalidFunction, "module section \(id) would exceed the format's size limit")
        }
        return [id] + LEB128.encode(contentSize) + content
    }
}
