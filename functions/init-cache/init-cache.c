// init-cache: work done once per compartment, not once per request. iv_init sieves the primes
// below 2^16 into a bit table; the table is part of the pre-sealed snapshot, so every invocation
// starts with it built and answers at once. The body is a number n; the answer is
//   {"n": 97, "prime": true, "primes_up_to_n": 25, "invocation": 1}
// "invocation" counts calls in this compartment's memory: with `state: reset` every invocation
// starts from the snapshot, so it is always 1 (with `state: keep` it would count up).
#include "intravisor.h"

enum { LIMIT = 1 << 16 };
static uint64_t composite[LIMIT / 64];     // bit i set: i is not prime
static uint32_t primes_below[LIMIT / 64 + 1]; // primes_below[k]: number of primes < 64*k
static int ready;
static int64_t invocation;

static int is_composite(uint32_t i) { return composite[i >> 6] >> (i & 63) & 1; }

IV_EXPORT(iv_init) int iv_init(void) {
    composite[0] |= 3; // 0 and 1
    for (uint32_t i = 2; i * i < LIMIT; i++) {
        if (is_composite(i)) continue;
        for (uint32_t j = i * i; j < LIMIT; j += i) composite[j >> 6] |= 1ull << (j & 63);
    }
    uint32_t count = 0;
    for (uint32_t k = 0; k < LIMIT / 64; k++) {
        primes_below[k] = count;
        count += 64 - (uint32_t)__builtin_popcountll(composite[k]);
    }
    primes_below[LIMIT / 64] = count;
    ready = 1;
    return 0;
}

IV_EXPORT(iv_main) int iv_main(void) {
    char body[32];
    int64_t n = 0;
    int32_t len = iv_request_read_all(body, sizeof body);
    if (!ready) {
        iv_log_str("init-cache: the table was not built: iv_init did not run\n");
        return 1;
    }
    if (len < 0 || !iv_parse_i64(body, (size_t)len, &n) || n < 0 || n >= LIMIT) {
        iv_response_status(400);
        iv_write_str("init-cache: the body must be a number in 0..65535\n");
        return 0;
    }
    invocation++;
    uint32_t k = (uint32_t)n;
    uint32_t count = primes_below[k >> 6];
    for (uint32_t i = k & ~63u; i <= k; i++) count += !is_composite(i);

    iv_header_str("Content-Type", "application/json");
    iv_write_str("{\"n\": ");
    iv_write_i64(n);
    iv_write_str(is_composite(k) ? ", \"prime\": false" : ", \"prime\": true");
    iv_write_str(", \"primes_up_to_n\": ");
    iv_write_i64(count);
    iv_write_str(", \"invocation\": ");
    iv_write_i64(invocation);
    iv_write_str("}\n");
    return 0;
}
