#ifndef CAFFINITY_H
#define CAFFINITY_H

/* The CPU affinity calls of Linux, which glibc declares only under _GNU_SOURCE, where Swift's Glibc
   module does not see them. Elsewhere they report failure. */

/* Writes the CPUs the calling thread may run on, in increasing order, into cpus (room for
   capacity); returns how many there are (possibly more than capacity), or -1 on failure. */
int caffinity_allowed(int *cpus, int capacity);

/* Restricts the calling thread to cpu; returns 0, or -1 on failure. */
int caffinity_pin_current_thread(int cpu);

#endif
