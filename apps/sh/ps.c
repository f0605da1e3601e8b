/* ps, mem and uptime: the kernel's figures (SYS_TASK_STATS,
 * SYS_SCHED_STATS, SYS_KERNEL_STATS) sampled and printed; the formatting
 * is psfmt.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <execrt/errors.h>
#include <execrt/sys.h>

#include "psfmt.h"
#include "sh.h"

#define PS_WINDOW_NS   200000000ull /* CPU % over 200 ms */
#define PS_TASKS_MAX   256
#define PS_THREADS_MAX 512
#define CHUNK	       32

struct sample {
	struct task_stats task[PS_TASKS_MAX];
	size_t ntask;
	struct sched_thread_stats thr[PS_THREADS_MAX];
	size_t nthr;
	uint64_t now;
};

/* Big: in the heap only while ps runs. */
struct ps_state {
	struct sample a, b;
	struct tl_delta d[PS_THREADS_MAX];
};

static long take(struct sh *s, struct sample *sm)
{
	long r;
	uint64_t after = 0;
	sm->ntask = sm->nthr = 0;
	sm->now = (uint64_t)sys_clock_now();
	while (sm->ntask < PS_TASKS_MAX) {
		uint32_t want = PS_TASKS_MAX - sm->ntask;
		r = sys_task_stats(s->sysinfo, after, sm->task + sm->ntask,
				   want < CHUNK ? want : CHUNK);
		if (r < 0)
			return r;
		if (r == 0)
			break;
		sm->ntask += (size_t)r;
		after = sm->task[sm->ntask - 1].koid;
	}
	after = 0;
	while (s->telemetry && sm->nthr < PS_THREADS_MAX) {
		uint32_t want = PS_THREADS_MAX - sm->nthr;
		r = sys_sched_stats(s->telemetry, after, sm->thr + sm->nthr,
				    want < CHUNK ? want : CHUNK);
		if (r < 0)
			return r;
		if (r == 0)
			break;
		sm->nthr += (size_t)r;
		after = sm->thr[sm->nthr - 1].koid;
	}
	return 0;
}

/* The threads of task koid (0: the kernel's), one row each. */
static void print_threads(struct ps_state *p, size_t nd, uint64_t koid)
{
	char line[200];
	for (size_t i = 0; i < nd; i++) {
		const struct sched_thread_stats *t =
			p->d[i].cur ? p->d[i].cur : p->d[i].prev;
		if (t->task_koid != koid || !p->d[i].cur)
			continue;
		ps_fmt_thread(line, sizeof(line), &p->d[i]);
		puts(line);
	}
}

void sh_ps(struct sh *s)
{
	if (!s->sysinfo) {
		printf("sh: ps: no sysinfo handle\n");
		s->status = SH_STATUS_ERROR;
		return;
	}
	struct ps_state *p = malloc(sizeof(*p));
	if (!p) {
		printf("sh: ps: out of memory\n");
		s->status = SH_STATUS_ERROR;
		return;
	}
	long r = take(s, &p->a);
	if (r == 0) {
		sys_sleep_until(p->a.now + PS_WINDOW_NS);
		r = take(s, &p->b);
	}
	if (r < 0) {
		printf("sh: ps: %s\n", err_name(r));
		s->status = SH_STATUS_ERROR;
		free(p);
		return;
	}
	uint64_t dt = p->b.now - p->a.now;
	size_t nd = tl_compute_deltas(p->a.thr, p->a.nthr, p->b.thr, p->b.nthr,
				      dt, p->d, PS_THREADS_MAX);
	if (nd > PS_THREADS_MAX)
		nd = PS_THREADS_MAX;
	char line[200];
	ps_fmt_header(line, sizeof(line));
	puts(line);
	for (size_t i = 0; i < p->b.ntask; i++) {
		const struct task_stats *t = &p->b.task[i];
		uint32_t pm =
			s->telemetry
				? ps_threads_permille(p->d, nd, t->koid, dt)
				: ps_task_permille(p->a.task, p->a.ntask, t,
						   dt);
		ps_fmt_task(line, sizeof(line), t, pm);
		puts(line);
		print_threads(p, nd, t->koid);
	}
	if (s->telemetry) {
		printf("%6s %6s  %s\n", "0", "-", "(kernel)");
		print_threads(p, nd, 0);
	}
	if (p->b.ntask == PS_TASKS_MAX || p->b.nthr == PS_THREADS_MAX)
		printf("(only the first %d tasks and %d threads are shown)\n",
		       PS_TASKS_MAX, PS_THREADS_MAX);
	printf("%zu tasks, %zu threads; CPU %% of one CPU over %llu ms\n",
	       p->b.ntask, p->b.nthr, (unsigned long long)(dt / 1000000));
	free(p);
}

void sh_mem(struct sh *s)
{
	struct kernel_stats k;
	long r = sys_kernel_stats(s->sysinfo, &k);
	if (r < 0) {
		printf("sh: mem: %s\n", err_name(r));
		s->status = SH_STATUS_ERROR;
		return;
	}
	char buf[600];
	ps_fmt_mem(buf, sizeof(buf), &k);
	fputs(buf, stdout);
}

void sh_uptime(struct sh *s)
{
	char buf[80];
	struct kernel_stats k;
	ps_fmt_uptime(buf, sizeof(buf), (uint64_t)sys_clock_now());
	if (sys_kernel_stats(s->sysinfo, &k) == 0)
		printf("%s, %llu tasks, %llu threads, %llu CPUs\n", buf,
		       (unsigned long long)k.tasks,
		       (unsigned long long)k.threads,
		       (unsigned long long)k.cpus_online);
	else
		printf("%s\n", buf);
}
