// The iv-ABI fib module of `faas-bench sandbox` (SandboxTesting's ExampleModules.Sources.fib), kept
// here so Wasmtime runs the very same WebAssembly: fib(27), the result written through one import.
__attribute__((import_module("intravisor"), import_name("response_write"))) int response_write(const void *, int);
static unsigned fib(unsigned n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
__attribute__((export_name("iv_main"))) int iv_main(void) {
    unsigned r = fib(27);
    response_write(&r, sizeof r);
    return 0;
}
