/* grantguard: a service that maps its clients' grants survives their
 * revoke (docs/graphics.md "Revoked grants"). The grant's owner holds
 * MANAGE and may revoke it at any time (SYS_GRANT_REVOKE takes it out of
 * every address space); the service's next read or write of it is a page
 * fault. With grantguard the task is its own fault handler: a watcher
 * thread takes the report and, for a page fault inside a guarded slot's
 * extent, maps zeroed scratch memory over the whole extent and resumes
 * the thread, which reads zeros (or writes into the scratch) and finishes
 * its work; the slot is marked lost and the service drops it when it
 * next looks (gg_lost). The scratch is one grant of `window` bytes made
 * at the start (its memory is charged once, whatever the clients' grant
 * sizes), mapped at the aligned window of the slot that faulted: a read
 * running on through a large revoked grant takes one fault per window.
 * Any other fault (outside a guarded extent, or again where scratch
 * already sits) ends the task, as without a handler.
 *
 * Slots: n fixed address ranges base + i * size, one grant mapping at the
 * start of each. Used by blitterd (its surfaces' grants), compositord
 * (its layers' grants) and netd (its drivers' regions).
 *
 * Threads: the table is changed by the service's one working thread
 * (gg_use, gg_extent, gg_release) and read and marked by the watcher
 * only while that thread is suspended in the fault it reports; a service
 * using this has exactly one other thread, or must stop the others
 * itself. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include <execrt/runtime.h>
#include <execrt/sys.h>

struct gg_slot {
	uint64_t extent;    /* bytes a fault may need (page multiple); 0 free */
	uint32_t prot;	    /* the mapping's protection */
	volatile bool lost; /* the grant was revoked; scratch sits there */
};

struct gg {
	uint64_t base, size; /* slot i at base + i * size */
	uint64_t window;     /* scratch size: a power of two dividing size */
	uint32_t n;
	handle_t scratch;
	struct gg_slot *slot;
	volatile uint64_t faults; /* faults repaired with scratch memory */
};

/* Makes the scratch grant, starts the watcher and makes this task its
 * own fault handler. With
 * sched (a scheduling authority) and p, the watcher gets class p (an RT
 * service wants its watcher RT: its thread waits for it). One guard per
 * task. */
long gg_start(struct gg *g, handle_t sched, const struct sched_params *p);
/* Slot i's address. */
static inline uint64_t gg_addr(const struct gg *g, uint32_t i)
{
	return g->base + (uint64_t)i * g->size;
}
/* The slot of address a, or -1. */
int gg_slot_of(const struct gg *g, uint64_t a);
/* Slot i now holds a grant mapping with prot; a fault within extent
 * bytes of its start is repaired. */
void gg_use(struct gg *g, uint32_t i, uint64_t extent, uint32_t prot);
/* Widens slot i's extent (page-rounded) to at least extent. */
void gg_extent(struct gg *g, uint32_t i, uint64_t extent);
/* The grant of slot i was revoked and scratch memory replaced it. */
static inline bool gg_lost(const struct gg *g, uint32_t i)
{
	return i < g->n && g->slot[i].lost;
}
/* Unmaps slot i (the grant, or the scratch windows) and frees it. */
void gg_release(struct gg *g, uint32_t i);
