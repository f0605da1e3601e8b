/* Starting a service (docs/system.md "What a service gets"): its own task
 * with its memory quota, CPU quota and class, and in its start handles
 * only what its entry grants, narrowed: derived I/O-port / MMIO / IRQ
 * resources, a derived scheduling authority, a names endpoint with a
 * fresh badge whose ACL init sets first, a log port. Its end is signalled
 * on init's notification (SYS_OBJECT_NOTIFY). */
#include <stdio.h>
#include <string.h>

#include <execrt/cpio.h>
#include <execrt/elf_load.h>
#include <execrt/spawn.h>
#include <execrt/sys.h>
#include <execrt/vmgr_proto.h>

#include "cl_ports.h"
#include "json.h"
#include "plat.h"
#include "quota_plan.h"

bool initrd_find(const char *path, const void **data, size_t *len)
{
	struct cpio_file f;
	if (!g.initrd)
		return false;
	if (cpio_find(g.initrd, g.initrd_len, path, &f) != CPIO_OK) {
		const char *base = strrchr(path, '/'); /* flat initrds */
		if (!base ||
		    cpio_find(g.initrd, g.initrd_len, base + 1, &f) != CPIO_OK)
			return false;
	}
	*data = f.data;
	*len = f.size;
	return true;
}

/* Whether the names task is alive now: a call to a dead names would
 * wait in its port (init holds the receive side) until the deadline. */
static bool names_alive(void)
{
	int64_t st;
	if (!g.names_ctl)
		return false;
	if (g.names_svc < 0)
		return true; /* the port's server is not ours to watch */
	handle_t t = g.svc[g.names_svc].task;
	return t && sys_object_wait(t, DEADLINE_POLL, &st) < 0;
}

/* A control call to names: 0, or an error (reported by the caller). */
static long names_call(const char *req, const handle_t *h, uint32_t nh)
{
	static struct cl_resp r;
	if (!names_alive())
		return CL_ERR_CONN;
	struct cl_conn c = {.send = g.names_ctl};
	long e = cl_request_ex(&c, req, h, nh,
			       (uint64_t)sys_clock_now() + NAMES_CALL_NS, &r);
	cl_resp_close(&r);
	return e;
}

static void w_patterns(struct json_w *w, const char *key,
		       const char (*p)[MAN_PATLEN], int n)
{
	json_w_key(w, key);
	json_w_arr(w);
	for (int i = 0; i < n; i++)
		json_w_str(w, p[i]);
	json_w_end(w);
}

static long names_acl(uint64_t badge, const char (*reg)[MAN_PATLEN], int nreg,
		      const char (*look)[MAN_PATLEN], int nlook)
{
	char req[1400];
	struct json_w w;
	json_w_init(&w, req, sizeof(req));
	json_w_obj(&w);
	json_w_key(&w, "cmd");
	json_w_str(&w, "acl");
	json_w_key(&w, "badge");
	json_w_uint(&w, badge);
	w_patterns(&w, "register", reg, nreg);
	w_patterns(&w, "lookup", look, nlook);
	json_w_end(&w);
	if (json_w_finish(&w) < 0)
		return CL_ERR_SPACE;
	return names_call(req, NULL, 0);
}

bool names_up(void)
{
	if (!g.names_ctl)
		return false;
	if (g.names_svc < 0)
		return true; /* a names port we were given: assumed served */
	return g.svc[g.names_svc].task != HANDLE_INVALID;
}

void names_setup(void)
{
	long e;
	g.names_ready = false;
	if (!names_up())
		return;
	/* Badge 1 may do everything; every running service's ACL again: a
	 * new names knows none. */
	for (int i = 0; i < g.man.n; i++) {
		const struct man_svc *s = &g.man.svc[i];
		if (g.svc[i].badge && g.svc[i].task &&
		    (e = names_acl(g.svc[i].badge, s->reg, s->nreg, s->look,
				   s->nlook)) < 0)
			say("names: acl for %s: %s", s->name,
			    cl_strerror((cl_err_t)e));
	}
	handle_t send;
	if (sys_port_mint(g.init_recv, 0, &send) < 0)
		return;
	char req[96];
	snprintf(req, sizeof(req),
		 "{\"cmd\":\"register\",\"name\":\"%s\",\"port\":0}",
		 INIT_NAME);
	e = names_call(req, &send, 1);
	if (e < 0) {
		sys_handle_close(send); /* still ours when not sent */
		say("names: register %s: %s", INIT_NAME,
		    cl_strerror((cl_err_t)e));
	}
	/* Refused is final (until names restarts); no answer: try again. */
	g.names_ready = e != CL_ERR_CONN && e != CL_ERR_TIMEOUT;
}

