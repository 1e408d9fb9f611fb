import CCurl

/// Plain libcurl, for benchmarks: what a GET costs without ``CurlClient``'s resolving, checking,
/// pinning and limits, measured in the same run.
public enum RawCurl {
    /// GETs `url` on a fresh handle, discarding the body (the same write-callback shape as
    /// ``CurlClient``, without keeping the bytes). Answers the status, or minus the `CURLcode`
    /// when the transfer failed.
    public static func get(url: String) -> Int {
        guard CurlGlobal.ready, let handle = curl_easy_init() else { return -Int(CURLE_FAILED_INIT.rawValue) }
        defer { curl_easy_cleanup(handle) }
        _ = ccurl_setopt_string(handle, CURLOPT_URL, url)
        _ = ccurl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        _ = ccurl_setopt_string(handle, CURLOPT_PROXY, "")
        _ = ccurl_setopt_callback(handle, CURLOPT_WRITEFUNCTION, { _, size, count, _ in size * count })
        let result = curl_easy_perform(handle)
        guard result == CURLE_OK else { return -Int(result.rawValue) }
        var code = 0
        _ = ccurl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &code)
        return code
    }
}
