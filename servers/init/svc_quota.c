/* A service's memory quota (docs/system.md "Memory budget"): lent by
 * vmgr out of its pool as the plan splits it (quota_plan.h), else carved
 * by init; vmgr's own pool sized so init keeps the services' program
 * images. Called from svc_start() only, on init's one thread. */
#include <stdio.h>

#include <execrt/elf_load.h>
#include <execrt/spawn.h>
#include <execrt/sys.h>
#include <execrt/vmgr_proto.h>

#include "plat.h"
#include "quota_plan.h"

/* vmgr, when it runs now (the entry with vmgr-port), or -1. */
static int vmgr_running(void)
{
	int64_t st;
	for (int j = 0; j < g.man.n; j++) {
		handle_t t = g.svc[j].task;
		if ((g.man.svc[j].grants & MAN_G_VMGR_PORT) && t &&
		    sys_object_wait(t, DEADLINE_POLL, &st) < 0)
			return j;
	}
	return -1;
}

/* Asks vmgr to lend `bytes` of its pool to task (VMGR_GIVE_QUOTA, a call
 * on the control endpoint with a MANAGE handle it closes): 0 or why not. */
static long vmgr_give(handle_t task, uint64_t bytes)
{
	handle_t h;
	long r = sys_handle_dup(task, RIGHT_MANAGE | RIGHT_TRANSFER, &h);
	if (r < 0)
		return r;
	struct vmgr_req rq = {.op = VMGR_GIVE_QUOTA, .b = bytes};
	struct vmgr_resp rs = {0};
	struct port_msg m = {
		.data = &rq, .len = sizeof(rq), .nhandles = 1, .handles = &h};
	struct port_rx rx = {.buf = &rs, .cap = sizeof(rs)};
	r = sys_port_call(g.vmgr_ctl, &m, &rx,
			  (uint64_t)sys_clock_now() + VMGR_CALL_NS);
	if (r < 0) {
		sys_handle_close(h); /* not sent: still ours (else stale) */
		return r;
	}
	return rx.len >= sizeof(rs.err) ? rs.err : ERR_INVALID_ARGS;
}

/* Whether entry j's quota comes out of vmgr's pool (VMGR_GIVE_QUOTA). */
static bool lent(int j)
{
	const struct man_svc *s = &g.man.svc[j];
	return s->ok && !(s->grants & MAN_G_VMGR_PORT) && j != g.names_svc &&
	       s->memory > 2 * SVC_BASE_QUOTA;
}

/* A vmgr instance got a pool: split it over every entry it lends to
 * (quota_plan.h), once, and say how when it cuts. */
static void plan_quotas(uint64_t pool)
{
	uint64_t ask[MAN_MAX_SVC] = {0}, min[MAN_MAX_SVC] = {0},
		 grant[MAN_MAX_SVC] = {0};
	int idx[MAN_MAX_SVC], n = 0;
	for (int j = 0; j < g.man.n; j++) {
		g.svc[j].plan = 0;
		if (!lent(j))
			continue;
		idx[n] = j;
		ask[n] = g.man.svc[j].memory;
		min[n++] = g.man.svc[j].memory_min;
	}
	struct qplan p = qplan_make(pool, SVC_BASE_QUOTA, n, ask, min, grant);
	for (int k = 0; k < n; k++)
		g.svc[idx[k]].plan = grant[k];
	if (p.kind == QPLAN_SHARED)
		say("memory: vmgr's pool %llu KiB < %llu KiB asked: each "
		    "service "
		    "gets its min + %u.%u%% of the rest (mins %llu KiB, 1/8 of "
		    "the pool kept)",
		    (unsigned long long)(pool >> 10),
		    (unsigned long long)(p.ask >> 10), p.share_ppm / 10000,
		    p.share_ppm / 1000 % 10, (unsigned long long)(p.min >> 10));
	else if (p.kind == QPLAN_MINS)
		say("memory: vmgr's pool %llu KiB < %llu KiB asked: each "
		    "service "
		    "gets its min (%llu KiB in all; %llu KiB of the pool left "
		    "for shared buffers and restarts)",
		    (unsigned long long)(pool >> 10),
		    (unsigned long long)(p.ask >> 10),
		    (unsigned long long)(p.min >> 10),
		    (unsigned long long)((pool - p.min) >> 10));
	else if (p.kind == QPLAN_SHORT)
		say("memory: vmgr's pool %llu KiB < the services' mins %llu "
		    "KiB: each asks its min, not all will start",
		    (unsigned long long)(pool >> 10),
		    (unsigned long long)(p.min >> 10));
}

/* Service i cannot get even its minimum: said once until it starts again
 * (the supervisor still retries with backoff and reports `failed`). */
static void no_fit(int i, long r)
{
	const struct man_svc *s = &g.man.svc[i];
	struct kernel_stats ks;
	if (g.svc[i].nofit)
		return;
	g.svc[i].nofit = true;
	uint64_t freek = 0;
	if (g.sysinfo && sys_kernel_stats(g.sysinfo, &ks) == 0 &&
	    ks.mem_quota > ks.mem_used)
		freek = (ks.mem_quota - ks.mem_used) >> 10;
	say("%s: does not fit (%s): needs at least %llu KiB, vmgr's pool and "
	    "init (%llu KiB left) have less",
	    s->name, err_name(r), (unsigned long long)(s->memory_min >> 10),
	    (unsigned long long)freek);
}

/* What starting entry j costs init itself: each segment and the stack
 * are memory objects init makes, charged to it whole (docs/memory.md),
 * plus its task and thread (a page or two). */
