// spawn: the cold start of a process-per-request platform, measured without any platform around it.
//
//   spawn PROGRAM SAMPLES BODY
//
// Per sample: posix_spawn PROGRAM with its stdin and stdout on pipes, write BODY, read the answer to
// EOF, wait for the exit. Prints one line of JSON: the sample times in microseconds (sorted) and the
// last answer, so the caller can check the program really ran.
#define _GNU_SOURCE
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static long long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int compare(const void *a, const void *b) {
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: spawn PROGRAM SAMPLES BODY\n");
        return 2;
    }
    int samples = atoi(argv[2]);
    if (samples < 1 || samples > 100000) {
        fprintf(stderr, "spawn: SAMPLES must be in 1...100000\n");
        return 2;
    }
    const char *body = argv[3];
    long long *times = calloc((size_t)samples, sizeof *times);
    char answer[512] = {0};
    for (int i = 0; i < samples; i++) {
        long long start = now_ns();
        int in[2], out[2];
        if (pipe(in) || pipe(out)) { perror("pipe"); return 1; }
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, in[0], 0);
        posix_spawn_file_actions_adddup2(&actions, out[1], 1);
        posix_spawn_file_actions_addclose(&actions, in[1]);
        posix_spawn_file_actions_addclose(&actions, out[0]);
        pid_t pid;
        char *child_argv[] = {argv[1], NULL};
        int error = posix_spawn(&pid, argv[1], &actions, NULL, child_argv, environ);
        posix_spawn_file_actions_destroy(&actions);
        if (error) { fprintf(stderr, "spawn: %s: %s\n", argv[1], strerror(error)); return 1; }
        close(in[0]);
        close(out[1]);
        if (write(in[1], body, strlen(body)) < 0) { perror("write"); return 1; }
        close(in[1]);
        size_t used = 0;
        ssize_t n;
        while ((n = read(out[0], answer + used, sizeof answer - 1 - used)) > 0) used += (size_t)n;
        answer[used] = '\0';
        close(out[0]);
        int status;
        waitpid(pid, &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) { fprintf(stderr, "spawn: child failed\n"); return 1; }
        times[i] = (now_ns() - start) / 1000;
    }
    qsort(times, (size_t)samples, sizeof *times, compare);
    printf("{\"samples_us\": [");
    for (int i = 0; i < samples; i++) printf("%s%lld", i ? ", " : "", times[i]);
    printf("], \"answer\": \"");
    for (char *c = answer; *c; c++) {
        if (*c == '"' || *c == '\\') putchar('\\');
        if (*c == '\n') { printf("\\n"); continue; }
        putchar(*c);
    }
    printf("\"}\n");
    return 0;
}
