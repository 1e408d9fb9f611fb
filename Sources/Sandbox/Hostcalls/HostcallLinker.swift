import WasmKit

/// Builds the host functions a module imports, in the compartment's own store, bound to its context
/// through a ``HostcallBinding``.
///
/// Only what the module imports is created (a compartment of a module importing nothing pays for nothing).
/// Host functions use WasmKit's `raw:` form, which reads arguments from the engine's buffer without
/// allocating. Each call reads the context from the binding, which a recycled instance's next compartment
/// points at its own context (``GuestInstance``).
enum HostcallLinker {
    typealias Body = Function.RawImplementation

    static func imports(for image: CompartmentImage, store: Store, binding: HostcallBinding) -> Imports {
        var imports = Imports()
        for entry in image.hostImports {
            let body: Body =
                entry.module == HostcallSignatures.intravisorModule
                ? intravisor(entry.name, binding) : wasi(entry.name, binding)
            let function = Function(
                store: store, parameters: entry.type.parameters, results: entry.type.results, raw: body)
            imports.define(module: entry.module, name: entry.name, function)
        }
        return imports
    }

    @inline(__always) private static func u32(_ value: Value) -> UInt32 { value.i32 }
    @inline(__always) private static func s32(_ value: Value) -> Int32 { Int32(bitPattern: value.i32) }
    @inline(__always) private static func s64(_ value: Value) -> Int64 { Int64(bitPattern: value.i64) }
    @inline(__always) private static func ret(_ value: Int32) -> Value { .i32(UInt32(bitPattern: value)) }
    @inline(__always) private static func ret(_ value: Int64) -> Value { .i64(UInt64(bitPattern: value)) }

