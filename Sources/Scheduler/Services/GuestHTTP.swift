import Sandbox

/// The outbound HTTP a compartment sees: the server's client, called with the guest's worker slot
/// given back for the wait (so waiting guests never hold a core), and counted in metrics.
struct GuestHTTP: OutboundHTTP {
    let client: any OutboundHTTP
    let workers: WorkerPool
    let metrics: SchedulerMetrics

    func perform(_ request: OutboundRequest) -> OutboundResult {
        let result = workers.blocking { client.perform(request) }
        let name =
            switch result {
            case .response: "ok"
            case .refused: "refused"
            case .tooLarge: "too_large"
            case .failed: "failed"
            }
        metrics.httpRequest(function: request.function, result: name)
        return result
    }

    func count(function: String, result: String) {
        metrics.httpRequest(function: function, result: result)
    }
}
