/* httpd's figures on exec-rt: the kernel's task and thread statistics
 * (SYS_TASK_STATS with the sysinfo handle, SYS_SCHED_STATS and
 * SYS_SCHED_CPU_INFO with the telemetry handle, as sh's `ps` and
 * timeline-inspect read them) and init's services (`/svc/init` status,
 * page by page, as clctl asks). CPU shares are the difference to the
 * previous sample, so a request never waits for a sampling window. */
#include <stdio.h>
#include <string.h>

#include <execrt/errors.h>
#include <execrt/runtime.h>
#include <execrt/sys.h>

#include "cl_ports.h"
#include "httpd_stat.h"
#include "tl_format.h"

#define CHUNK	     32
#define INIT_WAIT_NS 300000000ull

static handle_t sysinfo, telemetry;
static struct cl_conn init_conn;
static bool init_ok;
static struct cl_resp resp;

/* The previous sample's counters, ascending by koid. */
static struct prev {
	uint64_t koid, runtime_ns;
} prev_task[ST_TASKS_MAX], prev_thr[ST_THREADS_MAX];
static uint32_t nprev_task, nprev_thr;
static uint64_t prev_ns;
static struct sched_cpu_info prev_cpu[ST_CPUS_MAX];
static struct task_stats tbuf[CHUNK];
static struct sched_thread_stats hbuf[CHUNK];

int stat_init(void)
{
	sysinfo = execrt_handle(START_H_SYSINFO);
	telemetry = execrt_handle(START_H_TELEMETRY);
	if (!sysinfo)
		fprintf(stderr, "httpd: no sysinfo handle: no task figures\n");
	if (!telemetry)
		fprintf(stderr,
			"httpd: no telemetry handle: no scheduler figures\n");
	return sysinfo && telemetry ? 0 : -1;
}

static uint64_t prev_runtime(const struct prev *p, uint32_t n, uint64_t koid,
			     bool *found)
{
	uint32_t lo = 0, hi = n;
	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;
		if (p[mid].koid < koid)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < n && p[lo].koid == koid;
	return *found ? p[lo].runtime_ns : 0;
}

static uint32_t share(uint64_t now_rt, uint64_t prev_rt, bool found,
		      uint64_t dt)
{
	if (!found || !dt || now_rt < prev_rt)
		return 0;
	return tl_permille(now_rt - prev_rt, dt);
}

static void tasks(struct status *s, uint64_t dt)
{
	uint64_t after = 0;
	for (;;) {
		long r = sys_task_stats(sysinfo, after, tbuf, CHUNK);
		if (r <= 0)
			break;
		for (long i = 0; i < r; i++) {
			const struct task_stats *k = &tbuf[i];
			after = k->koid;
			if (s->ntask == ST_TASKS_MAX) {
				s->truncated = true;
				return;
			}
			struct st_task *t = &s->task[s->ntask++];
			t->koid = k->koid;
			t->parent = k->parent_koid;
			snprintf(t->name, sizeof(t->name), "%.31s", k->name);
			snprintf(t->state, sizeof(t->state), "%s",
				 k->state ? "dying" : "running");
			t->mem_used = k->mem_used;
			t->mem_quota = k->mem_quota;
			t->threads = k->threads;
			t->runtime_ns = k->runtime_ns;
		}
	}
}

static void threads(struct status *s, uint64_t dt)
{
	uint64_t after = 0;
	for (;;) {
		long r = sys_sched_stats(telemetry, after, hbuf, CHUNK);
		if (r <= 0)
			break;
		for (long i = 0; i < r; i++) {
			const struct sched_thread_stats *k = &hbuf[i];
			after = k->koid;
			if (s->nthread == ST_THREADS_MAX) {
				s->truncated = true;
				return;
			}
			struct st_thread *t = &s->thread[s->nthread++];
			bool found;
			uint64_t p = prev_runtime(prev_thr, nprev_thr, k->koid,
						  &found);
			t->koid = k->koid;
			t->task = k->task_koid;
			tl_fmt_name(t->name, sizeof(t->name), k->name, k->koid);
			if (k->eff_cls == SCHED_CLASS_IDLE)
				snprintf(t->sched, sizeof(t->sched), "IDLE");
			else
				tl_fmt_class(t->sched, sizeof(t->sched),
					     &k->params);
			snprintf(t->state, sizeof(t->state), "%s",
				 tl_state_name(k->state));
			t->cpu = k->cpu;
			t->cpu_permille = share(k->runtime_ns, p, found, dt);
			t->runtime_ns = k->runtime_ns;
			t->dispatches = k->dispatches;
			t->wakeups = k->wakeups;
			t->preemptions = k->preemptions;
			t->lat_max_ns = k->lat_max_ns;
		}
	}
}

/* A task's share: the sum of its threads' (see docs/shell.md `ps`). */
static void task_shares(struct status *s)
{
	for (uint32_t i = 0; i < s->ntask; i++) {
		uint32_t pm = 0;
		for (uint32_t j = 0; j < s->nthread; j++)
			if (s->thread[j].task == s->task[i].koid)
				pm += s->thread[j].cpu_permille;
		s->task[i].cpu_permille = pm;
	}
}

