import NIOHTTP1

extension ErrorCode {
    /// The HTTP status of each error code: the one place where the contract's table lives.
    var status: HTTPResponseStatus {
        switch self {
        case .badRequest, .invalidArchive: .badRequest
        case .unauthorized: .unauthorized
        case .notFound: .notFound
        case .payloadTooLarge: .payloadTooLarge
        case .invalidFunction: .unprocessableEntity
        case .conflict: .conflict
        case .tooManyRequests: .tooManyRequests
        case .functionError, .functionTrap, .capabilityFault, .responseTooLarge: .badGateway
        case .unavailable: .serviceUnavailable
        case .timeout: .gatewayTimeout
        }
    }
}
