/* audiomixerd's period thread (amx_main.c top): on each period notice
 * of the driver it renders until the ring holds the lead, zeroes the
 * slots the device played, and counts xruns. Its own stack and TCB
 * (only system calls and the graph), DL once the main thread starts
 * the device. */
#include <string.h>

#include <execrt/ipc.h>

#include "amx_svc.h"

#define RT_STACK (64 * 1024)
#define RT_TCB	 512

struct amx_state st;
struct amx_dev dev;
static int glock;

struct amx_rt rt;

static void lock_sleep(uint64_t ns)
{
	while (__atomic_exchange_n(&glock, 1, __ATOMIC_ACQUIRE))
		sys_sleep_until(now() + ns);
}

void unlock(void *ctx)
{
	(void)ctx;
	__atomic_store_n(&glock, 0, __ATOMIC_RELEASE);
}

void lock_main(void *ctx)
{
	(void)ctx;
	lock_sleep(20000);
}

static uint8_t *slot(uint64_t k)
{
	return dev.ring + (k % rt.periods) * rt.slot_bytes;
}

void render(uint64_t k)
{
	st.g.frame = k * rt.period; /* slot k plays from device frame k*P */
	amx_graph_render(&st.g, (int16_t *)slot(k), rt.period, rt.channels);
	if (rt.periods > rt.ahead + 1)
		memset(slot(k + 1), 0, rt.slot_bytes);
}

static void on_notice(const struct audio_period_msg *m)
{
	uint64_t t0 = now(), c = m->period;
	__atomic_store_n(&rt.lead, amx_lead_notice(&rt.adapt, m->frames, t0),
			 __ATOMIC_RELAXED);
	__atomic_store_n(&rt.step_max, rt.adapt.step_max, __ATOMIC_RELAXED);
	__atomic_store_n(&rt.last_notice_ns, t0, __ATOMIC_RELAXED);
	__atomic_fetch_add(&rt.notices, 1, __ATOMIC_RELAXED);
	if (t0 > m->time_ns) {
		uint64_t late = t0 - m->time_ns;
		if (late > rt.late_max_ns)
			__atomic_store_n(&rt.late_max_ns, late,
					 __ATOMIC_RELAXED);
		if (late > rt.late_all_ns)
			rt.late_all_ns = late;
	}
	lock_sleep(10000);
	/* The slots the device has played go silent: one it reaches again
	 * before the mixer (a lead shorter than the ring, a late mixer)
	 * plays silence, never a period of a ring ago. */
	if (c - rt.cleared >= rt.periods) { /* a ring or more since: all */
		memset(dev.ring, 0, (size_t)rt.periods * rt.slot_bytes);
		rt.cleared = c;
	}
	for (; rt.cleared < c; rt.cleared++)
		if (rt.cleared < rt.written)
			memset(slot(rt.cleared), 0, rt.slot_bytes);
	if (rt.written < c + 1) { /* the device played a slot we missed */
		uint64_t missed = c + 1 - rt.written;
		__atomic_fetch_add(&rt.xruns, missed, __ATOMIC_RELAXED);
		__atomic_fetch_add(&rt.xrun_periods_pending, missed,
				   __ATOMIC_RELAXED);
		rt.written = c + 1;
	}
	/* A lead that shrank renders nothing until the device has played
	 * down to it; one that grew renders the difference now. */
	while (rt.written < c + rt.lead)
		render(rt.written++);
	unlock(NULL);
	uint64_t cost = now() - t0;
	__atomic_fetch_add(&rt.cost_ns, cost, __ATOMIC_RELAXED);
	if (cost > rt.cost_max_ns)
		__atomic_store_n(&rt.cost_max_ns, cost, __ATOMIC_RELAXED);
}

__attribute__((noreturn, noinline)) static void rt_loop(void)
{
	for (;;) {
		if (!__atomic_load_n(&rt.run, __ATOMIC_ACQUIRE)) {
			uint64_t bits;
			sys_notif_wait(rt.go, 1, DEADLINE_NONE, &bits);
			continue;
		}
		_Alignas(8) uint8_t buf[64];
		struct port_rx rx = {.buf = buf, .cap = sizeof(buf)};
		/* At most a period asleep: a notice that did not wake us
		 * (seen under load: the full timeout, 100 ms, slept with
		 * notices queued) costs one period, not the ring. */
		long r = sys_port_recv(rt.notice_recv, &rx,
				       now() + rt.period_ns);
		if (r < 0)
			continue; /* the main thread watches for silence */
		/* Only the newest notice counts: after a delay the queue
		 * holds several, and the older ones understate where the
		 * device is. */
		struct audio_period_msg m = {0}, n;
		do {
			memcpy(&n, buf, sizeof(n));
			if (rx.len >= sizeof(n) &&
			    n.magic == AUDIO_PERIOD_MAGIC &&
			    n.period >= m.period)
				m = n;
			rx.len = 0;
		} while (sys_port_recv(rt.notice_recv, &rx, DEADLINE_POLL) >=
			 0);

		if (m.magic && __atomic_load_n(&rt.run, __ATOMIC_ACQUIRE))
			on_notice(&m);
	}
}

/* The stack protector reads %fs:0x28: no canary before the TLS is set. */
__attribute__((no_stack_protector, noreturn)) static void rt_main(uint64_t tp)
{
	sys_thread_set_tls(tp);
	rt_loop();
}

int rt_thread_start(void)
{
	static _Alignas(64) uint8_t stack[RT_STACK];
	static _Alignas(64) uint8_t tcb[RT_TCB];
	memset(stack, 0, sizeof(stack)); /* no page faults on the DL budget */
	uint64_t tp = (uint64_t)tcb, canary;
	__asm__ __volatile__("mov %%fs:0x28, %0" : "=r"(canary));
	memcpy(tcb, &tp, 8);
	memcpy(tcb + 0x28, &canary, 8);
	/* One port for the period notices of every stream (each open gets
	 * a copy of its send endpoint): the period thread never waits on a
	 * port that goes away. */
	long r = sys_port_create(0, &rt.notice_recv, &rt.notice_send);
	if (r < 0)
		return (int)r;
	r = sys_notif_create(&rt.go);
	if (r < 0)
		return (int)r;
	r = sys_thread_create(self(), "audio-period", 12, &rt.thread);
	if (r < 0)
		return (int)r;
	uint64_t rsp = ((uint64_t)stack + sizeof(stack)) - 8;
	return (int)sys_thread_start(rt.thread, (uint64_t)rt_main, rsp, tp);
}
