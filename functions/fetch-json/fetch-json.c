// fetch-json: a WASI command that reads a URL from stdin, GETs it through the platform's
// outbound HTTP (the intravisor http_* imports, which v2 lets wasi modules use) and answers with
// the upstream status, content type and body (response: cgi). Only http://127.0.0.1 is granted,
// so it can call a local server and nothing else; any other URL is refused (-1).
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "intravisor.h"

static char url[4096];
static char request[4200];
static char body[1 << 20];

static int fail(int status, const char *what, int64_t code) {
    printf("Status: %d\nContent-Type: text/plain\n\nfetch-json: %s: %s\n", status, what, iv_strerror(code));
    return 0;
}

int main(void) {
    ssize_t n = read(0, url, sizeof url - 1);
    if (n <= 0) return fail(400, "send a URL in the body", IV_ERR_INVALID);
    while (n > 0 && (url[n - 1] == '\n' || url[n - 1] == '\r' || url[n - 1] == ' ')) n--;
    url[n] = 0;
    int len = snprintf(request, sizeof request, "GET %s\nAccept: application/json", url);
    if (len <= 0 || (size_t)len >= sizeof request) return fail(400, "URL too long", IV_ERR_TOO_LARGE);

    iv_handle response = iv_http_request(request, (size_t)len, "", 0);
    if (response < 0) return fail(response == IV_ERR_NOT_GRANTED ? 403 : 502, "request failed", response);
    int64_t size = iv_cap_read_all(response, body, sizeof body);
    if (size < 0) return fail(502, "response body", size);

    char type[256];
    int32_t type_len = iv_http_header(response, "content-type", 12, type, sizeof type - 1);
    if (type_len < 0) type_len = 0;
    type[type_len] = 0;
    printf("Status: %d\nContent-Type: %s\nX-Upstream-Status: %d\n\n", iv_http_status(response),
           type_len ? type : "application/octet-stream", iv_http_status(response));
    fwrite(body, 1, (size_t)size, stdout);
    iv_cap_drop(response);
    return 0;
}
