/* Kernel stacks with guard pages (kstack.c); the portable calls are
 * arch_kstack_alloc/free/reap in kern/arch.h. */
#pragma once
#include <kern/types.h>

/* addr is in the unmapped guard below a live kernel stack: true, with the
 * top of that stack. Lock-free (used by the double-fault report). */
bool kstack_guard_hit(uintptr_t addr, uintptr_t *stack_top);
/* Fills the pool of reusable thread stacks (boot, before the other
 * CPUs start). */
void kstack_init(void);
/* A stack freshly mapped, never from the pool (a CPU's own stacks, kept
 * for good); freed with arch_kstack_free(). */
void *kstack_map_new(unsigned pages);
/* Stacks mapped (in use, pooled or waiting for their unmap), for tests. */
uint64_t kstack_count(void);
/* Stacks in the pool now, and its size. */
unsigned kstack_pooled(unsigned *cap);
