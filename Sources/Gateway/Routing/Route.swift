import NIOHTTP1

/// Every route of the API, resolved from a method and the decoded path segments.
enum Route: Sendable, Equatable {
    case healthz
    case metrics
    case compartments
    case nodes
    /// `/invoke/{name}[/{rest}]`; `rest` is `""` or starts with `/`.
    case invoke(name: String, rest: String)
    case listFunctions
    case deploy
    case functionInfo(String)
    case removeFunction(String)
    case rollback(String)
    case listActivations
    case activation(String)
    case activationResult(String)
    case retryActivation(String)
    /// `GET /kv`
    case listStores
    /// `GET /kv/{store}`
    case listKeys(store: String)
    /// `GET|PUT|DELETE /kv/{store}/{key}`; the key may hold `/`.
    case getValue(store: String, key: String)
    case putValue(store: String, key: String)
    case deleteValue(store: String, key: String)

    /// Why a path names no route.
    enum Miss: Error, Equatable {
        case noSuchPath
        case methodNotAllowed(allowed: [String])
    }

    /// Resolves `segments` (the path split on `/`, without the leading empty one).
    static func resolve(method: HTTPMethod, segments: [String]) -> Result<Route, Miss> {
        func only(_ allowed: [HTTPMethod], _ route: Route) -> Result<Route, Miss> {
            allowed.contains(method) ? .success(route) : .failure(.methodNotAllowed(allowed: allowed.map(\.rawValue)))
        }
        switch segments.first {
        case "invoke" where segments.count >= 2 && !segments[1].isEmpty:
            let rest = segments.count > 2 ? "/" + segments[2...].joined(separator: "/") : ""
            return .success(.invoke(name: segments[1], rest: rest))
        case "healthz" where segments.count == 1:
            return only([.GET, .HEAD], .healthz)
        case "metrics" where segments.count == 1:
            return only([.GET, .HEAD], .metrics)
        case "cvms" where segments.count == 1:
            return only([.GET, .HEAD], .compartments)
        case "nodes" where segments.count == 1:
            return only([.GET, .HEAD], .nodes)
        case "functions" where segments.count == 1:
            switch method {
            case .GET, .HEAD: return .success(.listFunctions)
            case .POST: return .success(.deploy)
            default: return .failure(.methodNotAllowed(allowed: ["GET", "POST"]))
            }
        case "functions" where segments.count == 2 && !segments[1].isEmpty:
            switch method {
            case .GET, .HEAD: return .success(.functionInfo(segments[1]))
            case .DELETE: return .success(.removeFunction(segments[1]))
            default: return .failure(.methodNotAllowed(allowed: ["GET", "DELETE"]))
            }
        case "functions" where segments.count == 3 && !segments[1].isEmpty && segments[2] == "rollback":
            return only([.POST], .rollback(segments[1]))
        case "activations" where segments.count == 1:
            return only([.GET, .HEAD], .listActivations)
        case "activations" where segments.count == 2 && !segments[1].isEmpty:
            return only([.GET, .HEAD], .activation(segments[1]))
        case "activations" where segments.count == 3 && !segments[1].isEmpty && segments[2] == "result":
            return only([.GET, .HEAD], .activationResult(segments[1]))
        case "activations" where segments.count == 3 && !segments[1].isEmpty && segments[2] == "retry":
            return only([.POST], .retryActivation(segments[1]))
        case "kv" where segments.count == 1:
            return only([.GET, .HEAD], .listStores)
        case "kv" where segments.count == 2 && !segments[1].isEmpty:
            return only([.GET, .HEAD], .listKeys(store: segments[1]))
        case "kv" where segments.count >= 3 && !segments[1].isEmpty:
            let key = segments[2...].joined(separator: "/")
            switch method {
            case .GET, .HEAD: return .success(.getValue(store: segments[1], key: key))
            case .PUT: return .success(.putValue(store: segments[1], key: key))
            case .DELETE: return .success(.deleteValue(store: segments[1], key: key))
            default: return .failure(.methodNotAllowed(allowed: ["GET", "PUT", "DELETE"]))
            }
        default:
            return .failure(.noSuchPath)
        }
    }

    /// Whether the route needs the bearer token when the server has one (invocations are checked later,
    /// because a public function needs none).
    var alwaysNeedsToken: Bool {
        switch self {
        case .healthz, .invoke: false
        default: true
        }
    }
}
