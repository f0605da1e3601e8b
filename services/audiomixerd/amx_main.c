/* audiomixerd (/svc/audiomixerd, docs/audio.md): the ports/v0 service
 * (amx_proto.c) on one thread, the period thread on another. The period
 * thread (amx_period.c) is DL (period = the audio period, budget from the
 * graph's measured cost): on each period notice of the driver it renders until
 * the ring holds `lead` periods past the one the device plays (the most
 * after a start, then fitted to the device's measured step), and zeroes
 * the slot after them and the slots the device played, so a late mixer
 * makes the device play silence, never stale audio. The main thread
 * owns requests, subscribers, events, and reopens the device when its
 * driver dies.
 *
 * Locking: the graph is edited by the main thread and rendered by the
 * period thread under glock (a flag; the period thread, which must not
 * spin on a lower class, sleeps 10 us between tries). The main thread
 * holds it only for pointer edits (no I/O, no allocation). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <execrt/errors.h>
#include <execrt/ipc.h>
#include <execrt/rights.h>
#include <execrt/runtime.h>
#include <execrt/sched.h>
#include <execrt/sys.h>

#include "amx_svc.h"
#include "cl_ports.h"

#define SVC_NAME	"/svc/audiomixerd"
#define MAX_SUBS	8
#define AHEAD_FRAMES	2048 /* the most lead: the ring, the start's lead */
#define FILE_MAX	(64u << 20) /* file_source reads whole files */
#define APP_MAP_BASE	0x600000000000ull
#define APP_MAP_STRIDE	(1ull << 30) /* a hole after every app ring */
#define BUDGET_SLACK_NS 150000	     /* notice receive, lock, syscalls */
#define BUDGET_MARGIN	3

/* ---- subscribers and events ---- */

static struct {
	handle_t h;
	uint32_t mask;
} subs[MAX_SUBS];

static void emit(uint32_t kind, const char *ev, int len)
{
	if (len < 0)
		return;
	struct port_msg m = {.data = ev, .len = (uint32_t)len};
	for (int i = 0; i < MAX_SUBS; i++) {
		if (!subs[i].h || !(subs[i].mask & kind))
			continue;
		long r = sys_port_send(subs[i].h, &m, DEADLINE_POLL);
		if (r < 0 && r != ERR_SHOULD_WAIT) { /* subscriber gone */
			sys_handle_close(subs[i].h);
			subs[i].h = HANDLE_INVALID;
		}
	}
}

static void emit_state(bool running)
{
	char ev[96];
	emit(AMX_EV_STATE, ev, amx_ev_state(ev, sizeof(ev), running));
}

static uint32_t first_sink(void)
{
	for (uint32_t i = 0; i < AMX_MAX_NODES; i++)
		if (st.g.nodes[i] && st.g.nodes[i]->type == AMX_SINK)
			return st.g.nodes[i]->id;
	return 0;
}

/* ---- amx_ops ---- */

static handle_t *cur_h; /* the handles of the request being handled */

/* A file is read whole and decoded whole (f32 stereo: up to four times
 * its size again), so files are bounded by a third of the quota init
 * gave, at most FILE_MAX: on a small machine a big file is "too big",
 * not an allocation failure that could starve the running graph. */
static size_t file_max(void)
{
	const struct start_info *si = execrt_start_info();
	uint64_t q = si && si->mem_quota ? si->mem_quota / 3 : FILE_MAX;
	return q < FILE_MAX ? (size_t)q : FILE_MAX;
}

static void *op_read_file(void *ctx, const char *path, size_t *len, char *err,
			  size_t cap)
{
	(void)ctx;
	size_t max = file_max();
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, cap, "cannot open");
		return NULL;
	}
	size_t size = 0, have = 1 << 16;
	uint8_t *buf = malloc(have);
	for (;;) {
		if (!buf) {
			snprintf(err, cap, "out of memory");
			break;
		}
		size_t n = fread(buf + size, 1, have - size, f);
		size += n;
		if (n == 0)
			break;
		if (size == have) {
			if (have >= max) {
				snprintf(err, cap,
					 "file too big (at most %zu KiB: a "
					 "third "
					 "of audiomixerd's quota)",
					 max >> 10);
				free(buf);
				buf = NULL;
				break;
			}
			uint8_t *nb = realloc(buf, have * 2);
			if (!nb)
				free(buf);
			buf = nb;
			have *= 2;
		}
	}
	fclose(f);
	*len = size;
	return buf;
}

