// wordcount: like `wc`, over the request body, answering one JSON object:
//   {"lines": 2, "words": 5, "chars": 24, "bytes": 26}
// chars counts UTF-8 code points (bytes that do not start a continuation 10xxxxxx).
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

int main(void) {
    static unsigned char buf[64 * 1024];
    uint64_t lines = 0, words = 0, chars = 0, bytes = 0;
    int in_word = 0;
    ssize_t n;
    while ((n = read(0, buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < n; i++) {
            unsigned char c = buf[i];
            int space = c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
            if (c == '\n') lines++;
            if ((c & 0xC0) != 0x80) chars++;
            if (!space && !in_word) words++;
            in_word = !space;
        }
        bytes += (uint64_t)n;
    }
    if (n < 0) {
        perror("wordcount: read");
        return 1;
    }
    printf("{\"lines\": %llu, \"words\": %llu, \"chars\": %llu, \"bytes\": %llu}\n", (unsigned long long)lines,
           (unsigned long long)words, (unsigned long long)chars, (unsigned long long)bytes);
    return 0;
}
