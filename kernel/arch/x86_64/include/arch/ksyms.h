#pragma once
#include <kern/types.h>

/* Name of the function containing addr and the offset into it, or NULL. */
const char *ksym_lookup(uintptr_t addr, uintptr_t *offset);
void backtrace_from(uintptr_t rip, uintptr_t rbp);
