/// One `name: value` pair of an HTTP header list or of a manifest's `env`, kept in order.
public struct HTTPField: Sendable, Equatable, Hashable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}
