/* The parent's side of guest-child-race2 (race2.h): spawn, pin the two
 * workers to CPU 0 and CPU 1, wait or kill mid-way, read the report. */
#include <stdio.h>
#include <string.h>

#include <execrt/errors.h>
#include <execrt/rights.h>

#include "gutil.h"
#include "race2_run.h"

handle_t race2_give;

long race2_run(const char *mode, uint64_t rounds, uint64_t quota,
	       uint64_t kill_after_ns, struct race2_report *rep,
	       int64_t *status)
{
	handle_t recv, send;
	memset(rep, 0, sizeof(*rep));
	*status = -1;
	long r = sys_port_create(0, &recv, &send);
	if (r < 0)
		return r;
	char args[64];
	snprintf(args, sizeof(args), "%s @ %llu", mode,
		 (unsigned long long)rounds);
	struct child c;
	r = g_spawn_ex(RACE2_PROG, args, quota, 0, send, RIGHT_SAME, &c);
	if (r < 0) {
		sys_handle_close(recv);
		sys_handle_close(send);
		return r;
	}
	/* The workers' threads: pinned one per CPU (the child may not). */
	handle_t th[PORT_HANDLES_MAX];
	uint8_t b[8];
	struct port_rx rx = {.buf = b,
			     .cap = sizeof(b),
			     .handles = th,
			     .hcap = PORT_HANDLES_MAX};
	r = sys_port_recv(recv, &rx, g_now() + 5000 * MS);
	if (r == 0) {
		for (uint32_t i = 0; i < rx.nhandles; i++) {
			if (g_ncpus() >= 2 &&
			    sys_sched_affinity(g_sched(), th[i],
					       1ull << (i & 1)) < 0)
				printf("    race2: worker %u not pinned\n", i);
			sys_handle_close(th[i]);
		}
		handle_t give = race2_give ? g_dup(race2_give, RIGHT_SAME) : 0;
		struct port_msg m = {.data = "p",
				     .len = 1,
				     .handles = &give,
				     .nhandles = give ? 1 : 0};
		if (rx.reply && sys_port_reply(rx.reply, &m) < 0 && give)
			sys_handle_close(give);
	}
	if (kill_after_ns) {
		sys_sleep_until(g_now() + kill_after_ns);
		sys_task_kill(c.task, -1);
	}
	long w = g_reap(&c, 20000 * MS, status);
	if (!kill_after_ns && w == 0) {
		rx = (struct port_rx){.buf = rep, .cap = sizeof(*rep)};
		if (sys_port_recv(recv, &rx, DEADLINE_POLL) < 0)
			memset(rep, 0, sizeof(*rep));
	}
	sys_handle_close(recv);
	sys_handle_close(send);
	if (r < 0)
		return r;
	return w;
}

void race2_print(const char *what, const struct race2_report *p, int64_t status)
{
	printf("    %s: status %lld, %llu rounds (cpu0 ~%llu, cpu1 ~%llu), "
	       "over %llu, other %llu (last %lld), set-up %llu ms, race %llu "
	       "ms\n",
	       what, (long long)status, (unsigned long long)p->rounds,
	       (unsigned long long)p->cpu_rounds[0],
	       (unsigned long long)p->cpu_rounds[1],
	       (unsigned long long)p->over, (unsigned long long)p->other,
	       (long long)p->last_other, (unsigned long long)(p->setup_ns / MS),
	       (unsigned long long)(p->race_ns / MS));
	for (int k = 0; k < 4; k++)
		if (p->cap[k] || p->ok[k] || p->full[k])
			printf("      kind %d: ok %llu, refused %llu, most "
			       "held "
			       "%llu of %llu\n",
			       k, (unsigned long long)p->ok[k],
			       (unsigned long long)p->full[k],
			       (unsigned long long)p->max[k],
			       (unsigned long long)p->cap[k]);
}
