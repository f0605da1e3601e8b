/* The platform half of a display driver (disp_main.h).
 *
 * Two threads. The server thread owns every piece of state: it waits on
 * one notification for its port (bit DISP_BIT_PORT, bound with
 * SYS_PORT_BIND_NOTIF), the frame clock's ticks (DISP_BIT_TICK) and,
 * inside a present, the device's interrupts (the backend waits on those
 * bits alone, so requests and ticks stay pending meanwhile). The frame
 * clock thread only sleeps to each tick, publishes (frame, time) through
 * two atomics and signals the tick bit: it runs in the deadline class
 * when the driver was given an authority for it (virtio-gpu has no
 * vsync), else real-time, else best effort, and says so in `status`. */
#include "disp_main.h"

#include <stdio.h>
#include <string.h>

#include <execrt/errors.h>
#include <execrt/rights.h>
#include <execrt/runtime.h>
#include <execrt/sched.h>

#include "cl_ports.h"

#define PAGE 4096ull

static handle_t g_notif, g_port;
static const struct disp_ops *g_dev;
static void *g_dev_ctx;

/* The frame clock: frame n's tick is at clk_base + (n - clk_fbase) *
 * clk_period. Set by the server thread (at start and on a mode change),
 * read by the clock thread, which only wakes the server at each tick. */
static uint64_t clk_base, clk_fbase, clk_period;

handle_t disp_notif(void)
{
	return g_notif;
}

handle_t disp_self(void)
{
	return execrt_handle(START_H_SELF_TASK);
}

/* ---- buffers ---- */

/* Maps chunk v at `at` (0: anywhere); ERR_NO_RESOURCES when the place
 * asked for was taken. */
static long map_at(handle_t v, uint64_t len, uint64_t at, uint64_t *got)
{
	struct vm_map_req q = {
		.addr = at, .len = len, .prot = VM_PROT_READ | VM_PROT_WRITE};
	long r = sys_vm_map(disp_self(), v, &q, got);
	if (r == 0 && at && *got != at) {
		sys_vm_unmap(disp_self(), *got, len);
		r = ERR_NO_RESOURCES;
	}
	return r;
}

int disp_mem_alloc(handle_t dma_auth, const struct disp_buffers *b,
		   struct disp_mem *m, uint32_t *client)
{
	memset(m, 0, sizeof(*m));
	memset(client, 0, DISP_HANDLES_OUT * sizeof(*client));
	m->size = b->size;
	long r = 0;
	/* Chunk 0 of a buffer goes anywhere, the next ones right after it
	 * (nothing is reserved first: that would charge the quota). */
	for (uint32_t i = 0; i < b->count; i++)
		for (uint32_t k = 0; k < b->nchunks; k++) {
			uint64_t off = k * b->chunk_size;
			uint64_t len = b->size - off < b->chunk_size
					       ? b->size - off
					       : b->chunk_size;
			uint32_t n = m->nvmo;
			handle_t v;
			r = dma_auth ? sys_vmo_create_dma(dma_auth, len, &v)
				     : sys_vmo_create(len, &v);
			if (r < 0)
				goto fail;
			m->vmo[n] = v;
			m->chunk_len[n] = len;
			m->nvmo++;
			if (dma_auth && (r = sys_vmo_phys(v, &m->phys[n])) < 0)
				goto fail;
			uint64_t at = k ? (uint64_t)m->va[i] + off : 0, got;
			if ((r = map_at(v, len, at, &got)) < 0)
				goto fail;
			m->map[n] = got;
			if (!k)
				m->va[i] = (uint8_t *)got;
			r = sys_grant_create(disp_self(), got, len,
					     VM_PROT_READ | VM_PROT_WRITE,
					     &m->grant[n]);
			if (r < 0)
				goto fail;
			r = sys_handle_dup(m->grant[n],
					   RIGHT_READ | RIGHT_WRITE |
						   RIGHT_MAP | RIGHT_TRANSFER |
						   RIGHT_DUPLICATE,
					   &client[n]);
			if (r < 0)
				goto fail;
		}
	return 0;
fail:
	printf("display: buffer chunk %u (%llu bytes%s): %s\n", m->nvmo,
	       (unsigned long long)b->chunk_size, dma_auth ? ", DMA" : "",
	       err_name(r));
	for (uint32_t n = 0; n < DISP_HANDLES_OUT; n++)
		if (client[n])
			sys_handle_close(client[n]);
	disp_mem_free(m);
	return (int)r;
}

void disp_mem_free(struct disp_mem *m)
{
	for (uint32_t n = 0; n < m->nvmo; n++) {
		if (m->grant[n]) {
			sys_grant_revoke(m->grant[n]);
			sys_handle_close(m->grant[n]);
		}
		if (m->map[n])
			sys_vm_unmap(disp_self(), m->map[n], m->chunk_len[n]);
		sys_handle_close(m->vmo[n]);
	}
	memset(m, 0, sizeof(*m));
}

