// fib: the compute baseline in native code — the same recursive fib(27) the sandbox benchmark runs
// in a compartment. Prints one line of JSON: the result and the sorted run times in microseconds.
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static unsigned fib(unsigned n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

static int compare(const void *a, const void *b) {
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    int runs = argc > 1 ? atoi(argv[1]) : 21;
    if (runs < 1 || runs > 1000) runs = 21;
    volatile unsigned n = 27;  // read at run time: the compiler cannot fold fib(27) to a constant
    long long times[1000];
    unsigned result = 0;
    for (int i = 0; i < runs; i++) {
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        result = fib(n);
        clock_gettime(CLOCK_MONOTONIC, &b);
        times[i] = ((long long)(b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec)) / 1000;
    }
    qsort(times, (size_t)runs, sizeof times[0], compare);
    printf("{\"n\": 27, \"result\": %u, \"samples_us\": [", result);
    for (int i = 0; i < runs; i++) printf("%s%lld", i ? ", " : "", times[i]);
    printf("]}\n");
    return 0;
}