    // swift-format-ignore
    private static func intravisor(_ name: String, _ b: HostcallBinding) -> Body {
        switch name {
        case "request_len": return { [b] _, _, r in unowned(unsafe) let c = b.context; r[0] = ret(try c.requestLength()) }
        case "request_read": return { [b] _, a, r in unowned(unsafe) let c = b.context; r[0] = ret(try c.requestRead(destination: u32(a[0]), length: u32(a[1]), offset: u32(a[2]))) }
        case "response_write": return { [b] _, a, r in unowned(unsafe) let c = b.context; r[0] = ret(try c.responseWrite(source: u32(a[0]), length: u32(a[1]))) }
        case "response_status": return { [b] _, a, r in unowned(unsafe) let c = b.context; r[0] = ret(try c.responseStatus(s32(a[0]))) }
        case "response_header": return { [b] _, a, r in unowned(unsafe) let c = b.context; r[0] = ret(try c.responseHeader(name: u32(a[0]), nameLength: u32(a[1]), value: u32(a[2]), valueLength: u32(a[3]))) }
        case "log": return { [b] _, a, r in unowned(unsafe) let c = b.context; r[0] = ret(try c.log(source: u32(a[0]), length: u32(a[1]))) }
        case "clock_ns": return { [b] _, a, r in unowned(unsafe) let c = b.context; r[0] = ret(try c.clockNanoseconds(s32(a[0]))) }
        case "random": return { [b] _, a, r in unowned(unsafe) let c = b.context; r[0] = ret(try c.random(destination: u32(a[0]), length: u32(a[1]))) }
        case "cap_open": return { [b] _, a, r in unowned(unsafe) let c = b.context; r[0] = ret(try c.capOpen(path: u32(a[0]), length: u32(a[1]))) }
        case "cap_len": return { [b] _, a, r in unowned(unsafe) let c = b.context; r[0] = ret(try c.capLength(s32(a[0]))) }
        case "cap_read": return { [b] _, a, r in unowned(unsafe) let c = b.context; r[0] = ret(try c.capRead(handle: s32(a[0]), destination: u32(a[1]), length: u32(a[2]), offset: s64(a[3]))) }
        case "cap_restrict": return { [b] _, a, r in unowned(unsafe) let c = b.context; r[0] = ret(try c.capRestrict(handle: s32(a[0]), offset: s64(a[1]), length: s64(a[2]), permissions: s32(a[3]))) }
        case "cap_drop": return { [b] _, a, r in unowned(unsafe) let c = b.context; r[0] = ret(try c.capDrop(s32(a[0]))) }
        case "call": return { [b] _, a, r in unowned(unsafe) let c = b.context; r[0] = ret(try c.call(name: u32(a[0]), nameLength: u32(a[1]), source: u32(a[2]), length: u32(a[3]))) }
        case "call_status": return { [b] _, a, r in unowned(unsafe) let c = b.context; r[0] = ret(try c.callStatus(s32(a[0]))) }
        case "http_request": return { [b] _, a, r in unowned(unsafe) let c = b.context; r[0] = ret(try c.httpRequest(block: u32(a[0]), blockLength: u32(a[1]), body: u32(a[2]), bodyLength: u32(a[3]))) }
        case "http_status": return { [b] _, a, r in unowned(unsafe) let c = b.context; r[0] = ret(try c.httpStatus(s32(a[0]))) }
        case "http_header": return { [b] _, a, r in unowned(unsafe) let c = b.context; r[0] = ret(try c.httpHeader(handle: s32(a[0]), name: u32(a[1]), nameLength: u32(a[2]), destination: u32(a[3]), length: u32(a[4]))) }
        case "kv_get": return { [b] _, a, r in unowned(unsafe) let c = b.context; r[0] = ret(try c.kvGet(store: u32(a[0]), storeLength: u32(a[1]), key: u32(a[2]), keyLength: u32(a[3]))) }
        case "kv_set": return { [b] _, a, r in unowned(unsafe) let c = b.context; r[0] = ret(try c.kvSet(store: u32(a[0]), storeLength: u32(a[1]), key: u32(a[2]), keyLength: u32(a[3]), value: u32(a[4]), valueLength: u32(a[5]))) }
        case "kv_delete": return { [b] _, a, r in unowned(unsafe) let c = b.context; r[0] = ret(try c.kvDelete(store: u32(a[0]), storeLength: u32(a[1]), key: u32(a[2]), keyLength: u32(a[3]))) }
        case "kv_incr": return { [b] _, a, r in unowned(unsafe) let c = b.context; r[0] = ret(try c.kvIncrement(store: u32(a[0]), storeLength: u32(a[1]), key: u32(a[2]), keyLength: u32(a[3]), delta: s64(a[4]), out: u32(a[5]))) }
        case "kv_cas": return { [b] _, a, r in unowned(unsafe) let c = b.context; r[0] = ret(try c.kvCompareAndSwap(store: u32(a[0]), storeLength: u32(a[1]), key: u32(a[2]), keyLength: u32(a[3]), expected: u32(a[4]), expectedLength: s32(a[5]), value: u32(a[6]), valueLength: u32(a[7]))) }
        case "kv_keys": return { [b] _, a, r in unowned(unsafe) let c = b.context; r[0] = ret(try c.kvKeys(store: u32(a[0]), storeLength: u32(a[1]), prefix: u32(a[2]), prefixLength: u32(a[3]), limit: s32(a[4]))) }
        default: preconditionFailure("intravisor.\(name) passed the image's signature check but has no implementation")
        }
    }

