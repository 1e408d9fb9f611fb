// fault: breaks the rules on purpose so each failure path can be seen. The body picks one:
//   bounds      response_write from a range beyond the compartment's memory -> 502 capability_fault (bounds)
//   tag         cap_read through a handle that was never issued             -> 502 capability_fault (tag)
//   dropped     cap_read through a handle after cap_drop                     -> 502 capability_fault (tag)
//   permission  cap_restrict that widens a CAP-File's range                  -> 502 capability_fault (permission)
//   trap        executes `unreachable`                                       -> 502 function_trap
//   exit        iv_main returns 3                                            -> 502 function_error
//   ok (or an empty body) answers 200 "fault: no fault requested".
// A fault ends the invocation and the compartment is destroyed, never reused.
#include "intravisor.h"

static int is(const char *body, int32_t len, const char *word) {
    size_t n = iv_strlen(word);
    if ((size_t)len != n) return 0;
    for (size_t i = 0; i < n; i++)
        if (body[i] != word[i]) return 0;
    return 1;
}

IV_EXPORT(iv_main) int iv_main(void) {
    char body[32], byte;
    int32_t len = iv_request_read_all(body, sizeof body);
    if (len < 0) len = 0;
    while (len > 0 && (body[len - 1] == '\n' || body[len - 1] == '\r' || body[len - 1] == ' ')) len--;

    if (is(body, len, "bounds")) {
        // 4 GiB - 64: no compartment memory reaches this far (the ceiling is at most 4 GiB).
        iv_response_write((const void *)(uintptr_t)0xFFFFFFC0u, 64);
    } else if (is(body, len, "tag")) {
        iv_cap_read(0x7fff1234, &byte, 1, 0);
    } else if (is(body, len, "dropped")) {
        iv_handle h = iv_cap_open_str("data/secret.txt");
        if (h < 0) return 2;
        iv_cap_drop(h);
        iv_cap_read(h, &byte, 1, 0);
    } else if (is(body, len, "permission")) {
        iv_handle h = iv_cap_open_str("data/secret.txt");
        if (h < 0) return 2;
        iv_cap_restrict(h, 0, (uint64_t)iv_cap_len(h) + 4096, IV_PERM_READ);
    } else if (is(body, len, "trap")) {
        __builtin_trap();
    } else if (is(body, len, "exit")) {
        iv_log_str("fault: returning 3 as asked\n");
        return 3;
    } else if (len == 0 || is(body, len, "ok")) {
        iv_write_str("fault: no fault requested\n");
        return 0;
    } else {
        iv_response_status(400);
        iv_write_str("fault: ask for one of bounds, tag, dropped, permission, trap, exit, ok\n");
        return 0;
    }
    // Reached only if the platform let the misbehaviour pass: say so loudly.
    iv_response_status(500);
    iv_write_str("fault: the platform did not stop the fault\n");
    return 0;
}
