#define _GNU_SOURCE
#include "caffinity.h"

#ifdef __linux__
#include <sched.h>

int caffinity_allowed(int *cpus, int capacity) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0) return -1;
    int count = 0;
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
        if (!CPU_ISSET(cpu, &set)) continue;
        if (count < capacity) cpus[count] = cpu;
        count++;
    }
    return count;
}

int caffinity_pin_current_thread(int cpu) {
    if (cpu < 0 || cpu >= CPU_SETSIZE) return -1;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof set, &set) == 0 ? 0 : -1;
}
#else
int caffinity_allowed(int *cpus, int capacity) {
    (void)cpus;
    (void)capacity;
    return -1;
}

int caffinity_pin_current_thread(int cpu) {
    (void)cpu;
    return -1;
}
#endif
