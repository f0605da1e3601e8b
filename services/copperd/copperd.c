/* copperd: the Copper program engine (/svc/copperd, docs/graphics.md
 * "copperd"). The protocol is cop_proto.c, the programs cop_prog.c and
 * cop_run.c, the table both threads share cop_engine.c; this file is the
 * platform: ports, the name service, compositord, two threads.
 *
 * - The server thread (best effort) owns the port, sessions,
 *   subscribers and the connection to compositord (lookup, hz, the vsync
 *   stream that gives the frame phase, reconnecting with backoff). It
 *   waits on one notification: its port (BIT_PORT), the DL thread
 *   (BIT_DL: events queued or compositord gone), the vsync stream
 *   (BIT_VSYNC).
 * - The DL thread runs one job per frame: it sleeps to a quarter into
 *   the frame, runs every program (cop_eng_job), and sends ONE
 *   comp_regs_msg aimed at the next frame. It makes only system calls
 *   and touches only atomics and the engine, so nothing it does waits
 *   for the server thread. It owns its own send handle to compositord:
 *   the server hands a new one over through a mailbox (cm_new) and never
 *   closes the DL thread's handle itself, so a handle number cannot be
 *   reused under it. While compositord is away, its writes are dropped
 *   and counted and its deadlines are met all the same. */
#include <stdio.h>
#include <string.h>

#include <execrt/comp_proto.h>
#include <execrt/errors.h>
#include <execrt/runtime.h>
#include <execrt/sched.h>
#include <execrt/sys.h>

#include "cl_ports.h"
#include "cop_proto.h"

#define SVC_NAME  "/svc/copperd"
#define BIT_PORT  (1ull << 0)
#define BIT_DL	  (1ull << 1)
#define BIT_VSYNC (1ull << 2)

#define DEFAULT_HZ     60u
#define BACKOFF_MIN_NS 10000000ull   /* 10 ms */
#define BACKOFF_MAX_NS 1000000000ull /* 1 s */
#define SILENCE_NS     500000000ull  /* no vsync this long: ping */
#define COMP_CALL_NS   200000000ull  /* a call to compositord, at most */
#define DL_STACK       (32 * 1024)
#define DL_TCB	       512 /* musl's thread descriptor is read at %fs */

static struct cop_srv srv;
static handle_t g_port, g_notif;
static char rxbuf[PORT_MSG_MAX + 1];

/* ---- shared with the DL thread (atomics only) ---- */

static uint64_t g_period_ns = 1000000000ull / DEFAULT_HZ;
/* The frame phase: compositord's frame vs_frame started at vs_ns. A
 * sequence count, odd while written: the DL thread keeps its last copy
 * rather than wait for the (lower-priority) writer. */
static uint32_t vs_seq;
static uint64_t vs_frame, vs_ns;
static handle_t cm_new;	 /* server -> DL: a new send handle */
static uint32_t cm_drop; /* server -> DL: close yours */
static uint32_t cm_up;	 /* DL -> server: it holds a live handle */
static uint32_t cm_dead; /* DL -> server: a send found compositord gone */
static uint64_t n_batches, n_dropped_writes, n_dropped_batches;
static uint64_t n_frame, n_last_job_ns, n_max_job_ns;
static uint64_t n_max_late_ns, n_late_jobs; /* started > 1 ms after wake */

#define LD(p)	  __atomic_load_n(p, __ATOMIC_ACQUIRE)
#define ST(p, v)  __atomic_store_n(p, v, __ATOMIC_RELEASE)
#define ADD(p, v) __atomic_fetch_add(p, v, __ATOMIC_RELAXED)

/* ---- the DL thread ---- */

static _Alignas(16) uint8_t dl_msg[PORT_MSG_MAX];

static uint64_t now_ns(void)
{
	long t = sys_clock_now();
	return t < 0 ? 0 : (uint64_t)t;
}

