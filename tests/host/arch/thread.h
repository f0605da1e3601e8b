/* Host stand-in for the arch part of a thread: portable scheduler code
 * compiles against it; nothing here ever runs a thread. */
#pragma once
#include <kern/types.h>

struct arch_thread {
	uintptr_t rsp;
	uintptr_t kstack_top;
	uint64_t fs_base;
};

#define KSTACK_PAGES 4
