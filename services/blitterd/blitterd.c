/* blitterd: 2D operations on shared surfaces (/svc/blitterd,
 * docs/graphics.md "blitterd"). The protocol and the pixels are
 * blit_proto.c, blit_ops.c and the kernels; this file is the platform:
 * one port (the public endpoint plus minted session endpoints), grants
 * mapped into this task, events sent without blocking. One thread serves:
 * a job runs inside the call that asks for it (BE class: bulk work that
 * must not hold up the frame-timed services). A second thread only
 * handles this task's own faults (a revoked grant, see below).
 *
 * Grant mappings: each sits at the start of its own 128 GiB slot (a
 * grant is at most VMO_MAX_SIZE, 64 GiB), so the page after a grant is
 * never mapped. That is how a grant's size is checked without a size
 * query: SYS_VM_PROTECT of the last page a surface needs is
 * ERR_NOT_FOUND exactly when that page lies past the grant. */
#include <stdio.h>
#include <string.h>

#include <execrt/errors.h>
#include <execrt/rights.h>
#include <execrt/runtime.h>
#include <execrt/sys.h>

#include "blit_proto.h"
#include "cl_ports.h"

#define SLOT_BASE 0x400000000000ull
#define SLOT_SIZE (1ull << 37)

static struct {
	uint8_t *base; /* NULL: free slot */
	uint32_t prot;
	uint64_t extent;    /* bytes the largest surface on it needs */
	handle_t scratch;   /* set by the watcher: the grant was revoked */
	volatile bool lost; /* ... and scratch memory sits in its place */
} slots[BLIT_MAX_MEMS];

static struct blit_svc svc;
static struct blit_ans ans;
static handle_t g_recv;
static char buf[PORT_MSG_MAX + 1];

static handle_t self(void)
{
	return execrt_handle(START_H_SELF_TASK);
}

static int p_ident(void *ctx, uint32_t h, uint64_t *koid, bool *can_write)
{
	(void)ctx;
	struct handle_info hi;
	if (sys_handle_info(h, &hi) < 0 || hi.type != OBJ_GRANT)
		return ERR_WRONG_TYPE;
	*koid = hi.koid;
	*can_write = hi.rights & RIGHT_WRITE;
	return 0;
}

static int p_map(void *ctx, uint32_t h, uint8_t **base, bool *writable)
{
	(void)ctx;
	int i = 0;
	while (i < BLIT_MAX_MEMS && slots[i].base)
		i++;
	if (i == BLIT_MAX_MEMS)
		return ERR_NO_RESOURCES;
	uint64_t hint = SLOT_BASE + (uint64_t)i * SLOT_SIZE, at = 0;
	uint32_t prot = VM_PROT_READ | VM_PROT_WRITE;
	long r = sys_grant_map(self(), h, prot, hint, &at);
	if (r == ERR_ACCESS_DENIED) { /* a read-only grant: a source */
		prot = VM_PROT_READ;
		r = sys_grant_map(self(), h, prot, hint, &at);
	}
	if (r < 0)
		return (int)r;
	if (at != hint) { /* the slot is not ours alone: no size check */
		sys_grant_unmap(self(), at);
		return ERR_NO_RESOURCES;
	}
	slots[i].base = (uint8_t *)at;
	slots[i].prot = prot;
	*base = (uint8_t *)at;
	*writable = prot & VM_PROT_WRITE;
	return 0;
}

static bool p_fits(void *ctx, uint8_t *base, uint64_t bytes)
{
	(void)ctx;
	for (int i = 0; i < BLIT_MAX_MEMS; i++) {
		if (slots[i].base != base)
			continue;
		uint64_t need =
			(bytes + PAGE_SIZE_USER - 1) & ~(PAGE_SIZE_USER - 1);
		if (need > SLOT_SIZE / 2)
			return false;

		/* Inside the grant: 0 (a one-page grant, unchanged) or
		 * INVALID_ARGS (it would cut the grant mapping). */
		long r = sys_vm_protect(self(),
					(uint64_t)base + need - PAGE_SIZE_USER,
					PAGE_SIZE_USER, slots[i].prot);
		if (r != 0 && r != ERR_INVALID_ARGS)
			return false;
		if (need > slots[i].extent) /* what a revoke must cover */
			slots[i].extent = need;
		return true;
	}
	return false;
}

static void p_unmap(void *ctx, uint8_t *base)
{
	(void)ctx;
	for (int i = 0; i < BLIT_MAX_MEMS; i++) {
		if (slots[i].base == base) {
			sys_grant_unmap(self(), (uint64_t)base);
			if (slots[i].scratch)
				sys_handle_close(slots[i].scratch);
			slots[i] = (__typeof__(slots[i])){0};
		}
	}
}

static bool p_lost(void *ctx, uint8_t *base)
{
	(void)ctx;
	for (int i = 0; i < BLIT_MAX_MEMS; i++)
		if (slots[i].base == base)
			return slots[i].lost;
	return false;
}

/* ---- revoked grants (REVIEW-15 #1) ----
 * A client may revoke a grant blitterd has mapped (it owns the grant);
 * the next access faults. blitterd is its own fault handler: this thread
 * takes the report and, for a page fault inside a live grant slot, maps
 * scratch memory over the slot's whole extent (every surface on it fits)
 * and resumes the main thread; the job then ends with an error and the
 * grant's surfaces are unbound (p_lost). Any other fault ends the task,
 * as without a handler. The main thread is suspended while this runs, so
 * slots[] is not touched by both at once. */
#define W_STACK (16 * 1024)
#define W_TCB	512 /* musl's thread descriptor is read at %fs */