/* Takes the server's mailbox; the handle to send on (0: none). */
static handle_t dl_comp(handle_t h)
{
	if (LD(&cm_drop)) {
		if (h)
			sys_handle_close(h);
		h = 0;
		ST(&cm_up, 0);
		ST(&cm_drop, 0);
	}
	handle_t n = __atomic_exchange_n(&cm_new, 0, __ATOMIC_ACQ_REL);
	if (n) {
		if (h)
			sys_handle_close(h);
		h = n;
		ST(&cm_up, 1);
	}
	return h;
}

__attribute__((no_stack_protector, noreturn)) static void dl_main(uint64_t tp)
{
	sys_thread_set_tls(tp);
	struct comp_regs_msg *m = (struct comp_regs_msg *)dl_msg;
	handle_t comp = 0;
	uint64_t frame = 0, seen_seq = 0, ph_frame = 0, ph_ns = now_ns();
	uint64_t last = 0;
	for (;;) {
		uint64_t p = LD(&g_period_ns);
		uint32_t s1 = LD(&vs_seq);
		if (!(s1 & 1) && s1 != seen_seq) {
			uint64_t f =
				__atomic_load_n(&vs_frame, __ATOMIC_RELAXED);
			uint64_t t = __atomic_load_n(&vs_ns, __ATOMIC_RELAXED);
			__atomic_thread_fence(__ATOMIC_ACQUIRE);
			if (__atomic_load_n(&vs_seq, __ATOMIC_RELAXED) == s1) {
				ph_frame = f;
				ph_ns = t;
				seen_seq = s1;
			}
		}
		/* Sleep to a quarter into compositord's next frame (or our
		 * own clock's), so the batch is there long before the latch
		 * it is aimed at, whatever the jitter either side. */
		uint64_t t = now_ns(), cur = ph_frame;
		if (t > ph_ns)
			cur += (t - ph_ns) / p;
		uint64_t wake = ph_ns + (cur - ph_frame) * p + p / 4;
		if (wake <= t || wake - t < p / 8)
			wake += p, cur++;
		if (wake > t + 2 * p) /* a phase from the future: not trusted */
			wake = t + p;
		sys_sleep_until(wake);
		uint64_t start = now_ns();
		if (start - wake >
		    __atomic_load_n(&n_max_late_ns, __ATOMIC_RELAXED))
			__atomic_store_n(&n_max_late_ns, start - wake,
					 __ATOMIC_RELAXED);
		if (start - wake > 1000000)
			ADD(&n_late_jobs, 1);
		/* The programs' frame counter: one per frame elapsed. */
		uint64_t step = last ? (wake - last + p / 2) / p : 1;
		frame += step ? step : 1;
		last = wake;
		comp = dl_comp(comp);
		uint32_t n = cop_eng_job(&srv.eng, frame, p, start / 1000, m->w,
					 COMP_REGS_MAX);
		if (n) {
			m->magic = COMP_REGS_MAGIC;
			m->count = n;
			m->frame = cur + 1; /* the next latch */
			struct port_msg pm = {
				.data = m,
				.len = (uint32_t)COMP_REGS_MSG_SIZE(n)};
			/* A full queue (an IPC flood at compositord) is waited
			 * out for up to a quarter frame: once queued, a DL
			 * sender's message goes ahead of the flood. */
			long r = comp ? sys_port_send(comp, &pm, start + p / 4)
				      : ERR_PEER_CLOSED;
			if (r == 0) {
				ADD(&n_batches, 1);
			} else {
				ADD(&n_dropped_writes, n);
				ADD(&n_dropped_batches, 1);
				if (comp && r != ERR_TIMED_OUT &&
				    r != ERR_SHOULD_WAIT) {
					sys_handle_close(comp);
					comp = 0;
					ST(&cm_up, 0);
					ST(&cm_dead, 1);
					sys_notif_signal(g_notif, BIT_DL);
				}
			}
		}
		if (LD(&srv.eng.ev_head) != LD(&srv.eng.ev_tail))
			sys_notif_signal(g_notif, BIT_DL);
		uint64_t d = now_ns() - start;
		__atomic_store_n(&n_last_job_ns, d, __ATOMIC_RELAXED);
		if (d > __atomic_load_n(&n_max_job_ns, __ATOMIC_RELAXED))
			__atomic_store_n(&n_max_job_ns, d, __ATOMIC_RELAXED);
		__atomic_store_n(&n_frame, frame, __ATOMIC_RELAXED);
	}
}

