// noop: does nothing and succeeds. Its latency is the platform's own overhead per invocation.
#include "intravisor.h"

IV_EXPORT(iv_main) int iv_main(void) { return 0; }
