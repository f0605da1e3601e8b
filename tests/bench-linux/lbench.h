/* Shared by the Linux benchmark program's files (tests/bench-linux). */
#pragma once
#include <stdint.h>

#define MIB (1u << 20)

extern long errors; /* failing operations: the figure is not printed */
/* One warm-up run, then batches of iters operations; prints
 * "lbench: KEY median ... cycles/op". */
void bench(const char *key, unsigned iters, void (*fn)(unsigned));
void file_benches(void); /* bench-linux-mem.c */
void fault_bench(void);