    // swift-format-ignore
    private static func wasi(_ name: String, _ b: HostcallBinding) -> Body {
        switch name {
        case "args_sizes_get": return { [b] _, a, r in unowned(unsafe) let c = b.context; r[0] = ret(try c.stringsSizes(c.wasiArguments(), countPointer: u32(a[0]), sizePointer: u32(a[1]))) }
        case "args_get": return { [b] _, a, r in unowned(unsafe) let c = b.context; r[0] = ret(try c.stringsGet(c.wasiArguments(), pointers: u32(a[0]), buffer: u32(a[1]))) }
        case "environ_sizes_get": return { [b] _, a, r in unowned(unsafe) let c = b.context; r[0] = ret(try c.stringsSizes(c.wasiEnvironment(), countPointer: u32(a[0]), sizePointer: u32(a[1]))) }
        case "environ_get": return { [b] _, a, r in unowned(unsafe) let c = b.context; r[0] = ret(try c.stringsGet(c.wasiEnvironment(), pointers: u32(a[0]), buffer: u32(a[1]))) }
        case "fd_write": return { [b] _, a, r in unowned(unsafe) let c = b.context; r[0] = ret(try c.fdWrite(fd: s32(a[0]), iovs: u32(a[1]), count: u32(a[2]), written: u32(a[3]))) }
        case "fd_read": return { [b] _, a, r in unowned(unsafe) let c = b.context; r[0] = ret(try c.fdRead(fd: s32(a[0]), iovs: u32(a[1]), count: u32(a[2]), read: u32(a[3]))) }
        case "fd_pread": return { [b] _, a, r in unowned(unsafe) let c = b.context; r[0] = ret(try c.fdRead(fd: s32(a[0]), iovs: u32(a[1]), count: u32(a[2]), read: u32(a[4]), at: a[3].i64)) }
        case "fd_seek": return { [b] _, a, r in unowned(unsafe) let c = b.context; r[0] = ret(try c.fdSeek(fd: s32(a[0]), offset: s64(a[1]), whence: s32(a[2]), result: u32(a[3]))) }
        case "fd_tell": return { [b] _, a, r in unowned(unsafe) let c = b.context; r[0] = ret(try c.fdTell(fd: s32(a[0]), result: u32(a[1]))) }
        case "fd_close": return { [b] _, a, r in unowned(unsafe) let c = b.context; r[0] = ret(try c.fdClose(fd: s32(a[0]))) }
        case "fd_fdstat_get": return { [b] _, a, r in unowned(unsafe) let c = b.context; r[0] = ret(try c.fdFdstatGet(fd: s32(a[0]), result: u32(a[1]))) }
        case "fd_filestat_get": return { [b] _, a, r in unowned(unsafe) let c = b.context; r[0] = ret(try c.fdFilestatGet(fd: s32(a[0]), result: u32(a[1]))) }
        case "fd_prestat_get": return { [b] _, a, r in unowned(unsafe) let c = b.context; r[0] = ret(try c.fdPrestatGet(fd: s32(a[0]), result: u32(a[1]))) }
        case "fd_prestat_dir_name": return { [b] _, a, r in unowned(unsafe) let c = b.context; r[0] = ret(try c.fdPrestatDirName(fd: s32(a[0]), path: u32(a[1]), length: u32(a[2]))) }
        case "path_open": return { [b] _, a, r in unowned(unsafe) let c = b.context; r[0] = ret(try c.pathOpen(fd: s32(a[0]), path: u32(a[2]), pathLength: u32(a[3]), openFlags: s32(a[4]), rightsBase: a[5].i64, descriptorFlags: s32(a[7]), result: u32(a[8]))) }
        case "path_filestat_get": return { [b] _, a, r in unowned(unsafe) let c = b.context; r[0] = ret(try c.pathFilestatGet(fd: s32(a[0]), path: u32(a[2]), pathLength: u32(a[3]), result: u32(a[4]))) }
        case "clock_time_get": return { [b] _, a, r in unowned(unsafe) let c = b.context; r[0] = ret(try c.clockTimeGet(id: s32(a[0]), result: u32(a[2]))) }
        case "clock_res_get": return { [b] _, a, r in unowned(unsafe) let c = b.context; r[0] = ret(try c.clockResGet(id: s32(a[0]), result: u32(a[1]))) }
        case "random_get": return { [b] _, a, r in unowned(unsafe) let c = b.context; r[0] = ret(try c.randomGet(buffer: u32(a[0]), length: u32(a[1]))) }
        case "proc_exit": return { [b] _, a, _ in unowned(unsafe) let c = b.context; try c.procExit(s32(a[0])) }
        case "sched_yield": return { [b] _, _, r in unowned(unsafe) let c = b.context; try c.checkDeadline(); r[0] = ret(WASIErrno.success) }
        default: return { [b] _, _, r in unowned(unsafe) let c = b.context; r[0] = ret(try c.unimplemented()) }
        }
    }
}