static int app_slots[AMX_MAX_NODES];

/* Maps an app ring at its own 1 GiB slot: the page after it is a hole,
 * so protecting [addr, addr + need) fails unless the grant covers it. */
static void *op_map_grant(void *ctx, uint32_t idx, uint64_t *len)
{
	(void)ctx;
	int s = 0;
	while (s < AMX_MAX_NODES && app_slots[s])
		s++;
	if (s == AMX_MAX_NODES || !cur_h || !cur_h[idx])
		return NULL;
	uint64_t want = APP_MAP_BASE + (uint64_t)s * APP_MAP_STRIDE, at = 0;
	long r = sys_grant_map(self(), cur_h[idx], VM_PROT_READ | VM_PROT_WRITE,
			       want, &at);
	if (r < 0)
		return NULL;
	if (at != want) {
		sys_grant_unmap(self(), at);
		return NULL;
	}
	app_slots[s] = 1;
	/* The size: the largest page count a whole-mapping protect accepts
	 * is the grant's (cutting one is ERR_INVALID_ARGS, a hole
	 * ERR_NOT_FOUND). Probe doubling, then bisect. */
	uint64_t lo = 0, hi = 4096;
	while (hi <= (64ull << 20)) {
		r = sys_vm_protect(self(), at, hi,
				   VM_PROT_READ | VM_PROT_WRITE);
		if (r == 0) {
			*len = hi;
			return (void *)at;
		}
		if (r != ERR_INVALID_ARGS)
			break; /* a hole: the grant is shorter than hi */
		lo = hi;
		hi *= 2;
	}
	while (hi - lo > 4096) {
		uint64_t mid = (lo + hi) / 2 & ~4095ull;
		r = sys_vm_protect(self(), at, mid,
				   VM_PROT_READ | VM_PROT_WRITE);
		if (r == 0) {
			*len = mid;
			return (void *)at;
		}
		if (r == ERR_INVALID_ARGS)
			lo = mid;
		else
			hi = mid;
	}
	*len = hi;
	return (void *)at;
}

static void op_unmap(void *ctx, void *addr, uint64_t len)
{
	(void)ctx, (void)len;
	uint64_t a = (uint64_t)addr;
	if (a >= APP_MAP_BASE)
		app_slots[(a - APP_MAP_BASE) / APP_MAP_STRIDE] = 0;
	sys_grant_unmap(self(), a);
}

static struct amx_dev_cfg want_cfg;

static long dev_setup(char *err, size_t ecap)
{
	long r = amx_dev_connect(&dev, now() + 2000000000ull);
	if (r < 0) {
		snprintf(err, ecap, "no audio device (%s): %s", AUDIO_SVC_NAME,
			 err_name(r));
		return r;
	}
	handle_t send;
	r = sys_handle_dup(rt.notice_send, RIGHTS_PORT_SEND, &send);
	if (r < 0) {
		amx_dev_close(&dev);
		snprintf(err, ecap, "notice endpoint: %s", err_name(r));
		return r;
	}
	uint32_t ahead = AHEAD_FRAMES / want_cfg.period;
	struct audio_fmt f = {.rate = want_cfg.rate,
			      .channels = (uint16_t)want_cfg.channels,
			      .format = AUDIO_FMT_S16LE,
			      .period_frames = want_cfg.period,
			      .periods = ahead + 2 > AUDIO_PERIODS_MAX
						 ? AUDIO_PERIODS_MAX
						 : ahead + 2};
	r = amx_dev_open(&dev, &f, send);
	if (r < 0) {
		amx_dev_close(&dev);
		snprintf(err, ecap, "%s: open %u Hz %u ch, %u x %u frames: %s",
			 dev.info.name[0] ? dev.info.name : "device", f.rate,
			 f.channels, f.periods, f.period_frames, err_name(r));
		return r;
	}
	rt.period = dev.geo.fmt.period_frames;
	rt.periods = dev.geo.fmt.periods;
	rt.ahead = AHEAD_FRAMES / rt.period;
	if (rt.ahead < 1)
		rt.ahead = 1;
	if (rt.ahead > rt.periods - 2)
		rt.ahead = rt.periods - 2; /* the playing slot and the guard */
	rt.channels = dev.geo.fmt.channels;
	rt.slot_bytes = rt.period * dev.geo.frame_bytes;
	rt.period_ns = (uint64_t)rt.period * 1000000000ull / want_cfg.rate;
	return 0;
}

