// fib: recursive Fibonacci, a CPU-bound benchmark for the iv ABI.
//
// n comes from the request body, either as a bare number ("30") or form-encoded ("n=30");
// an empty body means n = 25. n is capped at 35 so one call stays within seconds.
#include "intravisor.h"

enum { DEFAULT_N = 25, MAX_N = 35 };

static uint64_t fib(uint32_t n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

static int bad_request(const char *message) {
    iv_response_status(400);
    iv_header_str("Content-Type", "text/plain");
    iv_write_str(message);
    return 0;
}

IV_EXPORT(iv_main) int iv_main(void) {
    char body[64];
    int32_t len = iv_request_read_all(body, sizeof body);
    if (len < 0) return bad_request("fib: the body must be a number n, or n=NUMBER\n");

    int64_t n = DEFAULT_N;
    const char *text = body;
    size_t text_len = (size_t)len;
    if (iv_form_value(body, (size_t)len, "n", &text, &text_len) || len > 0) {
        if (!iv_parse_i64(text, text_len, &n) || n < 0) {
            return bad_request("fib: n must be a non-negative integer\n");
        }
    }
    if (n > MAX_N) n = MAX_N;

    iv_header_str("Content-Type", "text/plain");
    iv_write_str("fib(");
    iv_write_i64(n);
    iv_write_str(") = ");
    iv_write_i64((int64_t)fib((uint32_t)n));
    iv_write_str("\n");
    return 0;
}