/* ---- the frame clock thread ---- */

#define CLOCK_STACK (16 * 1024)
#define CLOCK_TCB   512 /* musl's thread descriptor is read at %fs */

/* Only system calls and atomics: no libc, so no TLS beyond the TCB. */
__attribute__((no_stack_protector, noreturn)) static void
clock_main(uint64_t tp)
{
	sys_thread_set_tls(tp);
	for (;;) {
		uint64_t base = __atomic_load_n(&clk_base, __ATOMIC_ACQUIRE);
		uint64_t p = __atomic_load_n(&clk_period, __ATOMIC_ACQUIRE);
		uint64_t now = (uint64_t)sys_clock_now();
		uint64_t next = base + ((now - base) / p + 1) * p;
		sys_sleep_until(next);
		sys_notif_signal(g_notif, 1ull << DISP_BIT_TICK);
	}
}

static int clock_start(struct disp_core *c)
{
	static _Alignas(64) uint8_t stack[CLOCK_STACK];
	static _Alignas(64) uint8_t tcb[CLOCK_TCB];
	/* Touch the stack now: a page fault in the clock thread would be
	 * served on its tiny DL budget. */
	memset(stack, 0, sizeof(stack));
	uint64_t tp = (uint64_t)tcb, canary;
	__asm__ __volatile__("mov %%fs:0x28, %0" : "=r"(canary));
	memcpy(tcb, &tp, 8);
	memcpy(tcb + 0x28, &canary, 8);
	clk_period = c->period_ns;
	clk_base = (uint64_t)sys_clock_now();
	clk_fbase = 0;
	handle_t t;
	long r = sys_thread_create(disp_self(), "frame-clock", 11, &t);
	if (r < 0)
		return (int)r;
	handle_t auth = execrt_handle(START_H_SCHED);
	/* DL: a 100 us job each period, due within 4 ms of its tick. */
	struct sched_params dl = {.cls = SCHED_CLASS_DL,
				  .runtime_ns = 100000,
				  .deadline_ns = 4000000,
				  .period_ns = c->period_ns,
				  .cpu = SCHED_CPU_KEEP};
	struct sched_params rt = {
		.cls = SCHED_CLASS_RT, .priority = 20, .cpu = SCHED_CPU_KEEP};
	if (auth && sys_sched_set(auth, t, &dl) == 0)
		strcpy(c->clock, "dl");
	else if (auth && sys_sched_set(auth, t, &rt) == 0)
		strcpy(c->clock, "rt");
	else
		strcpy(c->clock, "be");
	/* As after a call: rsp + 8 is 16-byte aligned at entry. */
	uint64_t rsp = ((uint64_t)stack + sizeof(stack)) - 8;
	r = sys_thread_start(t, (uint64_t)clock_main, rsp, tp);
	sys_handle_close(t);
	return (int)r;
}

/* ---- the server ---- */

static void p_answer(void *ctx, uint32_t reply, const void *data, uint32_t len,
		     const uint32_t *h, uint32_t nh)
{
	(void)ctx;
	handle_t hs[DISP_HANDLES_OUT];
	for (uint32_t i = 0; i < nh; i++)
		hs[i] = h[i];
	struct port_msg m = {
		.data = data, .len = len, .nhandles = nh, .handles = hs};
	long r = sys_port_reply(reply, &m);
	if (r < 0) {
		for (uint32_t i = 0; i < nh; i++)
			sys_handle_close(hs[i]);
		if (r != ERR_PEER_CLOSED)
			sys_handle_close(reply);
	}
}

static int p_mint(void *ctx, uint64_t badge, uint32_t *out)
{
	(void)ctx;
	handle_t h;
	long r = sys_port_mint_ex(g_port, badge, PORT_MINT_NOTIFY_CLOSED, &h);
	if (r == 0)
		*out = h;
	return (int)r;
}

static void p_close(void *ctx, uint32_t h)
{
	(void)ctx;
	sys_handle_close(h);
}

static uint64_t p_now(void *ctx)
{
	(void)ctx;
	return (uint64_t)sys_clock_now();
}

static int d_set_mode(void *ctx, uint32_t o, const struct disp_mode *m)
{
	(void)ctx;
	return g_dev->set_mode ? g_dev->set_mode(g_dev_ctx, o, m)
			       : ERR_NOT_SUPPORTED;
}

static int d_buffers_new(void *ctx, uint32_t o, const struct disp_buffers *b,
			 uint32_t *grants)
{
	(void)ctx;
	return g_dev->buffers_new(g_dev_ctx, o, b, grants);
}