static int op_device_open(void *ctx, const struct amx_dev_cfg *c, char *res,
			  size_t rcap, char *err, size_t ecap)
{
	(void)ctx;
	if (dev.conn)
		amx_dev_close(&dev);
	want_cfg = *c;
	long r = dev_setup(err, ecap);
	if (r < 0)
		return r == ERR_ALREADY_EXISTS ? AMX_E_BUSY
		       : r == ERR_NOT_SUPPORTED || r == ERR_INVALID_ARGS
			       ? AMX_E_BADARG
			       : AMX_E_NOTFOUND;
	snprintf(res, rcap,
		 "\"device\":\"%s\",\"periods\":%u,\"ahead\":%u,"
		 "\"latency_us\":%llu",
		 dev.info.name, rt.periods, rt.ahead,
		 (unsigned long long)(rt.ahead * rt.period_ns / 1000));
	return 0;
}

/* The period thread's admitted DL parameters (0: not DL). */
static uint64_t dl_period_ns, dl_budget_ns;

/* Prefills, admits the period thread as DL, starts the device. */
static int start_playing(char *err, size_t ecap)
{
	for (;;) { /* notices of an earlier run */
		_Alignas(8) uint8_t b[64];
		struct port_rx rx = {.buf = b, .cap = sizeof(b)};
		if (sys_port_recv(rt.notice_recv, &rx, DEADLINE_POLL) < 0)
			break;
	}
	memset(dev.ring, 0, dev.geo.ring_bytes);
	/* The prefill is the measurement: the first render touches cold
	 * buffers, so the cost is the worst of the others (the lead is at
	 * least 2 periods: AHEAD_FRAMES / 256). */
	uint64_t cost = 0;
	lock_main(NULL);
	for (rt.written = 0; rt.written < rt.ahead; rt.written++) {
		uint64_t t0 = now();
		render(rt.written);
		uint64_t c = now() - t0;
		if (rt.written > 0 && c > cost)
			cost = c;
	}
	unlock(NULL);
	/* A notice normally renders one period; catching up after a miss
	 * renders more, on the overrun the CBS rule pays back. */
	uint64_t budget = BUDGET_MARGIN * cost + BUDGET_SLACK_NS;
	/* Catching up renders up to `ahead` periods in one job: room for
	 * them, but never under a quarter of the period. */
	if (budget < BUDGET_MARGIN * cost * rt.ahead / 4)
		budget = BUDGET_MARGIN * cost * rt.ahead / 4;
	if (budget < rt.period_ns / 4)
		budget = rt.period_ns / 4;
	if (budget > rt.period_ns) {
		snprintf(err, ecap,
			 "graph too costly: %llu us budget per %llu us period",
			 (unsigned long long)(budget / 1000),
			 (unsigned long long)(rt.period_ns / 1000));
		return AMX_E_BUSY;
	}
	struct sched_params dl = {.cls = SCHED_CLASS_DL,
				  .runtime_ns = budget,
				  .deadline_ns = rt.period_ns,
				  .period_ns = rt.period_ns,
				  .cpu = SCHED_CPU_KEEP};
	handle_t auth = execrt_handle(START_H_SCHED);
	/* Stays DL across stop and start: leaving DL and coming back
	 * mid-job keeps the old job's state (docs/scheduling.md), and a
	 * parked DL thread costs nothing but its reservation. */
	long r = 0;
	if (dl_period_ns != rt.period_ns || budget > dl_budget_ns) {
		r = auth ? sys_sched_set(auth, rt.thread, &dl)
			 : ERR_ACCESS_DENIED;
		if (r == 0) {
			dl_period_ns = rt.period_ns;
			dl_budget_ns = budget;
		}
	}
	if (r < 0) {
		snprintf(err, ecap,
			 "DL admission refused for the period thread (budget "
			 "%llu us per %llu us period): %s",
			 (unsigned long long)(budget / 1000),
			 (unsigned long long)(rt.period_ns / 1000),
			 err_name(r));
		return AMX_E_BUSY;
	}
	__atomic_store_n(&rt.last_notice_ns, now(), __ATOMIC_RELAXED);
	rt.last_periods = 0;
	amx_lead_start(&rt.adapt, rt.period, rt.ahead, now()); /* prefilled */
	rt.lead = rt.ahead;
	rt.step_max = rt.cleared = 0;
	st.budget_us = budget / 1000;
	__atomic_store_n(&rt.run, 1, __ATOMIC_RELEASE);
	sys_notif_signal(rt.go, 1);
	r = amx_dev_cmd(&dev, AUDIO_START);
	if (r < 0) {
		__atomic_store_n(&rt.run, 0, __ATOMIC_RELEASE);
		snprintf(err, ecap, "device start: %s", err_name(r));
		return AMX_E_INTERNAL;
	}
	return 0;
}