static bool scratch_slot(uint64_t addr)
{
	if (addr < SLOT_BASE)
		return false;
	uint64_t i = (addr - SLOT_BASE) / SLOT_SIZE;
	if (i >= BLIT_MAX_MEMS || !slots[i].base || slots[i].lost ||
	    addr - (uint64_t)slots[i].base >= slots[i].extent)
		return false;
	handle_t g;
	uint64_t at = 0;
	if (sys_grant_create(self(), 0, slots[i].extent,
			     VM_PROT_READ | VM_PROT_WRITE, &g) < 0)
		return false;
	if (sys_grant_map(self(), g, slots[i].prot, (uint64_t)slots[i].base,
			  &at) < 0 ||
	    at != (uint64_t)slots[i].base) {
		if (at)
			sys_grant_unmap(self(), at);
		sys_handle_close(g);
		return false;
	}
	slots[i].scratch = g;
	slots[i].lost = true;
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
		if (rep.vector == 14 && scratch_slot(rep.addr) &&
		    sys_fault_resume(self(), rep.thread_koid) == 0)
			continue;
		sys_task_exit(TASK_STATUS_FAULT(rep.vector));
	}
}

static long watcher_start(void)
{
	static _Alignas(64) uint8_t stack[W_STACK];
	static _Alignas(64) uint8_t tcb[W_TCB];
	uint64_t tp = (uint64_t)tcb, canary;
	__asm__ __volatile__("mov %%fs:0x28, %0" : "=r"(canary));
	memcpy(tcb, &tp, 8);
	memcpy(tcb + 0x28, &canary, 8); /* the stack protector's canary */
	handle_t t;
	long r = sys_thread_create(self(), "faults", 6, &t);
	if (r < 0)
		return r;
	uint64_t rsp = ((uint64_t)stack + sizeof(stack)) - 8;
	r = sys_thread_start(t, (uint64_t)watcher_main, rsp, tp);
	sys_handle_close(t);
	if (r == 0)
		r = sys_task_set_fault_handler(self(), 1);
	return r;
}

static int p_mint(void *ctx, uint64_t badge, uint32_t *h)
{
	(void)ctx;
	handle_t s;
	long r = sys_port_mint_ex(g_recv, badge, PORT_MINT_NOTIFY_CLOSED, &s);
	if (r == 0)
		*h = s;
	return (int)r;
}

static int p_send(void *ctx, uint32_t h, const char *data, uint32_t len)
{
	(void)ctx;
	struct port_msg m = {.data = data, .len = len};
	long r = sys_port_send(h, &m, DEADLINE_POLL);
	if (r == 0)
		return 0;
	return r == ERR_SHOULD_WAIT || r == ERR_TIMED_OUT ? 1 : -1;
}

static void p_close(void *ctx, uint32_t h)
{
	(void)ctx;
	sys_handle_close(h);
}

static uint64_t p_now(void *ctx)
{
	(void)ctx;
	long t = sys_clock_now();
	return t < 0 ? 0 : (uint64_t)t;
}

static const struct blit_plat plat = {
	.ident = p_ident,
	.map = p_map,
	.fits = p_fits,
	.unmap = p_unmap,
	.mint = p_mint,
	.send = p_send,
	.close = p_close,
	.now = p_now,
	.lost = p_lost,
};

static void answer(handle_t reply)
{
	if (!ans.ok) {
		cl_reply_error(reply, ans.code, ans.message);
		return;
	}
	handle_t h = ans.handle;
	if (cl_reply_ok(reply, ans.result, h ? &h : NULL, h ? 1 : 0) < 0 && h)
		sys_handle_close(
			h); /* the caller is gone; its notice follows */
}

int main(void)
{
	const struct blit_kern *k = blit_kern_pick();
	long wr = watcher_start();
	if (wr < 0) {
		printf("blitterd: fault watcher: %s\n", err_name(wr));
		return 1;
	}
	blit_init(&svc, k, &plat);
	handle_t send;
	long r = sys_port_create(0, &g_recv, &send);
	if (r < 0) {
		printf("blitterd: port_create: %s\n", err_name(r));
		return 1;
	}
	cl_err_t e = cl_register(BLIT_NAME, send);
	if (e < 0) {
		printf("blitterd: register %s: %s\n", BLIT_NAME,
		       cl_strerror(e));
		return 1;
	}
	printf("blitterd: serving %s (kernels %s, AVX2 %s)\n", BLIT_NAME,
	       k->name, blit_cpu_avx2() ? "usable" : "not usable");
	fflush(stdout);
	for (;;) {
		handle_t h[PORT_HANDLES_MAX];
		struct port_rx rx = {.buf = buf,
				     .cap = PORT_MSG_MAX,
				     .handles = h,
				     .hcap = PORT_HANDLES_MAX};
		r = sys_port_recv(g_recv, &rx, DEADLINE_NONE);
		if (r < 0) {
			printf("blitterd: receive: %s\n", err_name(r));
			return 1;
		}
		if (rx.flags & PORT_RX_CLOSED) {
			blit_session_closed(&svc, rx.badge);
			continue;
		}
		uint32_t hv[PORT_HANDLES_MAX];
		for (uint32_t i = 0; i < rx.nhandles; i++)
			hv[i] = h[i];
		if (rx.reply) {
			blit_handle_from(&svc, buf, rx.len, hv, rx.nhandles,
					 rx.badge, rx.sender, &ans);
			answer(rx.reply);
		}
		for (uint32_t i = 0; i < rx.nhandles; i++)
			if (hv[i])
				sys_handle_close(hv[i]);
	}
}