/* names forgets service i's badge (its instance ended, or never
 * started after names was told its acl). */
static void names_forget(int i)
{
	struct svc_plat *p = &g.svc[i];
	if (p->badge && names_up()) {
		char req[64];
		snprintf(req, sizeof(req),
			 "{\"cmd\":\"forget\",\"badge\":%llu}",
			 (unsigned long long)p->badge);
		long e = names_call(req, NULL, 0);
		if (e < 0)
			say("names: forget %s: %s", g.man.svc[i].name,
			    cl_strerror((cl_err_t)e));
	}
	p->badge = 0;
}

/* The handles a start made for the child; closed once it has its own. */
struct temps {
	handle_t h[START_H_COUNT];
	int n;
};

static handle_t keep(struct temps *t, handle_t h)
{
	t->h[t->n++] = h;
	return h;
}

static long derive(handle_t auth, uint64_t base, uint64_t size, struct temps *t,
		   handle_t *out)
{
	if (!auth)
		return ERR_ACCESS_DENIED; /* init was not given it */
	long r = sys_resource_derive(auth, base, size, RIGHT_SAME, out);
	if (r == 0)
		keep(t, *out);
	return r;
}

static uint64_t koid_of(handle_t h)
{
	struct handle_info hi;
	return h && sys_handle_info(h, &hi) == 0 ? hi.koid : 0;
}

/* Tells vmgr the ledger limit of task koid (0: its default again): a
 * send on the control endpoint, so init never waits for vmgr. */
static void vmgr_limit(const char *name, uint64_t koid, uint64_t bytes)
{
	if (!g.vmgr_ctl) { /* vmgr gets it when it starts */
		bool any = false;
		for (int j = 0; j < g.man.n; j++)
			any |= (g.man.svc[j].grants & MAN_G_VMGR_PORT) != 0;
		if (bytes && !any)
			say("%s: shared %llu KiB not set: no vmgr-port entry",
			    name, (unsigned long long)(bytes >> 10));
		return;
	}
	struct vmgr_req rq = {.op = VMGR_SET_LIMIT, .a = koid, .b = bytes};
	struct port_msg m = {.data = &rq, .len = sizeof(rq)};
	long r = sys_port_send(g.vmgr_ctl, &m, DEADLINE_POLL);
	if (r < 0 && bytes)
		say("%s: shared limit not sent to vmgr: %s", name, err_name(r));
}

/* A new vmgr knows no limits: every running service's, before any
 * client can reach it. */
static void vmgr_limits_all(void)
{
	for (int j = 0; j < g.man.n; j++)
		if (g.man.svc[j].shared && g.svc[j].task)
			vmgr_limit(g.man.svc[j].name, koid_of(g.svc[j].task),
				   g.man.svc[j].shared);
}

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
	uint64_t ask[MAN_MAX_SVC], min[MAN_MAX_SVC], grant[MAN_MAX_SVC];
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
static long make_task(int i, struct execrt_child *c, uint64_t *quota)
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
		    "%llu KiB): init has no more",
		    s->name, (unsigned long long)(q >> 10),
		    (unsigned long long)(s->memory >> 10),
		    (unsigned long long)(s->memory_min >> 10));
	if (pool)
		plan_quotas(q);
	g.svc[i].nofit = false;
	*quota = q;
	return 0;
}

/* vmgr-port: init makes vmgr's port, keeps a control endpoint (badge
 * VMGR_CTL_BADGE) and gives vmgr the receive handle. */
static long vmgr_port(struct temps *t, struct execrt_spawn_args *a)
{
	handle_t recv, send, ctl;
	long r = sys_port_create(0, &recv, &send);
	if (r < 0)
		return r;
	keep(t, send); /* vmgr mints its own */
	a->give[START_H_SERVICE] = keep(t, recv);
	if ((r = sys_port_mint(recv, VMGR_CTL_BADGE, &ctl)) < 0)
		return r;
	if (g.vmgr_ctl)
		sys_handle_close(g.vmgr_ctl);
	g.vmgr_ctl = ctl;
	vmgr_limits_all();
	return 0;
}

