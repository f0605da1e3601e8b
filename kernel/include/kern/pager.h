/* Demand paging (kernel/mm/pager.c, docs/vmgr.md "The pager contract"):
 * memory objects whose pages a user-space pager supplies on first touch.
 * A fault on an absent page is a kernel-made call on the pager's send
 * endpoint (struct pager_fault); the faulting thread waits in that call,
 * so the pager's death (ERR_PEER_CLOSED) or the thread's own kill ends the
 * wait like any call's. Threads faulting on a page already asked for wait
 * for the same request.
 *
 * Lock order: vmo.pager_wq.lock -> vmo.lock -> account locks. Nothing is
 * held across the call. */
#pragma once
#include <kern/types.h>

struct task;
struct vmo;
struct port_send;
struct resource;

/* A pager-backed object of size bytes charged to t (header and pages
 * array now; pages as supplied). Holds a reference to send. */
int pager_vmo_create(struct task *t, struct port_send *send, uint64_t key,
		     uint64_t size, struct vmo **out);
/* Supplies the absent pages of [offset, offset+len) (page-aligned, inside
 * v) with the bytes at user address src (0: zeros), each charged to v's
 * owner first, in order: how many it supplied (present pages are
 * skipped). It stops at the first failure: ERR_NO_MEMORY (the owner's
 * quota or the frames ran out) or ERR_FAULT (bad src) is returned only
 * when no page was supplied before it. Wakes the threads waiting. */
int pager_supply(struct vmo *v, uint64_t offset, uint64_t len, uint64_t src);
/* The frame of page index of a pager-backed v, asking the pager for it
 * and blocking when absent. 0 with *err set: ERR_FAULT (the pager failed
 * the page, answered without supplying it, or is gone), ERR_NO_MEMORY
 * (no memory for the call), ERR_BAD_STATE (this thread was killed). */
phys_addr_t pager_get_page(struct vmo *v, uint64_t index, bool write, int *err);
/* The user page fault at addr (access: VM_PROT_* asked for) of the current
 * thread: 0 when it was resolved (a pager page is now mapped; the
 * instruction is retried), ERR_FAULT when it is a real fault (the fault
 * report follows), ERR_BAD_STATE when the thread was killed meanwhile.
 * Blocks: call with interrupts on and no lock held. */
int vm_user_fault(uint64_t addr, uint32_t access, bool present);

/* DMA budgets (kernel/obj/resource.c): bytes counted against a RES_DMA
 * resource; take holds a reference, return drops it. */
int dma_auth_take(struct resource *r, uint64_t bytes);
void dma_auth_return(struct resource *r, uint64_t bytes);
