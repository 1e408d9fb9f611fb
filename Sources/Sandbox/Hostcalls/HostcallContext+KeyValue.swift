/// The `kv_*` hostcalls (SPEC "Key-value stores"): pointers first (a bad range is a `bounds`
/// fault), then the grant (-1), then the store name and key (-6) and the value size (-3); the
/// store does the rest.
extension HostcallContext {
    /// Reads the store name and key, checks the grant and the rules: the name and key, or the
    /// negative code to answer.
    private func storeAndKey(
        _ operation: String, store: UInt32, storeLength: UInt32, key: UInt32, keyLength: UInt32, allowEmptyKey: Bool = false
    ) throws(HostcallInterruption) -> Result<(String, [UInt8], any KeyValueAccess), KeyValueRefusal> {
        let storeBytes = try bytes(store, storeLength)
        let keyBytes = try bytes(key, keyLength)
        let name = String(decoding: storeBytes, as: UTF8.self)
        guard image.descriptor.grants.kv.contains(name), let kv = services.kv else {
            services.kv?.count(operation: operation, result: "not_granted")
            return .failure(KeyValueRefusal(code: ErrorCode.notGranted))
        }
        let keyOK = allowEmptyKey && keyBytes.isEmpty ? true : KeyValueRules.isValidKey(keyBytes)
        guard KeyValueRules.isValidStore(name), keyOK else {
            kv.count(operation: operation, result: "invalid")
            return .failure(KeyValueRefusal(code: ErrorCode.invalidArgument))
        }
        return .success((name, keyBytes, kv))
    }

    func kvGet(store: UInt32, storeLength: UInt32, key: UInt32, keyLength: UInt32) throws(HostcallInterruption) -> Int32 {
        try checkDeadline()
        switch try storeAndKey("get", store: store, storeLength: storeLength, key: key, keyLength: keyLength) {
        case .failure(let refusal): return refusal.code
        case .success(let (name, keyBytes, kv)):
            do {
                guard let value = try kv.get(store: name, key: keyBytes) else { return ErrorCode.notFound }
                let object = CapabilityObject.storeValue(value)
                return table.insert(object, capability: object.rootCapability)
            } catch {
                return error.guestCode
            }
        }
    }

    func kvSet(store: UInt32, storeLength: UInt32, key: UInt32, keyLength: UInt32, value: UInt32, valueLength: UInt32)
        throws(HostcallInterruption) -> Int32
    {
        try checkDeadline()
        _ = try derive(value, UInt64(valueLength), .load)
        switch try storeAndKey("set", store: store, storeLength: storeLength, key: key, keyLength: keyLength) {
        case .failure(let refusal): return refusal.code
        case .success(let (name, keyBytes, kv)):
            guard Int(valueLength) <= KeyValueRules.maxValueBytes else {
                kv.count(operation: "set", result: "too_large")
                return ErrorCode.tooLarge
            }
            let bytes = try bytes(value, valueLength)
            do {
                try kv.set(store: name, key: keyBytes, value: bytes)
                return 0
            } catch {
                return error.guestCode
            }
        }
    }

    func kvDelete(store: UInt32, storeLength: UInt32, key: UInt32, keyLength: UInt32) throws(HostcallInterruption) -> Int32 {
        try checkDeadline()
        switch try storeAndKey("delete", store: store, storeLength: storeLength, key: key, keyLength: keyLength) {
        case .failure(let refusal): return refusal.code
        case .success(let (name, keyBytes, kv)):
            do {
                return try kv.delete(store: name, key: keyBytes) ? 0 : ErrorCode.notFound
            } catch {
                return error.guestCode
            }
        }
    }

    func kvIncrement(store: UInt32, storeLength: UInt32, key: UInt32, keyLength: UInt32, delta: Int64, out: UInt32)
        throws(HostcallInterruption) -> Int32
    {
        try checkDeadline()
        _ = try derive(out, 8, .store)
        switch try storeAndKey("incr", store: store, storeLength: storeLength, key: key, keyLength: keyLength) {
        case .failure(let refusal): return refusal.code
        case .success(let (name, keyBytes, kv)):
            let sum: Int64
            do {
                sum = try kv.increment(store: name, key: keyBytes, delta: delta)
            } catch {
                return error.guestCode
            }
            try storeUInt64(UInt64(bitPattern: sum), at: out)
            return 0
        }
    }

    /// `expectedLength` -1 means "only if absent".
    func kvCompareAndSwap(
        store: UInt32, storeLength: UInt32, key: UInt32, keyLength: UInt32, expected: UInt32, expectedLength: Int32,
        value: UInt32, valueLength: UInt32
    ) throws(HostcallInterruption) -> Int32 {
        try checkDeadline()
        if expectedLength != -1 { _ = try derive(expected, UInt64(UInt32(bitPattern: expectedLength)), .load) }
        _ = try derive(value, UInt64(valueLength), .load)
        switch try storeAndKey("cas", store: store, storeLength: storeLength, key: key, keyLength: keyLength) {
        case .failure(let refusal): return refusal.code
        case .success(let (name, keyBytes, kv)):
            guard expectedLength >= -1 else {
                kv.count(operation: "cas", result: "invalid")
                return ErrorCode.invalidArgument
            }
            guard Int(valueLength) <= KeyValueRules.maxValueBytes else {
                kv.count(operation: "cas", result: "too_large")
                return ErrorCode.tooLarge
            }
            let expectedBytes = expectedLength == -1 ? nil : try bytes(expected, UInt32(expectedLength))
            let bytes = try bytes(value, valueLength)
            do {
                return try kv.compareAndSwap(store: name, key: keyBytes, expected: expectedBytes, value: bytes)
                    ? 0 : ErrorCode.conflict
            } catch {
                return error.guestCode
            }
        }
    }

    func kvKeys(store: UInt32, storeLength: UInt32, prefix: UInt32, prefixLength: UInt32, limit: Int32)
        throws(HostcallInterruption) -> Int32
    {
        try checkDeadline()
        switch try storeAndKey(
            "keys", store: store, storeLength: storeLength, key: prefix, keyLength: prefixLength, allowEmptyKey: true)
        {
        case .failure(let refusal): return refusal.code
        case .success(let (name, prefixBytes, kv)):
            guard (0...Int32(KeyValueRules.maxListLimit)).contains(limit) else {
                kv.count(operation: "keys", result: "invalid")
                return ErrorCode.invalidArgument
            }
            do {
                let keys = try kv.keys(store: name, prefix: prefixBytes, limit: Int(limit))
                var list: [UInt8] = []
                for key in keys {
                    list.append(contentsOf: key)
                    list.append(UInt8(ascii: "\n"))
                }
                let object = CapabilityObject.storeValue(list)
                return table.insert(object, capability: object.rootCapability)
            } catch {
                return error.guestCode
            }
        }
    }
}

/// A key-value hostcall answered before the store was asked.
struct KeyValueRefusal: Error {
    let code: Int32
}