static handle_t dl_thread;
static uint64_t dl_koid;
static const char *dl_class = "be";

/* DL: released a quarter into the frame, due at 0.95 of it (before the
 * next latch), a budget of 9% of that: 1.05 ms at 60 Hz for a job of a
 * few microseconds. The margin absorbs dispatches stretched by the
 * emulator (docs/graphics.md "copperd"); the density stays within the
 * manifest's `bw 10%`. */
static void dl_params(struct sched_params *dl, uint64_t period)
{
	memset(dl, 0, sizeof(*dl));
	dl->cls = SCHED_CLASS_DL;
	dl->deadline_ns = period * 7 / 10;
	dl->runtime_ns = period * 7 / 10 * 9 / 100;
	dl->period_ns = period;
	dl->cpu = SCHED_CPU_KEEP;
}

static long dl_start(void)
{
	static _Alignas(64) uint8_t stack[DL_STACK];
	static _Alignas(64) uint8_t tcb[DL_TCB];
	/* No page fault on its budget: touch what it writes. */
	memset(stack, 0, sizeof(stack));
	memset(dl_msg, 0, sizeof(dl_msg));
	uint64_t tp = (uint64_t)tcb, canary;
	__asm__ __volatile__("mov %%fs:0x28, %0" : "=r"(canary));
	memcpy(tcb, &tp, 8);
	memcpy(tcb + 0x28, &canary, 8); /* the stack protector's canary */
	long r = sys_thread_create(execrt_handle(START_H_SELF_TASK),
				   "copper-dl", 9, &dl_thread);
	if (r < 0)
		return r;
	struct handle_info hi;
	if (sys_handle_info(dl_thread, &hi) == 0)
		dl_koid = hi.koid;
	handle_t auth = execrt_handle(START_H_SCHED);
	struct sched_params dl, rt = {.cls = SCHED_CLASS_RT,
				      .priority = 20,
				      .cpu = SCHED_CPU_KEEP};
	dl_params(&dl, g_period_ns);
	if (auth && sys_sched_set(auth, dl_thread, &dl) == 0)
		dl_class = "dl";
	else if (auth && sys_sched_set(auth, dl_thread, &rt) == 0)
		dl_class = "rt";
	uint64_t rsp = ((uint64_t)stack + sizeof(stack)) - 8;
	return sys_thread_start(dl_thread, (uint64_t)dl_main, rsp, tp);
}

/* ---- compositord ---- */

static struct cl_conn comp;
static struct cl_stream vs;
static bool comp_on, vs_on;
static uint64_t comp_retry_at, comp_backoff = BACKOFF_MIN_NS;
static uint64_t last_vsync_ns, n_reconnects, n_connects;
static uint32_t comp_hz = DEFAULT_HZ;
static struct cl_resp cresp;
static struct cl_event cev;

static void backoff(uint64_t t)
{
	comp_retry_at = t + comp_backoff;
	comp_backoff = comp_backoff * 2 > BACKOFF_MAX_NS ? BACKOFF_MAX_NS
							 : comp_backoff * 2;
}

static void comp_down(uint64_t t)
{
	if (vs_on)
		cl_stream_close(&vs);
	if (comp_on)
		cl_close(&comp);
	vs_on = comp_on = false;
	handle_t untaken = __atomic_exchange_n(&cm_new, 0, __ATOMIC_ACQ_REL);
	if (untaken)
		sys_handle_close(untaken);
	if (LD(&cm_up))
		ST(&cm_drop, 1);
	backoff(t);
}

