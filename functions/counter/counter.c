// counter: adds one to the count of the name in the request body (default "visits") in the
// key-value store "counters", and answers the new count. The increment is atomic and durable
// when the call returns, whichever compartment or node makes it.
#include "intravisor.h"

static const char store[] = "counters";

IV_EXPORT(iv_main) int iv_main(void) {
    static char key[512];
    int32_t len = iv_request_read_all(key, sizeof key);
    if (len == IV_ERR_TOO_LARGE) {
        iv_response_status(400);
        iv_write_str("a name is at most 512 bytes\n");
        return 0;
    }
    if (len <= 0) {
        static const char fallback[] = "visits";
        for (len = 0; fallback[len]; len++) key[len] = fallback[len];
    }
    int64_t count = 0;
    int32_t rc = iv_kv_incr(store, sizeof store - 1, key, (size_t)len, 1, &count);
    if (rc != IV_OK) {
        iv_response_status(rc == IV_ERR_INVALID ? 400 : 503);
        iv_write_str("counter: ");
        iv_write_str(iv_strerror(rc));
        iv_write_str("\n");
        return 0;
    }
    iv_header_str("Content-Type", "text/plain");
    iv_write_i64(count);
    iv_write_str("\n");
    return 0;
}
