import CCurl

/// libcurl's process-wide setup (OpenSSL, the socket layer), done once before the first handle.
///
/// `curl_global_init` is not thread-safe, and requests start on many threads at once; a static
/// `let` is initialised exactly once (`swift_once`), so every caller goes through ``ready``.
enum CurlGlobal {
    /// The result of `curl_global_init(CURL_GLOBAL_DEFAULT)`, run on first use.
    static let status: CURLcode = ccurl_global_init()

    /// Whether libcurl could be set up; a handle is not made otherwise.
    static var ready: Bool { status == CURLE_OK }

    /// What libcurl says about `code` (`curl_easy_strerror`).
    static func text(_ code: CURLcode) -> String {
        String(cString: curl_easy_strerror(code))
    }
}
