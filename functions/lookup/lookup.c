// lookup: answers the capital of the country named in the body ("France" -> "Paris"), from
// data/capitals.tsv bundled in the archive (one "country<TAB>capital" per line).
//
// The file is reached only through a CAP-File: `capabilities: {files: [data/]}` grants it, cap_open
// returns a read-only handle, and the matching line is read through a handle narrowed to exactly
// that line with cap_restrict, the way a function hands a slice of a capability on without
// exposing the rest. An unknown country is a 404.
#include "intravisor.h"

static const char PATH[] = "data/capitals.tsv";

static int answer(int status, const char *text) {
    iv_response_status(status);
    iv_header_str("Content-Type", "text/plain; charset=utf-8");
    iv_write_str(text);
    return 0;
}

static int same(const char *a, size_t a_len, const char *b, size_t b_len) {
    if (a_len != b_len) return 0;
    for (size_t i = 0; i < a_len; i++) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = (char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = (char)(y - 'A' + 'a');
        if (x != y) return 0;
    }
    return 1;
}

IV_EXPORT(iv_main) int iv_main(void) {
    static char key[128], file[16 * 1024], line[256];
    int32_t key_len = iv_request_read_all(key, sizeof key);
    if (key_len < 0) return answer(400, "lookup: the body must be a country name of at most 128 bytes\n");
    while (key_len > 0 && (key[key_len - 1] == '\n' || key[key_len - 1] == '\r' || key[key_len - 1] == ' ')) key_len--;
    if (key_len == 0) return answer(400, "lookup: send a country name, e.g. France\n");

    iv_handle data = iv_cap_open(PATH, sizeof PATH - 1);
    if (data < 0) {
        iv_log_str("lookup: cap_open(data/capitals.tsv) failed: ");
        iv_log_str(iv_strerror(data));
        return 1;
    }
    int64_t size = iv_cap_read_all(data, file, sizeof file);
    if (size < 0) return 1;

    for (int64_t start = 0; start < size;) {
        int64_t end = start, tab = -1;
        while (end < size && file[end] != '\n') {
            if (file[end] == '\t' && tab < 0) tab = end;
            end++;
        }
        if (tab > start && same(file + start, (size_t)(tab - start), key, (size_t)key_len)) {
            // Narrow the capability to the capital's bytes and read only through it.
            iv_handle value = iv_cap_restrict(data, (uint64_t)(tab + 1), (uint64_t)(end - tab - 1), IV_PERM_READ);
            if (value < 0) return 1;
            int64_t n = iv_cap_read_all(value, line, sizeof line - 1);
            iv_cap_drop(value);
            iv_cap_drop(data);
            if (n < 0) return 1;
            line[n] = '\n';
            iv_header_str("Content-Type", "text/plain; charset=utf-8");
            iv_response_write(line, (size_t)n + 1);
            return 0;
        }
        start = end + 1;
    }
    iv_cap_drop(data);
    return answer(404, "lookup: no such country\n");
}
