/* grantguard: the fault watcher that keeps a service alive when a
 * client revokes a grant the service has mapped (grantguard.h). */
#include <string.h>

#include <execrt/errors.h>

#include "grantguard/grantguard.h"

#define W_STACK (16 * 1024)
#define W_TCB	512 /* musl's thread descriptor is read at %fs */
#define PF	14

static struct gg *guard; /* one per task: the watcher's */

static handle_t self(void)
{
	return execrt_handle(START_H_SELF_TASK);
}

int gg_slot_of(const struct gg *g, uint64_t a)
{
	if (a < g->base || (a - g->base) / g->size >= g->n)
		return -1;
	return (int)((a - g->base) / g->size);
}

void gg_use(struct gg *g, uint32_t i, uint64_t extent, uint32_t prot)
{
	g->slot[i] = (struct gg_slot){0};
	g->slot[i].prot = prot;
	gg_extent(g, i, extent);
}

void gg_extent(struct gg *g, uint32_t i, uint64_t extent)
{
	extent = (extent + PAGE_SIZE_USER - 1) & ~(PAGE_SIZE_USER - 1);
	if (extent > g->size)
		extent = g->size;
	if (extent > g->slot[i].extent)
		g->slot[i].extent = extent;
}

void gg_release(struct gg *g, uint32_t i)
{
	uint64_t base = gg_addr(g, i);
	if (!g->slot[i].lost) {
		sys_grant_unmap(self(), base);
	} else { /* every window a fault may have mapped */
		for (uint64_t o = 0; o < g->slot[i].extent; o += g->window)
			sys_grant_unmap(self(), base + o);
	}
	g->slot[i] = (struct gg_slot){0};
}

/* The scratch at the window of the slot that holds addr: the revoked
 * grant's mapping is gone, so the range is free; a window already there
 * (a second fault in it) is a fault of another kind. */
static bool scratch(struct gg *g, uint64_t addr)
{
	int i = gg_slot_of(g, addr);
	if (i < 0)
		return false;
	struct gg_slot *s = &g->slot[i];
	uint64_t base = gg_addr(g, (uint32_t)i), at = 0;
	if (!s->extent || addr - base >= s->extent)
		return false;
	uint64_t w = base + ((addr - base) & ~(g->window - 1));
	if (sys_grant_map(self(), g->scratch, s->prot, w, &at) < 0)
		return false;
	if (at != w) {
		sys_grant_unmap(self(), at);
		return false;
	}
	s->lost = true;
	g->faults++;
	return true;
}

__attribute__((no_stack_protector, noreturn)) static void
watcher_main(uint64_t tp)
{
	sys_thread_set_tls(tp);
	for (;;) {
		struct fault_report rep;
		if (sys_fault_wait(self(), DEADLINE_NONE, &rep) < 0)
			continue;
		if (rep.vector == PF && scratch(guard, rep.addr) &&
		    sys_fault_resume(self(), rep.thread_koid) == 0)
			continue;
		sys_task_exit(TASK_STATUS_FAULT(rep.vector));
	}
}

long gg_start(struct gg *g, handle_t sched, const struct sched_params *p)
{
	static _Alignas(64) uint8_t stack[W_STACK];
	static _Alignas(64) uint8_t tcb[W_TCB];
	if (guard || !g->window || (g->window & (g->window - 1)) ||
	    g->size % g->window)
		return ERR_INVALID_ARGS;
	long r = sys_grant_create(self(), 0, g->window,
				  VM_PROT_READ | VM_PROT_WRITE, &g->scratch);
	if (r < 0)
		return r;
	guard = g;
	uint64_t tp = (uint64_t)tcb, canary;
	__asm__ __volatile__("mov %%fs:0x28, %0" : "=r"(canary));
	memcpy(tcb, &tp, 8);
	memcpy(tcb + 0x28, &canary, 8); /* the stack protector's canary */
	handle_t t;
	r = sys_thread_create(self(), "faults", 6, &t);
	if (r < 0)
		return r;
	if (sched && p)
		sys_sched_set(sched, t, p); /* else it stays BE */
	uint64_t rsp = ((uint64_t)stack + sizeof(stack)) - 8;
	r = sys_thread_start(t, (uint64_t)watcher_main, rsp, tp);
	sys_handle_close(t);
	if (r == 0)
		r = sys_task_set_fault_handler(self(), 1);
	return r;
}
