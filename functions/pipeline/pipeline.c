// pipeline: the CAP-Call path. It sends its body to `wordcount` and to `echo` with `call` and
// answers one JSON object built from both responses:
//   {"wordcount": {"lines": 1, ...}, "wordcount_status": 200, "echo_status": 200,
//    "echo_bytes": 12, "echo_matches": true}
// Only the functions listed in `capabilities.invoke` can be called; a failed callee turns into a
// 502 naming it. Each callee's response arrives as a capability handle read with cap_read.
#include "intravisor.h"

enum { MAX_BODY = 256 * 1024 };
static char body[MAX_BODY], counted[4096], echoed[MAX_BODY];

static int fail(const char *callee, int64_t code) {
    iv_response_status(502);
    iv_header_str("Content-Type", "text/plain");
    iv_write_str("pipeline: calling ");
    iv_write_str(callee);
    iv_write_str(" failed: ");
    iv_write_str(iv_strerror(code));
    iv_write_str("\n");
    return 0;
}

// Calls `callee` with the body; returns its response length in `out`, its status in `status`.
static int64_t call_into(const char *callee, int32_t len, char *out, size_t cap, int32_t *status) {
    iv_handle response = iv_call_str(callee, body, (size_t)len);
    if (response < 0) return response;
    *status = iv_call_status(response);
    int64_t n = iv_cap_read_all(response, out, cap);
    iv_cap_drop(response);
    return n;
}

IV_EXPORT(iv_main) int iv_main(void) {
    int32_t len = iv_request_read_all(body, sizeof body);
    if (len < 0) {
        iv_response_status(413);
        iv_write_str("pipeline: the body is limited to 256 KiB\n");
        return 0;
    }
    int32_t count_status = 0, echo_status = 0;
    int64_t count_len = call_into("wordcount", len, counted, sizeof counted, &count_status);
    if (count_len < 0) return fail("wordcount", count_len);
    int64_t echo_len = call_into("echo", len, echoed, sizeof echoed, &echo_status);
    if (echo_len < 0) return fail("echo", echo_len);

    while (count_len > 0 && (counted[count_len - 1] == '\n' || counted[count_len - 1] == ' ')) count_len--;
    int matches = echo_len == len;
    for (int32_t i = 0; matches && i < len; i++) matches = echoed[i] == body[i];

    iv_header_str("Content-Type", "application/json");
    iv_write_str("{\"wordcount\": ");
    if (count_len > 0 && counted[0] == '{') iv_response_write(counted, (size_t)count_len);
    else iv_write_str("null");
    iv_write_str(", \"wordcount_status\": ");
    iv_write_i64(count_status);
    iv_write_str(", \"echo_status\": ");
    iv_write_i64(echo_status);
    iv_write_str(", \"echo_bytes\": ");
    iv_write_i64(echo_len);
    iv_write_str(matches ? ", \"echo_matches\": true}\n" : ", \"echo_matches\": false}\n");
    return 0;
}