static void set_period(uint32_t hz)
{
	if (hz < 1 || hz > 1000)
		hz = DEFAULT_HZ;
	comp_hz = hz;
	uint64_t p = 1000000000ull / hz;
	if (p == LD(&g_period_ns))
		return;
	ST(&g_period_ns, p);
	struct sched_params dl;
	dl_params(&dl, p);
	if (!strcmp(dl_class, "dl"))
		sys_sched_set(execrt_handle(START_H_SCHED), dl_thread, &dl);
}

static void comp_up(uint64_t t)
{
	comp_retry_at = 0;
	if (cl_connect(COMP_SVC_NAME, DEADLINE_POLL, &comp) < 0) {
		backoff(t); /* not there (yet): 10 ms, 20 ms, ... 1 s */
		return;
	}
	comp_on = true;
	int64_t hz = DEFAULT_HZ;
	cl_err_t e = cl_request_ex(&comp, "{\"cmd\":\"status\"}", NULL, 0,
				   now_ns() + COMP_CALL_NS, &cresp);
	if (e == CL_ERR_CONN || e == CL_ERR_TIMEOUT) {
		cl_resp_close(&cresp);
		comp_down(t); /* the name still names a dead one */
		return;
	}
	if (e == CL_OK && cl_resp_int(&cresp, "hz", &hz) < 0)
		hz = DEFAULT_HZ;
	cl_resp_close(&cresp);
	set_period((uint32_t)hz);
	static const char *const evs[] = {"vsync"};
	if (cl_subscribe(&comp, evs, 1, &vs) == CL_OK &&
	    sys_port_bind_notif(vs.recv, g_notif, BIT_VSYNC) == 0)
		vs_on = true;
	handle_t dup;
	if (sys_handle_dup(comp.send, RIGHT_SAME, &dup) < 0) {
		comp_down(t);
		return;
	}
	/* A handle the DL thread never took is ours to close. */
	handle_t old = __atomic_exchange_n(&cm_new, dup, __ATOMIC_ACQ_REL);
	if (old)
		sys_handle_close(old);
	ST(&cm_drop, 0);
	if (n_connects++)
		n_reconnects++;
	comp_backoff = BACKOFF_MIN_NS;
	last_vsync_ns = now_ns();
	printf("copperd: compositord connected (%u Hz)\n", comp_hz);
	fflush(stdout);
}

static void vsync_drain(void)
{
	while (vs_on) {
		cl_err_t e = cl_next_event(&vs, DEADLINE_POLL, &cev);
		if (e == CL_ERR_TIMEOUT)
			return;
		int64_t usec, frame;
		if (e == CL_OK && !strcmp(cev.name, "vsync") &&
		    cl_event_int(&cev, "usec", &usec) == 0 &&
		    cl_event_int(&cev, "frame", &frame) == 0 && usec >= 0 &&
		    frame >= 0) {
			uint32_t s = __atomic_load_n(&vs_seq, __ATOMIC_RELAXED);
			__atomic_store_n(&vs_seq, s + 1, __ATOMIC_RELAXED);
			__atomic_thread_fence(__ATOMIC_RELEASE);
			__atomic_store_n(&vs_frame, (uint64_t)frame,
					 __ATOMIC_RELAXED);
			__atomic_store_n(&vs_ns, (uint64_t)usec * 1000,
					 __ATOMIC_RELAXED);
			ST(&vs_seq, s + 2);
			last_vsync_ns = now_ns();
		}
		if (e == CL_OK || e == CL_ERR_PROTO)
			cl_event_close(&cev);
		if (e != CL_OK && e != CL_ERR_PROTO)
			return;
	}
}

/* Keeps the connection: up when it can be, down when it died. */
static void comp_tend(void)
{
	uint64_t t = now_ns();
	if (__atomic_exchange_n(&cm_dead, 0, __ATOMIC_ACQ_REL) && comp_on) {
		comp_down(t); /* the DL thread saw it die */
		return;
	}
	if (!comp_on && t >= comp_retry_at) {
		comp_up(t);
		return;
	}
	if (comp_on && t - last_vsync_ns > SILENCE_NS) {
		/* No frame for a while: is it still there? */
		cl_err_t e = cl_request_ex(&comp, "{\"cmd\":\"ping\"}", NULL, 0,
					   t + COMP_CALL_NS, &cresp);
		cl_resp_close(&cresp);
		if (e == CL_ERR_CONN || e == CL_ERR_TIMEOUT)
			comp_down(t);
		else
			last_vsync_ns = t;
	}
}