static int op_start(void *ctx, char *err, size_t ecap)
{
	(void)ctx;
	if (!dev.conn || !dev.ring) {
		snprintf(err, ecap, "device_open first");
		return AMX_E_BADARG;
	}
	int e = start_playing(err, ecap);
	if (e == 0)
		emit_state(true);
	return e;
}

static int op_stop(void *ctx)
{
	(void)ctx;
	__atomic_store_n(&rt.run, 0, __ATOMIC_RELEASE);
	if (dev.conn)
		amx_dev_cmd(&dev, AUDIO_STOP);
	emit_state(false);
	return 0;
}

static int op_position(void *ctx, char *res, size_t rcap, char *err,
		       size_t ecap)
{
	(void)ctx;
	struct audio_pos p;
	long r = dev.conn ? amx_dev_position(&dev, &p) : ERR_PEER_CLOSED;
	if (r < 0) {
		snprintf(err, ecap, "position: %s", err_name(r));
		return AMX_E_INTERNAL;
	}
	snprintf(res, rcap,
		 "\"frames\":%llu,\"time_ns\":%llu,\"periods\":%llu,"
		 "\"lead_frames\":%u",
		 (unsigned long long)p.frames, (unsigned long long)p.time_ns,
		 (unsigned long long)p.periods,
		 __atomic_load_n(&rt.lead, __ATOMIC_RELAXED) * rt.period);
	return 0;
}

static int op_subscribe(void *ctx, uint32_t idx, uint32_t mask)
{
	(void)ctx;
	for (int i = 0; i < MAX_SUBS; i++) {
		if (!subs[i].h) {
			subs[i].h = cur_h[idx];
			subs[i].mask = mask;
			cur_h[idx] = HANDLE_INVALID;
			return 0;
		}
	}
	return AMX_E_BUSY;
}

static const struct amx_ops ops = {
	.read_file = op_read_file,
	.map_grant = op_map_grant,
	.unmap = op_unmap,
	.device_open = op_device_open,
	.start = op_start,
	.stop = op_stop,
	.position = op_position,
	.subscribe = op_subscribe,
	.lock = lock_main,
	.unlock = unlock,
};

/* ---- the main loop ---- */

/* While playing: events, and a driver that went silent is reopened
 * (same format, same graph) so playback resumes. */
