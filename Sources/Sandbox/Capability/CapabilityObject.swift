/// What a handle in a compartment's ``CapabilityTable`` names.
public enum CapabilityObject: Sendable {
    /// A read-only file of the function's image.
    case file(CapFile)
    /// The response of a CAP-Call, readable through its handle.
    case callResponse(status: Int, body: [UInt8])
    /// The response of an outbound HTTP request: status and headers through `http_status` and
    /// `http_header`, the body through `cap_len` / `cap_read`.
    case httpResponse(status: Int, headers: [HTTPField], body: [UInt8])
    /// Bytes a key-value store answered: a value (`kv_get`) or a list of keys (`kv_keys`).
    case storeValue([UInt8])

    /// The object's bytes (shared, not copied): the address space its capabilities range over.
    public var bytes: [UInt8] {
        switch self {
        case .file(let file): file.bytes
        case .callResponse(_, let body), .httpResponse(_, _, let body), .storeValue(let body): body
        }
    }

    /// The monitor's root capability over the object: load-only over `[0, bytes.count)`.
    public var rootCapability: Capability {
        switch self {
        case .file(let file): file.capability
        case .callResponse(_, let body), .httpResponse(_, _, let body), .storeValue(let body):
            .root(base: 0, length: UInt64(body.count), permissions: .load)
        }
    }

    /// The bytes `[offset, offset + length)` relative to `capability`'s base, after checking `capability`
    /// authorises loading them and lies inside this object.
    ///
    /// - Throws: the ``CapabilityFault`` of ``Capability/checked(offset:length:needs:)``, or
    ///   ``FaultKind/bounds`` if `capability` does not range over this object's bytes.
    public func bytes(through capability: Capability, offset: UInt64, length: UInt64) throws(CapabilityFault)
        -> ArraySlice<UInt8>
    {
        let start = try capability.checked(offset: offset, length: length, needs: .load)
        let bytes = self.bytes
        guard capability.top <= UInt64(bytes.count) else {
            throw CapabilityFault(
                .bounds, "capability [\(capability.base), \(capability.top)) exceeds the \(bytes.count)-byte object")
        }
        let lower = Int(start)
        return bytes[lower..<lower + Int(length)]
    }
}