static void cpus(struct status *s, uint32_t online)
{
	for (uint32_t c = 0; c < online && c < ST_CPUS_MAX; c++) {
		struct sched_cpu_info ci;
		if (sys_sched_cpu_info(telemetry, c, &ci) < 0)
			break;
		struct st_cpu *o = &s->cpu[s->ncpu++];
		o->id = c;
		o->idle_ns = ci.idle_ns;
		o->switches = ci.switches;
		if (prev_cpu[c].now_ns)
			o->busy_permille = tl_busy_permille(&prev_cpu[c], &ci);
		prev_cpu[c] = ci;
	}
}

static void services(struct status *s)
{
	uint64_t deadline = (uint64_t)sys_clock_now() + INIT_WAIT_NS;
	if (!init_ok) {
		cl_err_t e = cl_connect("/svc/init", deadline, &init_conn);
		if (e != CL_OK) {
			snprintf(s->services_error, sizeof(s->services_error),
				 "/svc/init: %s", cl_strerror(e));
			return;
		}
		init_conn.reconnect = true;
		init_ok = true;
	}
	char req[64];
	for (int64_t from = 0;;) {
		snprintf(req, sizeof(req), "{\"cmd\":\"status\",\"from\":%lld}",
			 (long long)from);
		cl_err_t e = cl_request_ex(&init_conn, req, NULL, 0, deadline,
					   &resp);
		if (e != CL_OK) {
			snprintf(s->services_error, sizeof(s->services_error),
				 "/svc/init status: %s", cl_strerror(e));
			if (e == CL_ERR_CONN) {
				cl_close(&init_conn);
				init_ok = false;
			}
			return;
		}
		int arr = json_find(&resp.doc, resp.result, "services");
		for (int i = 0; arr >= 0; i++) {
			int t = json_index(&resp.doc, arr, i);
			if (t < 0)
				break;
			if (s->nservice == ST_SERVICES_MAX) {
				s->truncated = true;
				break;
			}
			struct st_service *v = &s->service[s->nservice++];
			int f;
			uint64_t u;
			int64_t x;
			if ((f = json_find(&resp.doc, t, "name")) >= 0)
				json_str(&resp.doc, f, v->name,
					 sizeof(v->name));
			if ((f = json_find(&resp.doc, t, "state")) >= 0)
				json_str(&resp.doc, f, v->state,
					 sizeof(v->state));
			if ((f = json_find(&resp.doc, t, "task")) >= 0 &&
			    json_uint(&resp.doc, f, &u) == 0)
				v->task = u;
			if ((f = json_find(&resp.doc, t, "generation")) >= 0 &&
			    json_uint(&resp.doc, f, &u) == 0)
				v->generation = u;
			if ((f = json_find(&resp.doc, t, "restarts")) >= 0 &&
			    json_uint(&resp.doc, f, &u) == 0)
				v->restarts = u;
			if ((f = json_find(&resp.doc, t, "since_usec")) >= 0 &&
			    json_uint(&resp.doc, f, &u) == 0)
				v->since_usec = u;
			if ((f = json_find(&resp.doc, t, "last_exit")) >= 0 &&
			    json_int(&resp.doc, f, &x) == 0) {
				v->has_exit = true;
				v->last_exit = x;
			}
		}
		int64_t next = -1;
		bool more = cl_resp_int(&resp, "next", &next) == CL_OK &&
			    next > from;
		cl_resp_close(&resp);
		if (!more)
			break;
		from = next;
	}
}

static void remember(const struct status *s)
{
	/* SYS_*_STATS list ascending by koid: the arrays stay sorted. */
	nprev_task = 0;
	for (uint32_t i = 0; i < s->ntask; i++)
		prev_task[nprev_task++] =
			(struct prev){s->task[i].koid, s->task[i].runtime_ns};
	nprev_thr = 0;
	for (uint32_t i = 0; i < s->nthread; i++)
		prev_thr[nprev_thr++] = (struct prev){s->thread[i].koid,
						      s->thread[i].runtime_ns};
}

void stat_sample(struct status *s)
{
	struct st_server keep = s->server;
	memset(s, 0, sizeof(*s));
	s->server = keep;
	snprintf(s->system, sizeof(s->system), "exec-rt");
	uint64_t now = (uint64_t)sys_clock_now();
	uint64_t dt = prev_ns ? now - prev_ns : 0;
	s->uptime_ns = now;
	s->sample_ns = dt;
	struct kernel_stats k;
	uint32_t online = 1;
	if (sysinfo && sys_kernel_stats(sysinfo, &k) == 0) {
		s->mem_total = k.frames_total * 4096;
		s->mem_free = (k.frames_free + k.frames_cached) * 4096;
		s->kobjects = k.kobjects_live;
		online = (uint32_t)k.cpus_online;
	}
	if (sysinfo)
		tasks(s, dt);
	if (telemetry) {
		threads(s, dt);
		task_shares(s);
		cpus(s, online);
	}
	services(s);
	remember(s);
	prev_ns = now;
}
