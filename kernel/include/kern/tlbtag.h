/* Per-CPU cache of TLB tags (x86 PCIDs, kernel/arch/x86_64/uspace.c): which
 * address space each tag last held on this CPU and the space's shootdown
 * generation at the time. Pure logic, host-tested (tests/host/test_tlbtag.c);
 * one struct per CPU, touched only by that CPU with interrupts off. */
#pragma once
#include <kern/types.h>

#define TLBTAG_SLOTS 8 /* tags 1..TLBTAG_SLOTS; 0 is the kernel's */

struct tlbtag_cpu {
	struct {
		uint64_t space_id; /* 0: never used */
		uint64_t gen;
	} slot[TLBTAG_SLOTS];
	unsigned victim; /* next slot to hand out, round robin */
};

/* The tag for address space `space_id` (never 0, never reused), whose
 * shootdown generation now reads `gen`. *flush is set when entries under
 * the tag may be stale (a shootdown since this CPU last loaded the space)
 * or belong to another space (the slot was taken): the caller must then
 * drop them as it loads the tag. */
unsigned tlbtag_pick(struct tlbtag_cpu *c, uint64_t space_id, uint64_t gen,
		     bool *flush);
