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

/* Registers an endpoint of init's port (badge) as name. */
static long register_init(const char *name, uint64_t badge)
{
	handle_t send;
	long e = sys_port_mint(g.init_recv, badge, &send);
	if (e < 0)
		return e;
	char req[96];
	snprintf(req, sizeof(req),
		 "{\"cmd\":\"register\",\"name\":\"%s\",\"port\":0}", name);
	e = names_call(req, &send, 1);
	if (e < 0) {
		sys_handle_close(send); /* still ours when not sent */
		say("names: register %s: %s", name, cl_strerror((cl_err_t)e));
	}
	return e;
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
	e = register_init(INIT_NAME, 0);
	if (e >= 0)
		e = register_init(INIT_CTL_NAME, INIT_CTL_BADGE);
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
		{MAN_G_CONTROL, START_H_SERVICE, &g.init_ctl},
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
	long r = svc_make_task(i, &c, &quota);
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
