// echo: copies stdin (the request body) to stdout (the response body), byte for byte.
#include <stdio.h>
#include <unistd.h>

int main(void) {
    static char buf[64 * 1024];
    ssize_t n;
    while ((n = read(0, buf, sizeof buf)) > 0) {
        for (ssize_t done = 0; done < n;) {
            ssize_t w = write(1, buf + done, (size_t)(n - done));
            if (w <= 0) {
                perror("echo: write");
                return 1;
            }
            done += w;
        }
    }
    if (n < 0) {
        perror("echo: read");
        return 1;
    }
    return 0;
}
