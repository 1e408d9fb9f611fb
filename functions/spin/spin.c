// spin: an infinite loop, for demos and tests of the timeout. The platform stops it when its
// `timeout` (1s) passes, answers 504 `timeout`, and destroys the compartment.
#include "intravisor.h"

static volatile uint64_t spins;

IV_EXPORT(iv_main) int iv_main(void) {
    iv_log_str("spin: looping until the timeout stops me\n");
    for (;;) spins++;
}
