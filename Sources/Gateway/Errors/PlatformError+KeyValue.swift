import Sandbox

extension PlatformError {
    /// The contract's code for a key-value failure: `bad_request` 400, `payload_too_large` 413
    /// (a value over 1 MiB, or the store's quota), `unavailable` 503.
    init(_ failure: KeyValueFailure) {
        switch failure {
        case .invalid(let message): self.init(.badRequest, message)
        case .tooLarge(let message), .quota(let message): self.init(.payloadTooLarge, message)
        case .unavailable(let message): self.init(.unavailable, message)
        }
    }
}