/* ---- the platform for cop_proto ---- */

/* The badges of live sessions (minted, no notice yet): a request on any
 * other session badge came after its session's end (serve_one). */
static uint64_t live[COP_MAX_SESSIONS];

static bool session_live(uint64_t badge)
{
	for (unsigned i = 0; badge && i < COP_MAX_SESSIONS; i++)
		if (live[i] == badge)
			return true;
	return !badge;
}

static int p_mint(void *ctx, uint64_t badge, uint32_t *h)
{
	(void)ctx;
	unsigned i = 0;
	while (i < COP_MAX_SESSIONS && live[i])
		i++;
	if (i == COP_MAX_SESSIONS)
		return ERR_NO_RESOURCES;
	handle_t s;
	long r = sys_port_mint_ex(g_port, badge, PORT_MINT_NOTIFY_CLOSED, &s);
	if (r < 0)
		return (int)r;
	live[i] = badge;
	*h = s;
	return 0;
}

static void p_close(void *ctx, uint32_t h)
{
	(void)ctx;
	sys_handle_close(h);
}

static int p_send(void *ctx, uint32_t h, const char *js, uint32_t len)
{
	(void)ctx;
	struct port_msg m = {.data = js, .len = len};
	long r = sys_port_send(h, &m, DEADLINE_POLL);
	return r == 0		      ? COP_SEND_OK
	       : r == ERR_SHOULD_WAIT ? COP_SEND_FULL
				      : COP_SEND_GONE;
}

static int p_read_vmo(void *ctx, uint32_t h, void *buf, uint64_t len)
{
	(void)ctx;
	uint64_t size;
	if (sys_vmo_get_size(h, &size) < 0 || size < len)
		return -1;
	return sys_vmo_read(h, buf, 0, len) < 0 ? -1 : 0;
}

static void p_live(void *ctx, struct cop_live *o)
{
	(void)ctx;
	o->sched = dl_class;
	o->period_ns = LD(&g_period_ns);
	o->hz = comp_hz;
	o->frame = __atomic_load_n(&n_frame, __ATOMIC_RELAXED);
	o->batches = __atomic_load_n(&n_batches, __ATOMIC_RELAXED);
	o->dropped_writes =
		__atomic_load_n(&n_dropped_writes, __ATOMIC_RELAXED);
	o->dropped_batches =
		__atomic_load_n(&n_dropped_batches, __ATOMIC_RELAXED);
	o->reconnects = n_reconnects;
	o->comp_connected = comp_on && LD(&cm_up);
	o->last_job_ns = __atomic_load_n(&n_last_job_ns, __ATOMIC_RELAXED);
	o->max_job_ns = __atomic_load_n(&n_max_job_ns, __ATOMIC_RELAXED);
	o->max_late_ns = __atomic_load_n(&n_max_late_ns, __ATOMIC_RELAXED);
	o->late_jobs = __atomic_load_n(&n_late_jobs, __ATOMIC_RELAXED);
	/* The kernel's judgement of the DL thread's jobs. */
	handle_t tel = execrt_handle(START_H_TELEMETRY);
	struct sched_thread_stats st;
	if (tel && dl_koid && sys_sched_stats(tel, dl_koid - 1, &st, 1) == 1 &&
	    st.koid == dl_koid) {
		o->dl_met = st.dl_met;
		o->dl_missed = st.dl_missed;
	}
	o->late_writes = -1;
	if (comp_on) {
		int64_t lw;
		cl_err_t e = cl_request_ex(&comp, "{\"cmd\":\"status\"}", NULL,
					   0, now_ns() + COMP_CALL_NS, &cresp);
		if (e == CL_OK && cl_resp_int(&cresp, "late_writes", &lw) == 0)
			o->late_writes = lw;
		cl_resp_close(&cresp);
	}
}