static void housekeeping(uint64_t *stats_at, uint64_t *cost_base)
{
	uint64_t t = now();
	uint64_t missed = __atomic_exchange_n(&rt.xrun_periods_pending, 0,
					      __ATOMIC_RELAXED);
	st.xruns = __atomic_load_n(&rt.xruns, __ATOMIC_RELAXED);
	st.notices = __atomic_load_n(&rt.notices, __ATOMIC_RELAXED);
	st.periods_written = rt.written;
	st.cost_max_us =
		__atomic_load_n(&rt.cost_max_ns, __ATOMIC_RELAXED) / 1000;
	st.late_max_us = rt.late_all_ns / 1000;
	st.lead_frames =
		__atomic_load_n(&rt.lead, __ATOMIC_RELAXED) * rt.period;
	st.step_max = __atomic_load_n(&rt.step_max, __ATOMIC_RELAXED);
	if (missed) {
		char ev[128];
		emit(AMX_EV_XRUN, ev,
		     amx_ev_xrun(ev, sizeof(ev), missed * rt.period_ns / 1000,
				 first_sink()));
	}
	if (t >= *stats_at) {
		uint64_t c = __atomic_load_n(&rt.cost_ns, __ATOMIC_RELAXED);
		uint64_t late = __atomic_exchange_n(&rt.late_max_ns, 0,
						    __ATOMIC_RELAXED);
		char ev[128];
		uint64_t span = t - (*stats_at - 1000000000ull);
		uint32_t pct =
			(uint32_t)((c - *cost_base) * 100 / (span ? span : 1));
		if (st.running)
			emit(AMX_EV_STATS, ev,
			     amx_ev_stats(ev, sizeof(ev), pct, rt.period,
					  late / 1000));
		*cost_base = c;
		*stats_at = t + 1000000000ull;
	}
	if (!st.running)
		return;
	uint64_t last = __atomic_load_n(&rt.last_notice_ns, __ATOMIC_RELAXED);
	if (t - last < 300000000ull)
		return;
	/* No notice for 300 ms: is the driver still there? */
	struct audio_pos pos;
	long r = dev.conn ? amx_dev_position(&dev, &pos) : ERR_PEER_CLOSED;
	if (r >= 0 && pos.periods > rt.last_periods) {
		/* it plays, but its notices do not reach us (lost) */
		rt.last_periods = pos.periods;
		__atomic_store_n(&rt.last_notice_ns, t, __ATOMIC_RELAXED);
		return;
	}
	printf("audiomixerd: device silent (%s; %llu notices): reopening\n",
	       r < 0 ? err_name(r) : "no periods",
	       (unsigned long long)rt.notices);
	__atomic_store_n(&rt.run, 0, __ATOMIC_RELEASE);
	lock_main(NULL); /* the period thread is out of the ring */
	unlock(NULL);
	amx_dev_close(&dev);
	char err[160];
	if (dev_setup(err, sizeof(err)) < 0 ||
	    start_playing(err, sizeof(err)) < 0) {
		printf("audiomixerd: reopen failed: %s (retrying)\n", err);
		__atomic_store_n(&rt.last_notice_ns, now(), __ATOMIC_RELAXED);
	}
}

int main(int argc, char **argv)
{
	static char buf[PORT_MSG_MAX + 1];
	static struct amx_reply rep;
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--adaptive-lead"))
			amx_lead_adaptive = 1;
	if (amx_init(&st, &ops) < 0 || rt_thread_start() < 0) {
		printf("audiomixerd: cannot start\n");
		return 1;
	}
	handle_t recv, send;
	long r = sys_port_create(0, &recv, &send);
	if (r < 0) {
		printf("audiomixerd: port_create: %s\n", err_name(r));
		return 1;
	}
	cl_err_t e = cl_register(SVC_NAME, send);
	if (e < 0) {
		printf("audiomixerd: register: %s\n", cl_strerror(e));
		return 1;
	}
	printf("audiomixerd: serving %s\n", SVC_NAME);
	fflush(stdout);
	uint64_t stats_at = now() + 1000000000ull, cost_base = 0;
	for (;;) {
		handle_t h[PORT_HANDLES_MAX] = {0};
		struct port_rx rx = {.buf = buf,
				     .cap = PORT_MSG_MAX,
				     .handles = h,
				     .hcap = PORT_HANDLES_MAX};
		r = sys_port_recv(recv, &rx, now() + 50000000ull);
		if (r >= 0 && rx.reply) {
			cur_h = h;
			amx_handle(&st, buf, rx.len, rx.nhandles, &rep);
			cur_h = NULL;
			if (rep.ok)
				cl_reply_ok(rx.reply, rep.result, NULL, 0);
			else
				cl_reply_error(rx.reply, rep.code, rep.message);
		}
		if (r >= 0)
			for (uint32_t i = 0; i < rx.nhandles; i++)
				if (h[i])
					sys_handle_close(h[i]);
		if (r < 0 && r != ERR_TIMED_OUT) {
			printf("audiomixerd: receive: %s\n", err_name(r));
			return 1;
		}
		housekeeping(&stats_at, &cost_base);
	}
}
