// headers: a `response: cgi` function. It answers a JSON view of its request environment
// (method, path, query, content type and every HTTP_* header, plus the manifest's GREETING) and
// sets its status and headers through CGI lines on stdout:
//   ?status=418          answers with that status (100..599; anything else is a 400)
//   X-Reply-Header: v    (request header) is sent back as the response header X-Reply: v
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

// Writes `s` as a JSON string literal.
static void json_string(const char *s) {
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", stdout); break;
        case '\\': fputs("\\\\", stdout); break;
        case '\n': fputs("\\n", stdout); break;
        case '\r': fputs("\\r", stdout); break;
        case '\t': fputs("\\t", stdout); break;
        default:
            if (*p < 0x20) printf("\\u%04x", *p);
            else putchar(*p);
        }
    }
    putchar('"');
}

// The value of `key` in a query string, copied into `out`; 1 when present.
static int query_value(const char *query, const char *key, char *out, size_t cap) {
    size_t key_len = strlen(key);
    for (const char *p = query; p && *p;) {
        const char *end = strchr(p, '&');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > key_len && strncmp(p, key, key_len) == 0 && p[key_len] == '=') {
            size_t value_len = len - key_len - 1;
            if (value_len >= cap) value_len = cap - 1;
            memcpy(out, p + key_len + 1, value_len);
            out[value_len] = '\0';
            return 1;
        }
        p = end ? end + 1 : NULL;
    }
    return 0;
}

int main(void) {
    const char *query = getenv("QUERY_STRING");
    char wanted[16];
    int status = 200;
    if (query_value(query, "status", wanted, sizeof wanted)) {
        char *end;
        long value = strtol(wanted, &end, 10);
        if (*wanted == '\0' || *end != '\0' || value < 100 || value > 599) {
            fputs("Status: 400\nContent-Type: text/plain\n\nheaders: status must be a number in 100...599\n", stdout);
            return 0;
        }
        status = (int)value;
    }

    printf("Status: %d\n", status);
    fputs("Content-Type: application/json\n", stdout);
    const char *reply = getenv("HTTP_X_REPLY_HEADER");
    if (reply && !strpbrk(reply, "\r\n")) printf("X-Reply: %s\n", reply);
    fputs("\n", stdout);

    fputs("{\"method\": ", stdout);
    json_string(getenv("REQUEST_METHOD"));
    fputs(", \"path\": ", stdout);
    json_string(getenv("PATH_INFO"));
    fputs(", \"query\": ", stdout);
    json_string(query);
    fputs(", \"content_type\": ", stdout);
    json_string(getenv("CONTENT_TYPE"));
    fputs(", \"function\": ", stdout);
    json_string(getenv("FAAS_FUNCTION"));
    fputs(", \"greeting\": ", stdout);
    json_string(getenv("GREETING"));
    fputs(", \"headers\": {", stdout);
    int first = 1;
    for (char **e = environ; *e; e++) {
        if (strncmp(*e, "HTTP_", 5) != 0) continue;
        const char *eq = strchr(*e, '=');
        if (!eq) continue;
        char name[256];
        size_t len = (size_t)(eq - *e - 5);
        if (len >= sizeof name) len = sizeof name - 1;
        memcpy(name, *e + 5, len);
        name[len] = '\0';
        fputs(first ? "" : ", ", stdout);
        first = 0;
        json_string(name);
        fputs(": ", stdout);
        json_string(eq + 1);
    }
    fputs("}}\n", stdout);
    return 0;
}
