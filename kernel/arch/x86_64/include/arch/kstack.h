/* Kernel stacks with guard pages (kstack.c); the portable calls are
 * arch_kstack_alloc/free/reap in kern/arch.h. */
#pragma once
#include <kern/types.h>

/* addr is in the unmapped guard below a live kernel stack: true, with the
 * top of that stack. Lock-free (used by the double-fault report). */
bool kstack_guard_hit(uintptr_t addr, uintptr_t *stack_top);
/* Stacks allocated and not yet unmapped (for tests). */
uint64_t kstack_count(void);