static uint64_t image_cost(int j)
{
	char path[MAN_PROG_MAX + 8];
	const void *img;
	size_t len;
	struct elf_image e;
	snprintf(path, sizeof(path), "bin/%s", g.man.svc[j].program);
	if (!initrd_find(path, &img, &len) || elf_parse(img, len, 0, &e))
		return 0;
	uint64_t c = (e.stack_size ? e.stack_size : ELF_DEFAULT_STACK_SIZE) +
		     (16ull << 10);
	for (unsigned k = 0; k < e.nsegs; k++)
		c += e.seg[k].map_end - e.seg[k].map_start;
	return c;
}

/* vmgr's pool: all it asks for, less what init keeps: the images of the
 * lent services (charged to init, not to their quotas; a new vmgr may
 * start while they are being restarted, their old images not yet
 * freed: all are counted, and a lent service that does not fit the new
 * pool gets its quota from init once the old memory is back), 1 MiB
 * and 1/64 of what it has for its own objects (a fixed 1/8 left init too
 * little for the images on -m 64M); not below its min. */
static uint64_t pool_size(int i, uint64_t *keep_out)
{
	const struct man_svc *s = &g.man.svc[i];
	struct kernel_stats ks;
	uint64_t q = s->memory;
	*keep_out = 0;
	if (!g.sysinfo || sys_kernel_stats(g.sysinfo, &ks) < 0 ||
	    ks.mem_quota <= ks.mem_used)
		return q;
	uint64_t left = ks.mem_quota - ks.mem_used;
	uint64_t keep = left / 64 + (1ull << 20);
	for (int j = 0; j < g.man.n; j++)
		if (lent(j)) /* running ones too: they may be restarting */
			keep += image_cost(j);
	uint64_t cap =
		(left > keep ? left - keep : 0) / QPLAN_ROUND * QPLAN_ROUND;
	*keep_out = keep;
	if (q > cap)
		q = cap > s->memory_min ? cap : s->memory_min;
	return q;
}

/* The task of service i with its memory quota: lent by vmgr from its pool
 * on top of a small base (the plan's share, halved down to the entry's
 * minimum when the pool has not that much now), else carved by init:
 * halved down to the minimum so small machines still get a shell. */
long svc_make_task(int i, struct execrt_child *c, uint64_t *quota)
{
	const struct man_svc *s = &g.man.svc[i];
	uint64_t q = s->memory;
	long r;
	if (lent(i) && g.vmgr_ctl && vmgr_running() >= 0 &&
	    (r = execrt_spawn_create(s->program, SVC_BASE_QUOTA, c)) == 0) {
		if (g.svc[i].plan)
			q = g.svc[i].plan;
		r = vmgr_give(c->task, q - SVC_BASE_QUOTA);
		while (r == ERR_NO_MEMORY && q / 2 >= s->memory_min &&
		       q / 2 >= 2 * SVC_BASE_QUOTA) {
			q /= 2;
			r = vmgr_give(c->task, q - SVC_BASE_QUOTA);
		}
		if (r == ERR_NO_MEMORY && q > s->memory_min) {
			q = s->memory_min; /* halving stepped over it */
			r = vmgr_give(c->task, q - SVC_BASE_QUOTA);
		}
		if (r == 0) {
			if (q < s->memory)
				say("%s: memory quota cut to %llu KiB (%llu "
				    "KiB asked, min %llu KiB): %s",
				    s->name, (unsigned long long)(q >> 10),
				    (unsigned long long)(s->memory >> 10),
				    (unsigned long long)(s->memory_min >> 10),
				    q < g.svc[i].plan
					    ? "vmgr's pool has no more now"
					    : "vmgr's pool, split by the plan");
			g.svc[i].nofit = false;
			*quota = q;
			return 0;
		}
		if (r != ERR_NO_MEMORY)
			say("%s: vmgr lent no quota (%s): init gives it",
			    s->name, err_name(r));
		execrt_spawn_abort(c);
		q = s->memory_min; /* init's own reserve is small */
		if (r != ERR_NO_MEMORY)
			q = s->memory;
	}
	bool pool = s->grants & MAN_G_VMGR_PORT;
	uint64_t keep = 0;
	if (pool)
		q = pool_size(i, &keep);
	r = execrt_spawn_create(s->program, q, c);
	while (r == ERR_NO_MEMORY && q / 2 >= s->memory_min && q / 2 >= 4096) {
		q /= 2;
		r = execrt_spawn_create(s->program, q, c);
	}
	if (r == ERR_NO_MEMORY && q > s->memory_min) {
		q = s->memory_min;
		r = execrt_spawn_create(s->program, q, c);
	}
	if (r < 0) {
		if (r == ERR_NO_MEMORY)
			no_fit(i, r);
		return r;
	}
	if (q < s->memory && pool)
		say("%s: pool cut to %llu KiB (%llu KiB asked, min %llu KiB): "
		    "init keeps %llu KiB (the services' program images and a "
		    "margin)",
		    s->name, (unsigned long long)(q >> 10),
		    (unsigned long long)(s->memory >> 10),
		    (unsigned long long)(s->memory_min >> 10),
		    (unsigned long long)(keep >> 10));
	else if (q < s->memory)
		say("%s: memory quota cut to %llu KiB (%llu KiB asked, min "
		    "%llu KiB): %s",
		    s->name, (unsigned long long)(q >> 10),
		    (unsigned long long)(s->memory >> 10),
		    (unsigned long long)(s->memory_min >> 10),
		    lent(i) ? "vmgr's pool has no more, init gives it"
			    : "init has no more");
	if (pool)
		plan_quotas(q);
	g.svc[i].nofit = false;
	*quota = q;
	return 0;
}
