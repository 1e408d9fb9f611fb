import WasmParser

/// Finds code that changes instance state a compartment's initial state (memory and mutable globals)
/// does not hold: its tables (`table.set`, `table.grow`, `table.fill`, `table.copy`, `table.init`),
/// dropped element segments (`elem.drop`) and dropped data segments (`data.drop`).
///
/// A module free of them leaves after `iv_init` exactly what a fresh instance plus its memory and
/// globals holds, so a later compartment may start from a copy instead of running `iv_init`. C and Rust
/// compiled without reference types never emit them; a module that does keeps running `iv_init` in every
/// compartment.
enum InstanceStateScan {
    /// The first such instruction in `module`, by name, or nil when there is none. A module the scan
    /// cannot read answers "unreadable code" (WasmKit refuses it on its own when it parses it).
    static func firstStateChange(in module: [UInt8]) -> String? {
        var parser = Parser(bytes: module)
        var visitor = Visitor()
        do {
            while let payload = try parser.parseNext() {
                guard case .codeSection(let bodies) = payload else { continue }
                for body in bodies {
                    var expression = ExpressionParser(code: body)
                    while let instruction = try expression.parse() {
                        try instruction(visitor: &visitor)
                    }
                }
            }
        } catch let found as Found {
            return found.instruction
        } catch {
            return "unreadable code"
        }
        return nil
    }

    private struct Found: Error {
        let instruction: String
    }

    private struct Visitor: InstructionVisitor {
        typealias VisitorError = Found
        var binaryOffset = 0

        mutating func visitTableSet(table: UInt32) throws(Found) { throw Found(instruction: "table.set") }
        mutating func visitTableGrow(table: UInt32) throws(Found) { throw Found(instruction: "table.grow") }
        mutating func visitTableFill(table: UInt32) throws(Found) { throw Found(instruction: "table.fill") }
        mutating func visitTableCopy(dstTable: UInt32, srcTable: UInt32) throws(Found) {
            throw Found(instruction: "table.copy")
        }
        mutating func visitTableInit(elemIndex: UInt32, table: UInt32) throws(Found) {
            throw Found(instruction: "table.init")
        }
        mutating func visitElemDrop(elemIndex: UInt32) throws(Found) { throw Found(instruction: "elem.drop") }
        mutating func visitDataDrop(dataIndex: UInt32) throws(Found) { throw Found(instruction: "data.drop") }
    }
}
