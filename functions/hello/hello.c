// hello: the smallest useful WASI function. The request body is the name to greet.
#include <stdio.h>
#include <string.h>

int main(void) {
    char name[256];
    size_t n = fread(name, 1, sizeof name - 1, stdin);
    while (n > 0 && (name[n - 1] == '\n' || name[n - 1] == '\r')) n--;
    name[n] = '\0';
    printf("Hello, %s!\n", n > 0 ? name : "world");
    return 0;
}