static void d_buffers_free(void *ctx, uint32_t o)
{
	(void)ctx;
	g_dev->buffers_free(g_dev_ctx, o);
}

static int d_present(void *ctx, uint32_t o, uint32_t buf,
		     const struct disp_rect *r, uint32_t n)
{
	(void)ctx;
	return g_dev->present(g_dev_ctx, o, buf, r, n);
}

static const struct disp_ops plat_ops = {
	.answer = p_answer,
	.mint = p_mint,
	.close = p_close,
	.set_mode = d_set_mode,
	.buffers_new = d_buffers_new,
	.buffers_free = d_buffers_free,
	.present = d_present,
	.now = p_now,
};

int disp_init(void)
{
	return g_notif ? 0 : (int)sys_notif_create(&g_notif);
}

static uint64_t tick_ns(uint64_t frame)
{
	return clk_base + (frame - clk_fbase) * clk_period;
}

/* Frames follow the time (the clock thread may be held back, e.g. a DL
 * budget paying back an overrun): the frame is the last tick passed. A
 * new period (mode change) starts from the current frame. */
static void sync_clock(struct disp_core *c)
{
	uint64_t now = (uint64_t)sys_clock_now();
	uint64_t f = clk_fbase + (now - clk_base) / clk_period;
	if (f != c->frame)
		disp_core_tick(c, f, tick_ns(f));
	if (c->period_ns != clk_period) {
		__atomic_store_n(&clk_base, tick_ns(f), __ATOMIC_RELEASE);
		clk_fbase = f;
		__atomic_store_n(&clk_period, c->period_ns, __ATOMIC_RELEASE);
	}
}

int disp_run(struct disp_core *c, const struct disp_ops *dev, void *ctx)
{
	static _Alignas(8) uint8_t buf[PORT_MSG_MAX];
	g_dev = dev;
	g_dev_ctx = ctx;
	c->ops = &plat_ops;
	c->ctx = NULL;
	handle_t send, hs[PORT_HANDLES_MAX];
	long r = disp_init();
	if (r == 0)
		r = sys_port_create(0, &g_port, &send);
	if (r == 0)
		r = sys_port_bind_notif(g_port, g_notif, 1ull << DISP_BIT_PORT);
	if (r == 0)
		r = clock_start(c);
	if (r < 0) {
		printf("%s: start: %s\n", c->driver, err_name(r));
		return (int)r;
	}
	cl_err_t e = cl_register(DISP_SVC_NAME, send);
	if (e < 0) {
		printf("%s: register %s: %s\n", c->driver, DISP_SVC_NAME,
		       cl_strerror(e));
		return ERR_NOT_FOUND;
	}
	const struct disp_mode *m = &c->out[0].modes[c->out[0].info.cur_mode];
	printf("%s: serving %s on %s: %ux%u@%u.%03u Hz, %u mode(s), frame "
	       "clock %s\n",
	       c->driver, DISP_SVC_NAME, c->device, m->width, m->height,
	       m->refresh_mhz / 1000, m->refresh_mhz % 1000,
	       c->out[0].info.nmodes, c->clock);
	uint64_t mask = 1ull << DISP_BIT_PORT | 1ull << DISP_BIT_TICK;
	for (;;) {
		uint64_t bits = 0;
		/* Waiters are answered at their tick even if the clock thread
		 * is late (then counted). */
		uint64_t dl = disp_core_waiting(c)
				      ? tick_ns(c->frame + 1) + c->period_ns / 4
				      : DEADLINE_NONE;
		r = sys_notif_wait(g_notif, mask, dl, &bits);
		if (r == ERR_TIMED_OUT) {
			c->st.late_ticks++;
			r = 0;
		}
		if (r < 0) {
			printf("%s: wait: %s\n", c->driver, err_name(r));
			return (int)r;
		}
		sync_clock(c);
		for (;;) {
			struct port_rx rx = {.buf = buf,
					     .cap = sizeof(buf),
					     .handles = hs,
					     .hcap = PORT_HANDLES_MAX};
			r = sys_port_recv(g_port, &rx, DEADLINE_POLL);
			if (r == ERR_SHOULD_WAIT)
				break;
			if (r < 0) {
				printf("%s: receive: %s\n", c->driver,
				       err_name(r));
				return (int)r;
			}
			if (rx.flags & PORT_RX_CLOSED) {
				disp_core_notice(c, rx.badge);
				continue;
			}
			if (rx.reply)
				disp_core_request_from(c, rx.badge, rx.sender,
						       buf, rx.len, rx.nhandles,
						       rx.reply);
			for (uint32_t i = 0; i < rx.nhandles; i++)
				sys_handle_close(hs[i]);
			sync_clock(c); /* a present may have taken a while */
		}
	}
}