static const struct cop_plat plat = {
	.mint = p_mint,
	.close = p_close,
	.send = p_send,
	.read_vmo = p_read_vmo,
	.live = p_live,
};

/* ---- the server thread ---- */

static struct cop_reply rep;

static void serve_one(struct port_rx *rx, handle_t *h)
{
	if (rx->flags & PORT_RX_CLOSED) {
		for (unsigned i = 0; rx->badge && i < COP_MAX_SESSIONS; i++)
			if (live[i] == rx->badge)
				live[i] = 0;
		cop_srv_session_gone(&srv, rx->badge);
		return;
	}
	if (!rx->reply)
		return; /* not a call: nobody to answer */
	/* The notice goes ahead of messages queued before it (docs/ipc.md):
	 * a call of a session that has ended may come after its end, and a
	 * program or subscription it made would be owned by nobody. */
	if (!session_live(rx->badge)) {
		cl_reply_error(rx->reply, "NOT_FOUND", "the session has ended");
		return;
	}
	uint32_t hv[PORT_HANDLES_MAX];
	for (uint32_t i = 0; i < rx->nhandles; i++)
		hv[i] = h[i];
	cop_srv_request(&srv, rx->badge, rxbuf, rx->len, hv, rx->nhandles,
			&rep);
	for (uint32_t i = 0; i < rx->nhandles; i++)
		h[i] = hv[i]; /* 0 where taken */
	if (!rep.ok) {
		cl_reply_error(rx->reply, rep.code, rep.message);
		return;
	}
	handle_t out = rep.handle;
	if (cl_reply_ok(rx->reply, rep.result, out ? &out : NULL, out ? 1 : 0) <
		    0 &&
	    out)
		sys_handle_close(out);
}

static void serve(void)
{
	for (;;) {
		handle_t h[PORT_HANDLES_MAX];
		struct port_rx rx = {.buf = rxbuf,
				     .cap = PORT_MSG_MAX,
				     .handles = h,
				     .hcap = PORT_HANDLES_MAX};
		long r = sys_port_recv(g_port, &rx, DEADLINE_POLL);
		if (r < 0)
			return;
		serve_one(&rx, h);
		for (uint32_t i = 0; i < rx.nhandles; i++)
			if (h[i])
				sys_handle_close(h[i]);
	}
}

int main(void)
{
	handle_t send;
	long r = sys_notif_create(&g_notif);
	if (r == 0)
		r = sys_port_create(0, &g_port, &send);
	if (r == 0)
		r = sys_port_bind_notif(g_port, g_notif, BIT_PORT);
	if (r < 0) {
		printf("copperd: start: %s\n", err_name(r));
		return 1;
	}
	cop_srv_init(&srv, &plat);
	r = dl_start();
	if (r < 0) {
		printf("copperd: DL thread: %s\n", err_name(r));
		return 1;
	}
	cl_err_t e = cl_register(SVC_NAME, send);
	if (e < 0) {
		printf("copperd: register %s: %s\n", SVC_NAME, cl_strerror(e));
		return 1;
	}
	printf("copperd: serving %s (frame thread %s)\n", SVC_NAME, dl_class);
	fflush(stdout);
	for (;;) {
		comp_tend();
		uint64_t dl = comp_on ? last_vsync_ns + SILENCE_NS + 1
				      : comp_retry_at;
		uint64_t bits = 0;
		r = sys_notif_wait(g_notif, BIT_PORT | BIT_DL | BIT_VSYNC, dl,
				   &bits);
		if (r < 0 && r != ERR_TIMED_OUT) {
			printf("copperd: wait: %s\n", err_name(r));
			return 1;
		}
		if (bits & BIT_VSYNC)
			vsync_drain();
		if (bits & BIT_PORT)
			serve();
		cop_srv_poll(&srv);
	}
}