/* Fills a->give per the entry. */
static long grants(int i, struct execrt_child *c, struct execrt_spawn_args *a,
		   struct temps *t)
{
	const struct man_svc *s = &g.man.svc[i];
	struct svc_plat *p = &g.svc[i];
	long r;
	if (s->grants & MAN_G_KCONSOLE) {
		a->give[START_H_CONSOLE] = g.kconsole;
	} else if ((s->grants & MAN_G_TOCONSOLE) &&
		   logd_console((uint64_t)sys_clock_now() + CONSOLE_WAIT_NS)) {
		a->give[START_H_CONSOLE] = g.console_send;
	} else {
		handle_t send;
		if ((r = sys_port_create(0, &p->log, &send)) < 0)
			return r;
		a->give[START_H_CONSOLE] = keep(t, send);
		if ((r = sys_port_bind_notif(p->log, g.notif, BIT_LOGS)) < 0)
			return r;
	}
	static const struct {
		uint32_t grant;
		int slot;
		handle_t *h;
	} plain[] = {
		{MAN_G_INITRD, START_H_INITRD, &g.initrd_vmo},
		{MAN_G_BOOTINFO, START_H_BOOTINFO, &g.bootinfo_vmo},
		{MAN_G_ACPI, START_H_ACPI, &g.acpi_vmo},
		{MAN_G_MMIO_ALL, START_H_MMIO, &g.mmio},
		{MAN_G_IOPORT_ALL, START_H_IOPORT, &g.ioport},
		{MAN_G_SYSINFO, START_H_SYSINFO, &g.sysinfo},
		{MAN_G_TELEMETRY, START_H_TELEMETRY, &g.telemetry},
		{MAN_G_NAMES_PORT, START_H_SERVICE, &g.names_recv},
	};
	for (unsigned k = 0; k < sizeof(plain) / sizeof(plain[0]); k++) {
		if (!(s->grants & plain[k].grant))
			continue;
		if (!*plain[k].h)
			return ERR_ACCESS_DENIED;
		a->give[plain[k].slot] = *plain[k].h;
	}
	if (s->ioport.size) {
		if (power_port_overlap(s->ioport.base, s->ioport.size))
			return ERR_ACCESS_DENIED;
		if ((r = derive(g.ioport, s->ioport.base, s->ioport.size, t,
				&a->give[START_H_IOPORT])) < 0)
			return r;
	}
	if (s->mmio.size && (r = derive(g.mmio, s->mmio.base, s->mmio.size, t,
					&a->give[START_H_MMIO])) < 0)
		return r;
	if (s->dma &&
	    (r = derive(g.dma, 0, s->dma, t, &a->give[START_H_DMA])) < 0)
		return r;
	if (s->pci.size && (r = derive(g.pci, s->pci.base, s->pci.size, t,
				       &a->give[START_H_PCI])) < 0)
		return r;
	if (s->irq.size || s->irq_isa >= 0) {
		uint64_t gsi = s->irq_isa >= 0 ? g.boot.isa_gsi[s->irq_isa]
					       : s->irq.base;
		uint64_t n = s->irq_isa >= 0 ? 1 : s->irq.size; /* all: 256 */
		if ((r = derive(g.irq, gsi, n, t, &a->give[START_H_IRQ])) < 0)
			return r;
	}
	if (s->sched_set) {
		handle_t h;
		if (!g.sched)
			return ERR_ACCESS_DENIED;
		if ((r = sys_sched_auth_derive(g.sched, &s->sched, &h)) < 0)
			return r;
		a->give[START_H_SCHED] = keep(t, h);
	}
	if (g.names_recv && !(s->grants & MAN_G_NAMES_PORT)) {
		handle_t h;
		uint64_t badge = g.next_badge++;
		if ((r = sys_port_mint(g.names_recv, badge, &h)) < 0)
			return r;
		a->give[START_H_NAMES] = keep(t, h);
		p->badge = badge;
		if (names_up() && (r = names_acl(badge, s->reg, s->nreg,
						 s->look, s->nlook)) < 0)
			say("names: acl for %s: %s", s->name,
			    cl_strerror((cl_err_t)r));
	}
	if ((s->grants & MAN_G_VMGR_PORT) && (r = vmgr_port(t, a)) < 0)
		return r;
	/* Before it runs: its first buffer is already checked against it. */
	if (s->shared)
		vmgr_limit(s->name, koid_of(c->task), s->shared);
	if (s->cpu_runtime_ns &&
	    (r = sys_task_set_cpu_quota(g.sched, c->task, s->cpu_runtime_ns,
					s->cpu_period_ns)) < 0)
		return r;
	bool be_default = s->cls.cls == SCHED_CLASS_BE &&
			  s->cls.weight == SCHED_BE_WEIGHT_DEFAULT;
	if (!be_default && (r = sys_sched_set(g.sched, c->thread, &s->cls)) < 0)
		return r;
	return 0;
}

/* names was started again: the endpoints services had registered died
 * with the old instance (its table was its memory), and they register
 * only when they start. Restart each running service that may register
 * a name, so it registers with the new names (the console among them:
 * the shell, whose output is the console, follows it). */
