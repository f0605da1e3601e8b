/* blitterd: 2D operations on shared surfaces (/svc/blitterd,
 * docs/graphics.md "blitterd"). The protocol and the pixels are
 * blit_proto.c, blit_ops.c and the kernels; this file is the platform:
 * one port (the public endpoint plus minted session endpoints), grants
 * mapped into this task, events sent without blocking. One thread serves:
 * a job runs inside the call that asks for it (BE class: bulk work that
 * must not hold up the frame-timed services). A second thread, the
 * watcher of libs/grantguard, only handles this task's own faults (a
 * revoked grant, see below).
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
#include "grantguard/grantguard.h"

#define SLOT_BASE 0x400000000000ull
#define SLOT_SIZE (1ull << 37)

/* The grant slots, guarded against a client's revoke (REVIEW-15 #1,
 * libs/grantguard): a page fault inside a slot's extent (the bytes the
 * largest surface on it needs) gets scratch memory in its place; the job
 * then ends with an error and the grant's surfaces are unbound
 * (p_lost). The main thread is suspended while the watcher does this, so
 * the table is never touched by both at once. */
static struct gg_slot gslots[BLIT_MAX_MEMS];
static struct gg guard = {.base = SLOT_BASE,
			  .window = 1ull << 20, /* 1 MiB of scratch */
			  .size = SLOT_SIZE,
			  .n = BLIT_MAX_MEMS,
			  .slot = gslots};
static bool used[BLIT_MAX_MEMS];

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
	uint32_t i = 0;
	while (i < BLIT_MAX_MEMS && used[i])
		i++;
	if (i == BLIT_MAX_MEMS)
		return ERR_NO_RESOURCES;
	uint64_t hint = gg_addr(&guard, i), at = 0;
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
	used[i] = true;
	gg_use(&guard, i, 0, prot);
	*base = (uint8_t *)at;
	*writable = prot & VM_PROT_WRITE;
	return 0;
}

static int slot_of(const uint8_t *base)
{
	int i = gg_slot_of(&guard, (uint64_t)base);
	return i >= 0 && used[i] && (uint64_t)base == gg_addr(&guard, i) ? i
									 : -1;
}

static bool p_fits(void *ctx, uint8_t *base, uint64_t bytes)
{
	(void)ctx;
	int i = slot_of(base);
	if (i < 0)
		return false;
	uint64_t need = (bytes + PAGE_SIZE_USER - 1) & ~(PAGE_SIZE_USER - 1);
	if (need > SLOT_SIZE / 2)
		return false;
	/* Inside the grant: 0 (a one-page grant, unchanged) or
	 * INVALID_ARGS (it would cut the grant mapping). */
	long r = sys_vm_protect(self(), (uint64_t)base + need - PAGE_SIZE_USER,
				PAGE_SIZE_USER, gslots[i].prot);
	if (r != 0 && r != ERR_INVALID_ARGS)
		return false;
	gg_extent(&guard, (uint32_t)i, need); /* what a revoke must cover */
	return true;
}

static void p_unmap(void *ctx, uint8_t *base)
{
	(void)ctx;
	int i = slot_of(base);
	if (i < 0)
		return;
	gg_release(&guard, (uint32_t)i);
	used[i] = false;
}

static bool p_lost(void *ctx, uint8_t *base)
{
	(void)ctx;
	int i = slot_of(base);
	return i >= 0 && gg_lost(&guard, (uint32_t)i);
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

/* Asked (START_H_SYSINFO, READ; manifest `sysinfo`) only when the
 * surfaces, mappings or subscribers are full, or a public subscriber's
 * event is lost: the first live task from koid on.
 * Without the handle nothing is known to have ended. */
static bool p_task_gone(void *ctx, uint64_t koid)
{
	(void)ctx;
	return execrt_task_ended(koid);
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
	.task_gone = p_task_gone,
};

/* Badge 0 is the public endpoint; a session's is live until its
 * no-senders notice. */
static bool session_live(const struct blit_svc *s, uint64_t badge)
{
	for (int i = 0; badge && i < BLIT_MAX_SESSIONS; i++)
		if (s->sessions[i] == badge)
			return true;
	return !badge;
}

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
	long wr = gg_start(&guard, HANDLE_INVALID, NULL); /* BE: as blitterd */
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
		/* The notice goes ahead of messages queued before it
		 * (docs/ipc.md): a request of a session that has ended may
		 * come after its end, and a surface or subscription it made
		 * would be owned by nobody and never freed. */
		if (rx.reply && !session_live(&svc, rx.badge)) {
			cl_reply_error(rx.reply, "NOT_FOUND",
				       "the session has ended");
		} else if (rx.reply) {
			blit_handle_from(&svc, buf, rx.len, hv, rx.nhandles,
					 rx.badge, rx.sender, &ans);
			answer(rx.reply);
		}
		for (uint32_t i = 0; i < rx.nhandles; i++)
			if (hv[i])
				sys_handle_close(hv[i]);
	}
}