static void reregister(int names)
{
	uint64_t now = (uint64_t)sys_clock_now();
	for (int j = 0; j < g.man.n; j++) {
		enum sup_state st = g.sup.s[j].state;
		if (j == names || !g.man.svc[j].nreg ||
		    (st != SUP_STARTING && st != SUP_RUNNING))
			continue;
		say("%s: restarted, to register again with the new names",
		    g.man.svc[j].name);
		sup_cmd(&g.sup, j, SUP_CMD_RESTART, now);
	}
}

long svc_start(void *ctx, int i, uint64_t *koid)
{
	(void)ctx;
	const struct man_svc *s = &g.man.svc[i];
	struct svc_plat *p = &g.svc[i];
	char path[MAN_PROG_MAX + 8];
	const void *img;
	size_t len;
	snprintf(path, sizeof(path), "bin/%s", s->program);
	if (!initrd_find(path, &img, &len)) {
		say("%s: program %s not found", s->name, path);
		return ERR_NOT_FOUND;
	}
	struct execrt_child c;
	uint64_t quota;
	long r = make_task(i, &c, &quota);
	if (r < 0) {
		if (r != ERR_NO_MEMORY) /* else no_fit() said it */
			say("%s: task: %s", s->name, err_name(r));
		return r;
	}
	struct temps t = {.n = 0};
	struct execrt_spawn_args a = {.image = img,
				      .image_len = len,
				      .cmdline = s->cmdline,
				      .quota = quota};
	int perr = 0;
	p->badge = 0;
	r = grants(i, &c, &a, &t);
	if (r == 0)
		r = sys_object_notify(c.task, g.notif,
				      1ull << (i % BIT_SVC_SLOTS));
	if (r == 0)
		r = execrt_spawn_start(&c, &a, &perr);
	for (int k = 0; k < t.n; k++)
		sys_handle_close(t.h[k]);
	if (r < 0) {
		say("%s: start: %s%s%s", s->name, err_name(r), perr ? " " : "",
		    perr ? elf_strerror(perr) : "");
		execrt_spawn_abort(&c);
		logd_close(i);
		names_forget(i); /* its acl is in names already */
		return r;
	}
	struct handle_info hi = {0};
	sys_handle_info(c.task, &hi);
	p->task = c.task;
	p->thread = c.thread;
	*koid = hi.koid;
	if (i == g.names_svc) { /* before anything that needs names starts */
		names_setup();
		if (g.sup.s[i].generation > 1)
			reregister(i);
	}
	return 0;
}

void svc_kill(void *ctx, int i)
{
	(void)ctx;
	if (g.svc[i].task)
		sys_task_kill(g.svc[i].task, -1);
}

/* Service i's task ended: its last output, names forgets its badge,
 * then the supervisor decides. */
static void reaped(int i, int64_t status)
{
	struct svc_plat *p = &g.svc[i];
	const struct man_svc *s = &g.man.svc[i];
	uint64_t gen = g.sup.s[i].generation;
	logd_close(i);
	if (logd_is_console(i))
		logd_console_gone();
	if (s->shared) /* vmgr forgets it */
		vmgr_limit(s->name, koid_of(p->task), 0);
	if ((s->grants & MAN_G_VMGR_PORT) && g.vmgr_ctl) {
		sys_handle_close(g.vmgr_ctl); /* its port died with it */
		g.vmgr_ctl = HANDLE_INVALID;
	}
	sys_handle_close(p->thread);
	sys_handle_close(p->task);
	p->task = p->thread = HANDLE_INVALID;
	if (i == g.names_svc)
		g.names_ready = false;
	else
		names_forget(i);
	p->badge = 0;
	uint64_t now = (uint64_t)sys_clock_now();
	sup_exited(&g.sup, i, status, now);
	const struct sup_svc *ss = &g.sup.s[i];
	if (ss->state == SUP_BACKOFF)
		say("%s exited (status %lld, generation %llu); restart in "
		    "%llu ms",
		    s->name, (long long)status, (unsigned long long)gen,
		    (unsigned long long)((ss->due_ns - now) / MS));
	else if (ss->state != SUP_WAITING)
		say("%s exited (status %lld, generation %llu): %s", s->name,
		    (long long)status, (unsigned long long)gen,
		    sup_state_name(ss->state));
}

bool svc_reap(uint64_t bits)
{
	bool any = false;
	for (int i = 0; i < g.man.n; i++) {
		int64_t st = 0;
		if (!g.svc[i].task || !(bits & (1ull << (i % BIT_SVC_SLOTS))) ||
		    sys_object_wait(g.svc[i].task, DEADLINE_POLL, &st) < 0)
			continue;
		reaped(i, st);
		any = true;
	}
	return any;
}
