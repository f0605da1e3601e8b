/* The supervisor (servers/init) run as a child task with a test manifest
 * (tests/guest/etc/test-init-*.conf): a service crashing 100 times is
 * restarted each time with backoff while another keeps answering; an
 * in-flight call to a dying service ends in ERR_PEER_CLOSED and the
 * restarted one answers; manifest errors are reported with file:line and
 * the good entry still starts; a log ring overflowing counts its drops.
 * The test gives the child init a names port at START_H_SERVICE and
 * answers it itself (a thread playing the name service: acl, forget,
 * register), so it sees what init tells names and gets /svc/init. The
 * harness checks that the kernel's counters come back once the child
 * init is killed (its services die with it). */
#include <string.h>

#include <execrt/cpio.h>
#include <execrt/spawn.h>
#include <execrt/vmgr_proto.h>

#include "cl_ports.h"
#include "fsd_env.h"
#include "gtest.h"
#include "gutil.h"

#define INIT_QUOTA (48ull << 20)
#define MAX_REG	   16
#define MAX_KEPT   512
#define OUT_KEEP   16384

/* The fake name service, run by a thread (no stdio there). */
struct fakens {
	handle_t recv, out, notif;
	int stop;
	int acls, forgets, registers;
	int close_old; /* a name registered again: close the old handle */
	struct {
		char name[32];
		handle_t h;
		int count;
	} reg[MAX_REG];
	int nreg;
	handle_t kept[MAX_KEPT]; /* every handle received, closed at the end */
	int nkept;
	char outbuf[OUT_KEEP]; /* the start of init's output */
	int outlen;
};

struct ienv {
	struct execrt_child init;
	struct fakens ns;
	struct gthread th;
	bool th_running;
};

static struct ienv env;
static struct cl_resp resp;

static int aload(const int *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void ns_reply(handle_t reply, bool ok)
{
	static const char yes[] = "{\"ok\":true,\"result\":{}}";
	static const char no[] =
		"{\"ok\":false,\"error\":{\"code\":\"NOT_FOUND\","
		"\"message\":\"fake names\"}}";
	struct port_msg m = {.data = ok ? yes : no,
			     .len = ok ? sizeof(yes) - 1 : sizeof(no) - 1};
	if (sys_port_reply(reply, &m) < 0)
		sys_handle_close(reply);
}

static void ns_register(struct fakens *ns, const char *buf, uint32_t len,
			handle_t h)
{
	const char *k = "\"name\":\"";
	const char *p = NULL;
	for (uint32_t i = 0; i + 8 <= len && !p; i++)
		if (!memcmp(buf + i, k, 8))
			p = buf + i + 8;
	if (!p)
		return;
	char name[32];
	size_t n = 0;
	while (p + n < buf + len && p[n] != '"' && n < sizeof(name) - 1)
		n++;
	memcpy(name, p, n);
	name[n] = 0;
	int slot = -1;
	for (int i = 0; i < ns->nreg && slot < 0; i++)
		if (!strcmp(ns->reg[i].name, name))
			slot = i;
	if (slot < 0 && ns->nreg < MAX_REG) {
		slot = ns->nreg;
		memcpy(ns->reg[slot].name, name, n + 1);
		__atomic_store_n(&ns->nreg, slot + 1, __ATOMIC_RELEASE);
	}
	if (slot < 0)
		return;
	handle_t old = ns->reg[slot].h;
	/* The old one is also in kept: closed twice, harmless. */
	if (old && aload(&ns->close_old))
		sys_handle_close(old);
	__atomic_store_n(&ns->reg[slot].h, h, __ATOMIC_RELEASE);
	__atomic_add_fetch(&ns->reg[slot].count, 1, __ATOMIC_ACQ_REL);
}

static bool has(const char *buf, uint32_t len, const char *s)
{
	size_t n = strlen(s);
	for (uint32_t i = 0; i + n <= len; i++)
		if (!memcmp(buf + i, s, n))
			return true;
	return false;
}

static int64_t fakens_main(uint64_t arg)
{
	struct fakens *ns = (struct fakens *)arg;
	static char buf[PORT_MSG_MAX];
	while (!aload(&ns->stop)) {
		uint64_t bits;
		sys_notif_wait(ns->notif, 3, g_now() + 5 * MS, &bits);
		for (;;) { /* init's output: keep the start */
			struct port_rx rx = {.buf = buf, .cap = sizeof(buf)};
			handle_t h[PORT_HANDLES_MAX];
			rx.handles = h;
			rx.hcap = PORT_HANDLES_MAX;
			if (sys_port_recv(ns->out, &rx, DEADLINE_POLL) < 0)
				break;
			uint32_t room = OUT_KEEP - 1 - (uint32_t)ns->outlen;
			uint32_t n = rx.len < room ? rx.len : room;
			memcpy(ns->outbuf + ns->outlen, buf, n);
			__atomic_store_n(&ns->outlen, ns->outlen + (int)n,
					 __ATOMIC_RELEASE);
		}
		for (;;) {
			handle_t h[PORT_HANDLES_MAX];
			struct port_rx rx = {.buf = buf,
					     .cap = sizeof(buf),
					     .handles = h,
					     .hcap = PORT_HANDLES_MAX};
			if (sys_port_recv(ns->recv, &rx, DEADLINE_POLL) < 0)
				break;
			for (uint32_t i = 0; i < rx.nhandles; i++)
				if (ns->nkept < MAX_KEPT)
					ns->kept[ns->nkept++] = h[i];
				else
					sys_handle_close(h[i]);
			if (!rx.reply)
				continue;
			bool ok = true;
			if (has(buf, rx.len, "\"cmd\":\"acl\""))
				__atomic_add_fetch(&ns->acls, 1,
						   __ATOMIC_ACQ_REL);
			else if (has(buf, rx.len, "\"cmd\":\"forget\""))
				__atomic_add_fetch(&ns->forgets, 1,
						   __ATOMIC_ACQ_REL);
			else if (has(buf, rx.len, "\"cmd\":\"register\"") &&
				 rx.nhandles == 1)
				ns_register(ns, buf, rx.len, h[0]);
			else
				ok = false;
			ns_reply(rx.reply, ok);
		}
	}
	return 0;
}

/* The latest handle registered under name, and how many times it was. */
static handle_t reg_handle(const char *name, int *count)
{
	struct fakens *ns = &env.ns;
	int n = aload(&ns->nreg);
	for (int i = 0; i < n; i++) {
		if (strcmp(ns->reg[i].name, name))
			continue;
		if (count)
			*count = aload(&ns->reg[i].count);
		return __atomic_load_n(&ns->reg[i].h, __ATOMIC_ACQUIRE);
	}
	if (count)
		*count = 0;
	return HANDLE_INVALID;
}

/* Waits up to timeout for name to be registered at least `times`. */
static handle_t wait_reg(const char *name, int times, uint64_t timeout)
{
	uint64_t end = g_now() + timeout;
	for (;;) {
		int c;
		handle_t h = reg_handle(name, &c);
		if (h && c >= times)
			return h;
		if (g_now() > end)
			return HANDLE_INVALID;
		sys_sleep_until(g_now() + 2 * MS);
	}
}

static void env_stop(void)
{
	int64_t st;
	if (env.init.task) {
		sys_task_kill(env.init.task, -1);
		sys_object_wait(env.init.task, DEADLINE_NONE, &st);
		sys_handle_close(env.init.thread);
		sys_handle_close(env.init.task);
	}
	if (env.th_running) {
		__atomic_store_n(&env.ns.stop, 1, __ATOMIC_RELEASE);
		gthread_join(&env.th, DEADLINE_NONE, &st);
	}
	for (int i = 0; i < env.ns.nkept; i++)
		sys_handle_close(env.ns.kept[i]);
	sys_handle_close(env.ns.recv);
	sys_handle_close(env.ns.out);
	sys_handle_close(env.ns.notif);
	memset(&env, 0, sizeof(env));
}

/* A child init with manifest etc/<conf>; 0 or an error. With devices,
 * it also gets this task's I/O-port, IRQ, MMIO and scheduling authorities
 * (the root task's, unnarrowed) and the ACPI tables, as init has them at
 * boot. */
static long env_start_ex(const char *conf, bool devices)
{
	memset(&env, 0, sizeof(env));
	struct fakens *ns = &env.ns;
	handle_t ns_send, out_send;
	struct cpio_file f;
	long r;
	if (cpio_find(g_initrd_buf, g_initrd_len, "bin/init", &f) != CPIO_OK)
		return ERR_NOT_FOUND;
	if ((r = sys_port_create(0, &ns->recv, &ns_send)) < 0)
		return r;
	sys_handle_close(ns_send);
	if ((r = sys_port_create(0, &ns->out, &out_send)) < 0)
		return r;
	if ((r = sys_notif_create(&ns->notif)) < 0 ||
	    (r = sys_port_bind_notif(ns->recv, ns->notif, 1)) < 0 ||
	    (r = sys_port_bind_notif(ns->out, ns->notif, 2)) < 0 ||
	    (r = gthread_start(&env.th, fakens_main, (uint64_t)ns)) < 0) {
		sys_handle_close(out_send);
		return r;
	}
	env.th_running = true;
	char cmd[96];
	snprintf(cmd, sizeof(cmd), "init --manifest etc/%s", conf);
	struct execrt_spawn_args a = {.image = f.data,
				      .image_len = f.size,
				      .cmdline = cmd,
				      .quota = INIT_QUOTA};
	a.give[START_H_CONSOLE] = out_send;
	a.give[START_H_INITRD] = g_initrd();
	a.give[START_H_SERVICE] = ns->recv;
	if (devices) {
		a.give[START_H_IOPORT] = execrt_handle(START_H_IOPORT);
		a.give[START_H_IRQ] = execrt_handle(START_H_IRQ);
		a.give[START_H_SCHED] = g_sched();
		a.give[START_H_MMIO] = execrt_handle(START_H_MMIO);
		a.give[START_H_ACPI] = execrt_handle(START_H_ACPI);
		a.give[START_H_PCI] = execrt_handle(START_H_PCI);
	}
	r = execrt_spawn_create("init", INIT_QUOTA, &env.init);
	if (r == 0 && (r = execrt_spawn_start(&env.init, &a, NULL)) < 0)
		execrt_spawn_abort(&env.init);
	sys_handle_close(out_send);
	return r;
}

static long env_start(const char *conf)
{
	return env_start_ex(conf, false);
}

/* The kernel's counters before a test's child init: after it is killed
 * and everything closed they must be back exactly, frames included (the
 * harness's own check allows growth: the helper thread maps a stack). */
static struct kernel_stats base;

static void warm(void)
{
	volatile char stack[64 << 10]; /* the deepest stack the test uses */
	for (size_t i = 0; i < sizeof(stack); i += 512)
		stack[i] = 0;
	memset(&resp, 0, sizeof(resp));
}

static bool same(const struct kernel_stats *a, const struct kernel_stats *b)
{
	return a->frames_free + a->frames_cached ==
		       b->frames_free + b->frames_cached &&
	       a->kobjects_live == b->kobjects_live && a->tasks == b->tasks &&
	       a->threads == b->threads;
}

static long counters_back(void)
{
	struct kernel_stats now;
	uint64_t end = g_now() + 2000 * MS;
	for (;;) {
		long r = g_stats(&now);
		if (r < 0)
			return r;
		if (same(&base, &now))
			return 0;
		if (g_now() > end)
			break;
		sys_sleep_until(g_now() + 5 * MS);
	}
	printf("    frames %llu -> %llu, objects %llu -> %llu, tasks %llu -> "
	       "%llu\n",
	       (unsigned long long)(base.frames_free + base.frames_cached),
	       (unsigned long long)(now.frames_free + now.frames_cached),
	       (unsigned long long)base.kobjects_live,
	       (unsigned long long)now.kobjects_live,
	       (unsigned long long)base.tasks, (unsigned long long)now.tasks);
	return ERR_BAD_STATE;
}

#define START(conf)                                                            \
	do {                                                                   \
		gtest_allow_growth();                                          \
		warm();                                                        \
		GCHECK_OK(g_stats(&base));                                     \
		long _s = env_start(conf);                                     \
		if (_s < 0)                                                    \
			env_stop();                                            \
		GCHECK_OK(_s);                                                 \
	} while (0)

#define START_DEVICES(conf)                                                    \
	do {                                                                   \
		gtest_allow_growth();                                          \
		warm();                                                        \
		GCHECK_OK(g_stats(&base));                                     \
		long _s = env_start_ex(conf, true);                            \
		if (_s < 0)                                                    \
			env_stop();                                            \
		GCHECK_OK(_s);                                                 \
	} while (0)

#define STOP()                                                                 \
	do {                                                                   \
		env_stop();                                                    \
		GCHECK_OK(counters_back());                                    \
	} while (0)

static handle_t wait_reg(const char *name, int times, uint64_t timeout);

/* One request to /svc/init (resp holds the answer). init registers
 * /svc/init after it started its first services: on a loaded host that
 * can come after the services a test waits for (CI saw CL_ERR_CONN). */
static long ask_on(const char *name, const char *json)
{
	struct cl_conn c = {.send = wait_reg(name, 1, 5000 * MS)};
	if (!c.send)
		return CL_ERR_CONN;
	return cl_request(&c, json, &resp);
}

/* As init's controller: on the control endpoint it registers as
 * /drv/init-control (in the system only entries with `control` get it,
 * at START_H_SERVICE). */
static long ask_init(const char *json)
{
	return ask_on("/drv/init-control", json);
}

/* As any program sh runs: /svc/init, the read-only endpoint. */
static long ask_public(const char *json)
{
	return ask_on("/svc/init", json);
}

/* field of service `name` in the last status answer (-1: absent). */
static int64_t status_field(const char *name, const char *field)
{
	for (int i = 0; i < 32; i++) {
		char path[64], n[32];
		snprintf(path, sizeof(path), "services.%d.name", i);
		if (cl_resp_str(&resp, path, n, sizeof(n)) < 0)
			return -1;
		if (strcmp(n, name))
			continue;
		int64_t v = -1;
		snprintf(path, sizeof(path), "services.%d.%s", i, field);
		cl_resp_int(&resp, path, &v);
		return v;
	}
	return -1;
}

static bool status_state(const char *name, const char *want)
{
	for (int i = 0; i < 32; i++) {
		char path[64], n[32], st[16];
		snprintf(path, sizeof(path), "services.%d.name", i);
		if (cl_resp_str(&resp, path, n, sizeof(n)) < 0)
			return false;
		snprintf(path, sizeof(path), "services.%d.state", i);
		if (!strcmp(n, name)) {
			if (cl_resp_str(&resp, path, st, sizeof(st)) < 0)
				st[0] = 0;
			if (strcmp(st, want))
				printf("    %s: state '%s', not '%s'\n", name, st,
				       want);
			return !strcmp(st, want);
		}
	}
	printf("    %s: not in the status answer\n", name);
	return false;
}

static long ping(handle_t h, uint64_t timeout)
{
	struct cl_conn c = {.send = h};
	static const char req[] = "{\"cmd\":\"ping\"}";
	return cl_request_ex(&c, req, NULL, 0, g_now() + timeout, &resp);
}

static void crash_loop_body(void)
{
	GCHECK(wait_reg("/svc/init", 1, 5000 * MS));
	handle_t steady = wait_reg("/svc/steady", 1, 5000 * MS);
	GCHECK(steady);
	uint64_t t0 = g_now(), end = t0 + 60000 * MS;
	int64_t restarts = 0, pings = 0;
	while (restarts < 100 && g_now() < end) {
		/* The steady service answers at once all along. */
		uint64_t p0 = g_now();
		GCHECK_OK(ping(steady, 1000 * MS));
		GCHECK(g_now() - p0 < 500 * MS);
		pings++;
		GCHECK_OK(ask_init("{\"cmd\":\"status\"}"));
		restarts = status_field("crashy", "restarts");
		sys_sleep_until(g_now() + 20 * MS);
	}
	uint64_t dt = g_now() - t0;
	GCHECK(restarts >= 100);
	int64_t gen = status_field("crashy", "generation");
	GCHECK_EQ(gen, restarts + 1);
	GCHECK_EQ(status_field("crashy", "last_exit"), TASK_STATUS_FAULT(14));
	GCHECK_EQ(status_field("steady", "generation"), 1);
	GCHECK_EQ(status_field("steady", "restarts"), 0);
	/* STARTING turns RUNNING SUP_STABLE_NS (1 s) after the start: a
	 * crash loop faster than that ends while steady is still STARTING. */
	for (uint64_t until = g_now() + 3000 * MS;
	     !status_state("steady", "running") && g_now() < until;) {
		sys_sleep_until(g_now() + 50 * MS);
		GCHECK_OK(ask_init("{\"cmd\":\"status\"}"));
	}
	GCHECK(status_state("steady", "running"));
	GCHECK_EQ(status_field("steady", "generation"), 1);
	/* Backoff: at least 1 ms between starts; names forgot each one. */
	GCHECK(dt >= 100 * MS);
	GCHECK(aload(&env.ns.forgets) >= 100);
	GCHECK(aload(&env.ns.acls) >= 100);
	printf("    100 restarts in %llu ms, %lld pings of the steady "
	       "service answered meanwhile\n",
	       (unsigned long long)(dt / MS), (long long)pings);
}

GTEST(init_crash_loop_restarts_100_times)
{
	START("test-init-crash.conf");
	crash_loop_body();
	STOP();
}

struct call_arg {
	handle_t h;
	long result;
};

static int64_t inflight(uint64_t arg)
{
	struct call_arg *c = (struct call_arg *)arg;
	static const char req[] = "{\"cmd\":\"crash_in\",\"usec\":30000}";
	static char buf[PORT_MSG_MAX];
	struct port_msg m = {.data = req, .len = sizeof(req) - 1};
	struct port_rx rx = {.buf = buf, .cap = sizeof(buf)};
	c->result = sys_port_call(c->h, &m, &rx, g_now() + 5000 * MS);
	return 0;
}

static void inflight_body(void)
{
	handle_t h1 = wait_reg("/svc/crashy", 1, 5000 * MS);
	GCHECK(h1);
	GCHECK_OK(ping(h1, 2000 * MS));
	/* The call is open in the service when it dies. */
	struct call_arg c = {.h = h1, .result = 1};
	struct gthread t;
	int64_t st;
	GCHECK_OK(gthread_start(&t, inflight, (uint64_t)&c));
	GCHECK_OK(gthread_join(&t, g_now() + 10000 * MS, &st));
	GCHECK_ERR(c.result, ERR_PEER_CLOSED);
	/* The old endpoint: ERR_PEER_CLOSED at once, never a hang. */
	static char buf[PORT_MSG_MAX];
	static const char req[] = "{\"cmd\":\"ping\"}";
	struct port_msg m = {.data = req, .len = sizeof(req) - 1};
	struct port_rx rx = {.buf = buf, .cap = sizeof(buf)};
	GCHECK_ERR(sys_port_call(h1, &m, &rx, g_now() + 5000 * MS),
		   ERR_PEER_CLOSED);
	/* The restarted instance registers again and answers. */
	handle_t h2 = wait_reg("/svc/crashy", 2, 5000 * MS);
	GCHECK(h2 && h2 != h1);
	GCHECK_OK(ping(h2, 2000 * MS));
	GCHECK_OK(ask_init("{\"cmd\":\"status\"}"));
	GCHECK_EQ(status_field("crashy", "generation"), 2);
	GCHECK_EQ(status_field("crashy", "last_exit"), TASK_STATUS_FAULT(14));
	GCHECK(aload(&env.ns.forgets) >= 1);
}

GTEST(init_inflight_call_gets_peer_closed)
{
	START("test-init-serve.conf");
	inflight_body();
	STOP();
}

static bool state_is(const char *name, const char *want)
{
	return ask_init("{\"cmd\":\"status\"}") == 0 &&
	       status_state(name, want);
}

/* stop, start, restart and kill through /svc/init; poweroff refused by a
 * child init that holds no I/O ports. */
static void commands_body(void)
{
	GCHECK(wait_reg("/svc/crashy", 1, 5000 * MS));
	GCHECK(wait_reg("/svc/init", 1, 5000 * MS));
	GCHECK_OK(ask_init("{\"cmd\":\"stop\",\"name\":\"crashy\"}"));
	uint64_t end = g_now() + 5000 * MS;
	while (!state_is("crashy", "stopped") && g_now() < end)
		sys_sleep_until(g_now() + 5 * MS);
	GCHECK(status_state("crashy", "stopped"));
	GCHECK_EQ(status_field("crashy", "task"), 0);
	GCHECK_EQ(status_field("crashy", "generation"), 1);
	GCHECK_ERR(ask_init("{\"cmd\":\"stop\",\"name\":\"nope\"}"),
		   CL_ERR_REMOTE);
	GCHECK(!strcmp(resp.code, "NOT_FOUND"));
	/* start: a new instance registers again */
	GCHECK_OK(ask_init("{\"cmd\":\"start\",\"name\":\"crashy\"}"));
	handle_t h = wait_reg("/svc/crashy", 2, 5000 * MS);
	GCHECK(h);
	GCHECK_OK(ping(h, 2000 * MS));
	GCHECK_ERR(ask_init("{\"cmd\":\"start\",\"name\":\"crashy\"}"),
		   CL_ERR_REMOTE);
	GCHECK(!strcmp(resp.code, "BAD_STATE"));
	/* restart: at once, no failure counted */
	GCHECK_OK(ask_init("{\"cmd\":\"restart\",\"name\":\"crashy\"}"));
	h = wait_reg("/svc/crashy", 3, 5000 * MS);
	GCHECK(h);
	GCHECK_OK(ping(h, 2000 * MS));
	/* kill by task koid: it dies and is restarted (a failure) */
	GCHECK_OK(ask_init("{\"cmd\":\"status\"}"));
	GCHECK_EQ(status_field("crashy", "generation"), 3);
	int64_t koid = status_field("crashy", "task");
	GCHECK(koid > 0);
	char req[64];
	snprintf(req, sizeof(req), "{\"cmd\":\"kill\",\"task\":%lld}",
		 (long long)koid);
	GCHECK_OK(ask_init(req));
	GCHECK(wait_reg("/svc/crashy", 4, 5000 * MS));
	GCHECK_OK(ask_init("{\"cmd\":\"status\"}"));
	GCHECK_EQ(status_field("crashy", "generation"), 4);
	GCHECK_EQ(status_field("crashy", "last_exit"), -1);
	/* Only tasks init started. */
	snprintf(req, sizeof(req), "{\"cmd\":\"kill\",\"task\":%llu}",
		 (unsigned long long)g_koid(g_self()));
	GCHECK_ERR(ask_init(req), CL_ERR_REMOTE);
	GCHECK(!strcmp(resp.code, "NOT_FOUND"));
	GCHECK_ERR(ask_init("{\"cmd\":\"poweroff\"}"), CL_ERR_REMOTE);
	GCHECK(!strcmp(resp.code, "NOT_SUPPORTED"));
	GCHECK_ERR(ask_init("{\"cmd\":\"fly\"}"), CL_ERR_REMOTE);
	GCHECK(!strcmp(resp.code, "BAD_CMD"));
}

GTEST(init_commands_stop_start_restart_kill)
{
	START("test-init-serve.conf");
	commands_body();
	STOP();
}

/* REVIEW-18 R2: /svc/init (what every program sh runs can look up) answers
 * ping, status, logs and doctor, and refuses every command that changes
 * the system with DENIED; the control endpoint still may. Failed on the
 * old code: stop, kill and poweroff were taken from anyone. */
static void public_body(void)
{
	GCHECK(wait_reg("/svc/crashy", 1, 5000 * MS));
	GCHECK_OK(ask_public("{\"cmd\":\"ping\"}"));
	GCHECK_OK(ask_public("{\"cmd\":\"status\"}"));
	int64_t koid = status_field("crashy", "task");
	GCHECK(koid > 0);
	GCHECK_OK(ask_public("{\"cmd\":\"doctor\"}"));
	GCHECK_OK(ask_public("{\"cmd\":\"logs\",\"name\":\"crashy\"}"));
	char kill[64];
	snprintf(kill, sizeof(kill), "{\"cmd\":\"kill\",\"task\":%lld}",
		 (long long)koid);
	const char *const denied[] = {
		"{\"cmd\":\"stop\",\"name\":\"crashy\"}",
		"{\"cmd\":\"restart\",\"name\":\"crashy\"}",
		"{\"cmd\":\"start\",\"name\":\"crashy\"}",
		"{\"cmd\":\"poweroff\"}",
		"{\"cmd\":\"reboot\"}",
		kill,
	};
	for (unsigned i = 0; i < sizeof(denied) / sizeof(denied[0]); i++) {
		GCHECK_ERR(ask_public(denied[i]), CL_ERR_DENIED);
		GCHECK(!strcmp(resp.code, "DENIED"));
	}
	/* Nothing happened: the same instance runs. */
	GCHECK_OK(ask_public("{\"cmd\":\"status\"}"));
	GCHECK_EQ(status_field("crashy", "task"), koid);
	GCHECK_EQ(status_field("crashy", "generation"), 1);
	/* The controller still stops and starts it. */
	GCHECK_OK(ask_init("{\"cmd\":\"stop\",\"name\":\"crashy\"}"));
	uint64_t end = g_now() + 5000 * MS;
	while (!state_is("crashy", "stopped") && g_now() < end)
		sys_sleep_until(g_now() + 5 * MS);
	GCHECK(status_state("crashy", "stopped"));
	GCHECK_OK(ask_init("{\"cmd\":\"start\",\"name\":\"crashy\"}"));
	GCHECK(wait_reg("/svc/crashy", 2, 5000 * MS));
}

GTEST(init_public_endpoint_cannot_control)
{
	START("test-init-serve.conf");
	public_body();
	STOP();
}

static bool output_has(const char *s)
{
	int n = aload(&env.ns.outlen);
	return has(env.ns.outbuf, (uint32_t)n, s);
}

static bool doctor_has(const char *s)
{
	for (int i = 0; i < 64; i++) {
		char path[32], w[128];
		snprintf(path, sizeof(path), "warnings.%d", i);
		if (cl_resp_str(&resp, path, w, sizeof(w)) < 0)
			break;
		if (!strcmp(w, s))
			return true;
	}
	printf("    doctor does not say: %s\n", s);
	return false;
}

static void bad_manifest_body(void)
{
	static const char *const errs[] = {
		"test-init-bad.conf:8: unknown key 'colour'",
		"test-init-bad.conf:10: program 'no-such-program' not in the "
		"initrd",
		"test-init-bad.conf:13: duplicate name 'dup' (first at line "
		"11)",
		"test-init-bad.conf:15: dependency cycle: loop1 -> loop2 -> "
		"loop1",
		"test-init-bad.conf:18: dependency cycle: loop1 -> loop2 -> "
		"loop1",
		"test-init-bad.conf:23: memory: a size of at least 4K (64K, "
		"8M, "
		"1G)",
		"test-init-bad.conf:24: unknown dependency 'nobody' of "
		"'orphan'",
	};
	/* The good entry starts. */
	handle_t good = wait_reg("/svc/good", 1, 5000 * MS);
	GCHECK(good);
	GCHECK_OK(ping(good, 2000 * MS));
	GCHECK(wait_reg("/svc/init", 1, 5000 * MS));
	for (unsigned i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		if (!output_has(errs[i])) {
			printf("    not printed: %s\n", errs[i]);
			GCHECK(0);
		}
	}
	GCHECK_OK(ask_init("{\"cmd\":\"doctor\"}"));
	for (unsigned i = 0; i < sizeof(errs) / sizeof(errs[0]); i++)
		GCHECK(doctor_has(errs[i]));
	GCHECK_OK(ask_init("{\"cmd\":\"status\"}"));
	GCHECK(status_state("good", "starting") ||
	       status_state("good", "running"));
	GCHECK(status_state("typo", "bad"));
	GCHECK(status_state("loop1", "bad"));
	GCHECK(status_state("orphan", "bad"));
	GCHECK_EQ(status_field("typo", "task"), 0);
	/* Nothing bad can be started by hand either. */
	GCHECK_ERR(ask_init("{\"cmd\":\"start\",\"name\":\"typo\"}"),
		   CL_ERR_REMOTE);
	GCHECK(!strcmp(resp.code, "BAD_STATE"));
}

GTEST(init_manifest_errors_reported)
{
	START("test-init-bad.conf");
	bad_manifest_body();
	STOP();
}

static void flood_body(void)
{
	GCHECK(wait_reg("/svc/init", 1, 5000 * MS));
	/* 2000 lines of 16 bytes through a 4 KiB ring. */
	const int64_t want = 2000 * 16 - 4096;
	int64_t dropped = 0, suppressed = 0;
	uint64_t end = g_now() + 20000 * MS;
	char text[1100];
	while (g_now() < end) {
		GCHECK_OK(ask_init("{\"cmd\":\"logs\",\"name\":\"flood\","
				   "\"bytes\":1024}"));
		cl_resp_int(&resp, "dropped", &dropped);
		if (dropped == want)
			break;
		GCHECK(dropped < want);
		sys_sleep_until(g_now() + 10 * MS);
	}
	GCHECK_EQ(dropped, want);
	GCHECK_OK(cl_resp_str(&resp, "text", text, sizeof(text)));
	GCHECK_EQ(strlen(text), 1024);
	GCHECK(!strcmp(text + 1024 - 16, "flood line 1999\n"));
	GCHECK(!strncmp(text, "flood line 1936\n", 16));
	/* Far more than the console's burst: the rest was not forwarded. */
	GCHECK_OK(cl_resp_int(&resp, "suppressed", &suppressed));
	GCHECK(suppressed > 0);
	GCHECK_OK(ask_init("{\"cmd\":\"doctor\"}"));
	char w[160];
	snprintf(w, sizeof(w),
		 "flood: log dropped %lld bytes, %lld lines not shown on the "
		 "console",
		 (long long)want, (long long)suppressed);
	GCHECK(doctor_has(w));
}

GTEST(init_log_ring_overflow_counts_drops)
{
	START("test-init-flood.conf");
	flood_body();
	STOP();
}

/* No ambient authority: each service holds exactly the start handles its
 * entry grants, narrowed. "probe" has ioport 0x2f8-0x2ff, irq 3 and
 * sched be,rt prio 5; "bare" has none of them. */
static int64_t probe_int(const char *key)
{
	int64_t v = 1;
	return cl_resp_int(&resp, key, &v) < 0 ? 1 : v;
}

static int64_t slot_type(int slot)
{
	char path[32];
	snprintf(path, sizeof(path), "slots.%d.0", slot);
	return probe_int(path);
}

static long ask(handle_t h, const char *json)
{
	struct cl_conn c = {.send = h};
	return cl_request_ex(&c, json, NULL, 0, g_now() + 3000 * MS, &resp);
}

static void grants_body(void)
{
	handle_t p = wait_reg("/svc/probe", 1, 5000 * MS);
	handle_t b = wait_reg("/svc/bare", 1, 5000 * MS);
	GCHECK(p && b);
	GCHECK(wait_reg("/svc/init", 1, 5000 * MS));
	GCHECK_OK(ask_init("{\"cmd\":\"status\"}"));
	int64_t probe_koid = status_field("probe", "task");
	GCHECK(probe_koid > 0);
	GCHECK_OK(ask(p, "{\"cmd\":\"probe\"}"));
	GCHECK(resp.ok);
	/* Granted, and narrowed: COM2's ports only, GSI 3 only, RT <= 5. */
	GCHECK_EQ(slot_type(START_H_IOPORT), OBJ_RESOURCE);
	GCHECK_EQ(slot_type(START_H_IRQ), OBJ_RESOURCE);
	GCHECK_EQ(slot_type(START_H_SCHED), OBJ_SCHED_AUTH);
	GCHECK_EQ(probe_int("io_in"), 0);
	GCHECK_EQ(probe_int("io_out_of_range"), ERR_OUT_OF_RANGE);
	GCHECK_EQ(probe_int("io_power"), ERR_OUT_OF_RANGE);
	GCHECK_EQ(probe_int("irq_own"), 0);
	GCHECK(probe_int("irq_other") < 0);
	GCHECK(probe_int("rt_over") < 0);
	GCHECK_EQ(probe_int("rt_within"), 0);
	/* "acpi": the tables, read-only; "mmio all": init's own MMIO
	 * authority, the same object. */
	GCHECK_EQ(slot_type(START_H_ACPI), OBJ_VMO);
	GCHECK_EQ(probe_int("slots.19.1"), RIGHTS_ACPI);
	GCHECK_EQ(slot_type(START_H_MMIO), OBJ_RESOURCE);
	GCHECK_EQ(probe_int("mmio_koid"),
		  (int64_t)g_koid(execrt_handle(START_H_MMIO)));
	/* "pci 00:01.0": a RES_PCI reaching that function only. */
	GCHECK_EQ(slot_type(START_H_PCI), OBJ_RESOURCE);
	GCHECK_EQ(probe_int("pci_own"), 0);
	GCHECK_EQ(probe_int("pci_other"), ERR_ACCESS_DENIED);
	/* Never given: the initrd, boot information, kernel statistics,
	 * telemetry, the names receive handle. */
	static const int never[] = {START_H_INITRD, START_H_BOOTINFO,
				    START_H_SYSINFO, START_H_TELEMETRY,
				    START_H_SERVICE};
	for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++)
		GCHECK_EQ(slot_type(never[i]), OBJ_NONE);
	/* Its task handle cannot reach its supervisor: it is its own (no
	 * program but init itself may end init). */
	GCHECK_EQ(slot_type(START_H_SELF_TASK), OBJ_TASK);
	GCHECK_EQ(probe_int("self_koid"), probe_koid);
	GCHECK(probe_int("self_koid") != (int64_t)g_koid(env.init.task));

	GCHECK_OK(ask(b, "{\"cmd\":\"probe\"}"));
	GCHECK(resp.ok);
	for (int i = START_H_CONSOLE + 1; i < START_H_COUNT; i++)
		if (i != START_H_NAMES)
			GCHECK_EQ(slot_type(i), OBJ_NONE);
	GCHECK(probe_int("io_in") < 0);
	GCHECK(probe_int("pci_own") < 0);
	GCHECK(probe_int("irq_own") < 0);
	GCHECK(probe_int("rt_within") < 0);
}

GTEST(init_service_gets_only_its_grants)
{
	START_DEVICES("test-init-probe.conf");
	grants_body();
	STOP();
}

/* A start that fails after init told names the new badge's acl: names
 * must be told to forget that badge, or every failed start leaks one of
 * names' 64 acl slots for good (after enough of them no service restarted
 * later gets any rights). */
static void nostart_body(void)
{
	GCHECK(wait_reg("/svc/init", 1, 5000 * MS));
	uint64_t end = g_now() + 10000 * MS;
	while (!state_is("nostart", "failed") && g_now() < end)
		sys_sleep_until(g_now() + 5 * MS);
	GCHECK(status_state("nostart", "failed"));
	GCHECK_EQ(status_field("nostart", "generation"), 4);
	GCHECK_EQ(aload(&env.ns.acls), 4);
	GCHECK_EQ(aload(&env.ns.forgets), 4);
	GCHECK_EQ(reg_handle("/svc/nostart", NULL), HANDLE_INVALID);
}

GTEST(init_failed_start_forgets_its_badge)
{
	START("test-init-nostart.conf");
	nostart_body();
	STOP();
}

/* init's own use of the system does not grow with restarts: after 200
 * more `restart`s of a service (each a new task, log port, names badge
 * and registration), the kernel's object and frame counts and init's
 * memory use are what they were after the first 20, measured with one
 * instance up and registered both times. */
static int64_t init_mem_used(void)
{
	struct task_stats ts;
	uint64_t koid = g_koid(env.init.task);
	if (sys_task_stats(g_sysinfo(), koid - 1, &ts, 1) != 1 ||
	    ts.koid != koid)
		return -1;
	return (int64_t)ts.mem_used;
}

static long restart_n(int from, int n)
{
	for (int k = from; k < from + n; k++) {
		long r = ask_init("{\"cmd\":\"restart\",\"name\":"
				  "\"crashy\"}");
		if (r < 0)
			return r;
		handle_t h = wait_reg("/svc/crashy", k + 2, 5000 * MS);
		if (!h || ping(h, 2000 * MS) < 0)
			return ERR_TIMED_OUT;
	}
	return 0;
}

static void restarts_body(void)
{
	__atomic_store_n(&env.ns.close_old, 1, __ATOMIC_RELEASE);
	GCHECK(wait_reg("/svc/init", 1, 5000 * MS));
	GCHECK(wait_reg("/svc/crashy", 1, 5000 * MS));
	GCHECK_OK(restart_n(0, 20));
	sys_sleep_until(g_now() + 20 * MS); /* the old instance's end */
	struct kernel_stats a, b;
	GCHECK_OK(g_stats(&a));
	int64_t mem_a = init_mem_used();
	GCHECK(mem_a > 0);
	GCHECK_OK(restart_n(20, 200));
	sys_sleep_until(g_now() + 20 * MS);
	GCHECK_OK(g_stats(&b));
	int64_t mem_b = init_mem_used();
	printf("    after 20 and 220 restarts: objects %llu / %llu, frames "
	       "%llu / %llu, init's memory %lld / %lld\n",
	       (unsigned long long)a.kobjects_live,
	       (unsigned long long)b.kobjects_live,
	       (unsigned long long)(a.frames_free + a.frames_cached),
	       (unsigned long long)(b.frames_free + b.frames_cached),
	       (long long)mem_a, (long long)mem_b);
	GCHECK_EQ(b.kobjects_live, a.kobjects_live);
	GCHECK_EQ(b.tasks, a.tasks);
	GCHECK_EQ(b.threads, a.threads);
	GCHECK_EQ(mem_b, mem_a);
	GCHECK_OK(ask_init("{\"cmd\":\"status\"}"));
	GCHECK_EQ(status_field("crashy", "generation"), 221);
	GCHECK_EQ(status_field("crashy", "restarts"), 220);
}

GTEST(init_restarts_leave_nothing_behind)
{
	START("test-init-serve.conf");
	restarts_body();
	STOP();
}

/* The same crash loop while a third service prints as fast as it can:
 * the flood costs init some time per pass (its log port is drained 16
 * messages at a time), not the restarts or the steady service's
 * answers; its ring keeps the newest lines and counts the rest. */
GTEST(init_crash_loop_beside_a_flood)
{
	START("test-init-busy.conf");
	crash_loop_body();
	int64_t dropped = 0;
	GCHECK_OK(ask_init("{\"cmd\":\"logs\",\"name\":\"flood\","
			   "\"bytes\":64}"));
	GCHECK_OK(cl_resp_int(&resp, "dropped", &dropped));
	printf("    the flood's ring dropped %lld bytes meanwhile\n",
	       (long long)dropped);
	GCHECK(dropped > 0);
	STOP();
}

/* fsd (docs/fsd.md) under init: killed by the supervisor (`kill`, as a
 * crash would) while a client thread calls in a loop: the call in flight
 * or the next one fails with ERR_PEER_CLOSED, never hangs; init starts it
 * again, it registers anew, and a new connection works (its /tmp is
 * empty, its /boot whole). Then `restart` the same way. */
static handle_t fsd_loop_file;
static int fsd_loop_stop, fsd_loop_calls;
static long fsd_loop_err;

static int64_t fsd_looper(uint64_t arg)
{
	(void)arg;
	struct fans a;
	while (!aload(&fsd_loop_stop)) {
		long r = fcall(fsd_loop_file, FS_PREAD, 0, 0, 0, 4, NULL, NULL,
			       NULL, 0, NULL, 0, &a);
		if (r < 0 || a.err) {
			fsd_loop_err = r < 0 ? r : 1000 + a.err;
			return 0;
		}
		__atomic_add_fetch(&fsd_loop_calls, 1, __ATOMIC_ACQ_REL);
	}
	return 0;
}

/* One instance's turn: connect, write, loop; then kill it with cmd. */
static void fsd_round(int gen, const char *how)
{
	handle_t pub = wait_reg(FS_SVC_NAME, gen, 5000 * MS);
	GCHECK(pub);
	handle_t c = fconnect(pub);
	GCHECK(c);
	struct fans a;
	GCHECK_OK(fcall(c, FS_STAT, 0, 0, 0, 0, "/tmp/keep", NULL, NULL, 0,
			NULL, 0, &a));
	GCHECK_EQ(a.err, -FS_ENOENT); /* a fresh /tmp */
	GCHECK_OK(fcall(c, FS_STAT, 0, 0, 0, 0, "/boot/share/motd", NULL,
			NULL, 0, NULL, 0, &a));
	GCHECK_EQ(a.err, 0);
	GCHECK_OK(fcall(c, FS_OPEN, FS_O_READ | FS_O_WRITE | FS_O_CREATE, 0,
			0, 0, "/tmp/keep", NULL, NULL, 0, NULL, 0, &a));
	GCHECK_EQ(a.err, 0);
	fsd_loop_file = a.h[0];
	GCHECK_OK(fcall(fsd_loop_file, FS_WRITE, 0, 0, 0, 0, NULL, NULL,
			"data", 4, NULL, 0, &a));
	fsd_loop_stop = fsd_loop_calls = 0;
	fsd_loop_err = 0;
	struct gthread th;
	GCHECK_OK(gthread_start(&th, fsd_looper, 0));
	while (aload(&fsd_loop_calls) < 20)
		sys_sleep_until(g_now() + 1 * MS);
	GCHECK_OK(ask_init("{\"cmd\":\"status\"}"));
	int64_t koid = status_field("fsd", "task");
	char req[64];
	if (!strcmp(how, "kill"))
		snprintf(req, sizeof(req), "{\"cmd\":\"kill\",\"task\":%lld}",
			 (long long)koid);
	else
		snprintf(req, sizeof(req), "{\"cmd\":\"%s\",\"name\":\"fsd\"}",
			 how);
	GCHECK_OK(ask_init(req));
	int64_t st;
	GCHECK_OK(gthread_join(&th, g_now() + 5000 * MS, &st));
	GCHECK_EQ(fsd_loop_err, ERR_PEER_CLOSED);
	GCHECK_ERR(fcall(c, FS_NOP, 0, 0, 0, 0, NULL, NULL, NULL, 0, NULL, 0,
			 &a),
		   ERR_PEER_CLOSED);
	sys_handle_close(fsd_loop_file);
	sys_handle_close(c);
}

GTEST(init_restarts_fsd_under_a_client)
{
	START("test-init-fsd.conf");
	fsd_round(1, "kill");
	fsd_round(2, "restart");
	handle_t pub = wait_reg(FS_SVC_NAME, 3, 5000 * MS);
	GCHECK(pub);
	handle_t c = fconnect(pub);
	GCHECK(c);
	sys_handle_close(c);
	GCHECK_OK(ask_init("{\"cmd\":\"status\"}"));
	GCHECK_EQ(status_field("fsd", "generation"), 3);
	STOP();
}

/* vmgr (docs/vmgr.md) under init, as fsd above: a client thread calls its
 * connection in a loop while init kills it (then restarts it); the call
 * in flight or the next fails with ERR_PEER_CLOSED, never hangs; a shared
 * buffer it handed out stays usable; the new instance registers again and
 * takes a new connection. */
static handle_t vmgr_loop_conn;
static int vmgr_loop_stop, vmgr_loop_calls;
static long vmgr_loop_err;

static long vmgr_call(handle_t ep, uint32_t op, uint64_t a, handle_t give,
		      struct vmgr_resp *rs, handle_t *got)
{
	struct vmgr_req rq = {.op = op, .a = a};
	handle_t h[PORT_HANDLES_MAX];
	struct port_msg m = {.data = &rq,
			     .len = sizeof(rq),
			     .nhandles = give ? 1 : 0,
			     .handles = &give};
	struct port_rx rx = {.buf = rs,
			     .cap = sizeof(*rs),
			     .handles = h,
			     .hcap = PORT_HANDLES_MAX};
	long r = sys_port_call(ep, &m, &rx, g_now() + 5000 * MS);
	for (uint32_t i = 0; !r && i < rx.nhandles; i++)
		if (got && i == 0)
			*got = h[0];
		else
			sys_handle_close(h[i]);
	return r ? r : rs->err;
}

static int64_t vmgr_looper(uint64_t arg)
{
	(void)arg;
	struct vmgr_resp rs;
	while (!aload(&vmgr_loop_stop)) {
		long r = vmgr_call(vmgr_loop_conn, VMGR_INFO, 0, 0, &rs, NULL);
		if (r) {
			vmgr_loop_err = r;
			return 0;
		}
		__atomic_add_fetch(&vmgr_loop_calls, 1, __ATOMIC_ACQ_REL);
	}
	return 0;
}

/* A failed check in vmgr_round: reported, and the round ends (the test
 * still stops init, so nothing it started outlives it). */
#define VCHECK(c)                                                              \
	do {                                                                   \
		if (!(c)) {                                                    \
			gtest_fail(__FILE__, __LINE__, #c);                    \
			return -1;                                             \
		}                                                              \
	} while (0)

/* The first start waits longer: init reads the whole initrd first, which
 * takes seconds on a loaded TCG host. */
#define VMGR_REG_NS (20000 * MS)

/* ask_init, asked again when the answer did not come in time (init is
 * busy restarting on a loaded host). */
static long ask_init_patient(const char *json)
{
	long r = CL_ERR_TIMEOUT;
	for (int i = 0; i < 3 && r == CL_ERR_TIMEOUT; i++)
		r = ask_init(json);
	return r;
}

/* The round's body; its handles go back through *conn and *buf, which
 * vmgr_round closes whatever happened. */
static int vmgr_round_in(int gen, const char *how, handle_t *conn,
			 handle_t *buf)
{
	handle_t pub = wait_reg(VMGR_NAME, gen, VMGR_REG_NS);
	VCHECK(pub);
	struct vmgr_resp rs;
	VCHECK(vmgr_call(pub, VMGR_CONNECT, 0,
			 g_dup(g_self(), RIGHT_WAIT | RIGHT_TRANSFER), &rs,
			 conn) == 0);
	VCHECK(*conn);
	VCHECK(vmgr_call(*conn, VMGR_BUF_ALLOC, PAGE, 0, &rs, buf) == 0);
	VCHECK(*buf);
	vmgr_loop_conn = *conn;
	vmgr_loop_stop = vmgr_loop_calls = 0;
	vmgr_loop_err = 0;
	struct gthread th;
	VCHECK(gthread_start(&th, vmgr_looper, 0) == 0);
	while (aload(&vmgr_loop_calls) < 20 && !vmgr_loop_err)
		sys_sleep_until(g_now() + 1 * MS);
	long r = ask_init_patient("{\"cmd\":\"status\"}");
	int64_t koid = r ? -1 : status_field("vmgr", "task");
	/* Seen once in a full run (fastpath off): a status without vmgr's
	 * task. Asked again, and said, rather than failing the round. */
	for (int i = 0; !r && koid <= 0 && i < 20; i++) {
		printf("    status has no vmgr task (%lld): asked again\n",
		       (long long)koid);
		sys_sleep_until(g_now() + 50 * MS);
		r = ask_init_patient("{\"cmd\":\"status\"}");
		koid = r ? -1 : status_field("vmgr", "task");
	}
	char req[64];
	if (!strcmp(how, "kill"))
		snprintf(req, sizeof(req), "{\"cmd\":\"kill\",\"task\":%lld}",
			 (long long)koid);
	else
		snprintf(req, sizeof(req), "{\"cmd\":\"%s\",\"name\":\"vmgr\"}",
			 how);
	if (!r)
		r = ask_init_patient(req);
	if (r) /* the looper must not outlive the round */
		__atomic_store_n(&vmgr_loop_stop, 1, __ATOMIC_RELEASE);
	int64_t st;
	long j = gthread_join(&th, g_now() + 10000 * MS, &st);
	if (r)
		printf("    init refused '%s' (vmgr task %lld): %ld\n", req,
		       (long long)koid, r);
	VCHECK(r == 0);
	VCHECK(j == 0);
	VCHECK(vmgr_loop_err == ERR_PEER_CLOSED);
	VCHECK(vmgr_call(*conn, VMGR_INFO, 0, 0, &rs, NULL) == ERR_PEER_CLOSED);
	/* The buffer outlives the instance that made it. */
	uint64_t addr = 0;
	VCHECK(sys_grant_map(g_self(), *buf, VM_PROT_READ | VM_PROT_WRITE, 0,
			     &addr) == 0);
	*(volatile uint32_t *)addr = 0x600d;
	uint32_t back = *(volatile uint32_t *)addr;
	sys_grant_unmap(g_self(), addr);
	VCHECK(back == 0x600d);
	return 0;
}

static int vmgr_round(int gen, const char *how)
{
	handle_t conn = 0, buf = 0;
	int bad = vmgr_round_in(gen, how, &conn, &buf);
	if (buf)
		sys_handle_close(buf);
	if (conn)
		sys_handle_close(conn);
	return bad;
}

static int vmgr_third(void)
{
	handle_t pub = wait_reg(VMGR_NAME, 3, VMGR_REG_NS);
	VCHECK(pub);
	struct vmgr_resp rs;
	handle_t conn = 0;
	VCHECK(vmgr_call(pub, VMGR_CONNECT, 0,
			 g_dup(g_self(), RIGHT_WAIT | RIGHT_TRANSFER), &rs,
			 &conn) == 0);
	sys_handle_close(conn);
	VCHECK(ask_init_patient("{\"cmd\":\"status\"}") == 0);
	VCHECK(status_field("vmgr", "generation") == 3);
	return 0;
}

GTEST(init_restarts_vmgr_under_a_client)
{
	START("test-init-vmgr.conf");
	if (!vmgr_round(1, "kill") && !vmgr_round(2, "restart"))
		vmgr_third();
	STOP();
}

/* Per-service ledger limits (docs/vmgr.md "Ledger limits"): init made
 * vmgr's port and sends each service's `shared` limit on its control
 * endpoint. The service itself (guest-init-svc, "vmgr" command) connects
 * and reports its limit, that a buffer over it is refused and one of it
 * is not, and that its own VMGR_SET_LIMIT sends change nothing. After a
 * vmgr restart the new instance has the limits again. */
static int64_t lim_check(const char *svc, int gen)
{
	handle_t pub = wait_reg(VMGR_NAME, gen, VMGR_REG_NS);
	handle_t s = wait_reg(svc, 1, VMGR_REG_NS);
	if (!pub || !s) {
		int n = aload(&env.ns.outlen);
		printf("    init said: %.*s\n", n, env.ns.outbuf);
		return -1;
	}
	handle_t give = g_dup(pub, RIGHT_SAME);
	struct cl_conn c = {.send = s};
	long r = cl_request_ex(&c, "{\"cmd\":\"vmgr\"}", &give, 1,
			       g_now() + 10000 * MS, &resp);
	if (r || !resp.ok || probe_int("err") != 0)
		return -2;
	return probe_int("limit");
}

/* Both services' 1M quotas are vmgr's loans (docs/vmgr.md "Who holds
 * the memory authority"): each has its whole quota, and vmgr's 4M pool
 * is charged both loans (1M less init's 64K base each). */
static int loans_seen(void)
{
	static struct task_stats ts[16];
	uint64_t after = 0, vmgr_used = 0;
	int lent = 0;
	long n;
	while ((n = sys_task_stats(g_sysinfo(), after, ts, 16)) > 0) {
		for (long i = 0; i < n; i++) {
			if (ts[i].state)
				continue;
			if (!strcmp(ts[i].name, "vmgr"))
				vmgr_used = ts[i].mem_used;
			if (!strcmp(ts[i].name, "guest-init-svc") &&
			    ts[i].mem_quota == 1 << 20)
				lent++;
		}
		after = ts[n - 1].koid;
	}
	if (vmgr_used < 2 * ((1 << 20) - (64 << 10))) {
		printf("    vmgr uses %llu bytes, %d services with 1M\n",
		       (unsigned long long)vmgr_used, lent);
		return 0;
	}
	return lent;
}

static void lim_body(void)
{
	for (int gen = 1; gen <= 2; gen++) {
		GCHECK_EQ(lim_check("/svc/lim", gen), 64 * 1024);
		GCHECK_EQ(probe_int("over"), ERR_NO_MEMORY);
		GCHECK_EQ(probe_int("within"), 0);
		GCHECK_EQ(probe_int("after"), 64 * 1024); /* not raised */
		GCHECK_EQ(lim_check("/svc/plain", gen), 16 << 20);
		GCHECK_EQ(probe_int("after"), 16 << 20);
		if (gen == 1)
			GCHECK_EQ(loans_seen(), 2);
		if (gen == 1)
			GCHECK_OK(ask_init_patient(
				"{\"cmd\":\"restart\",\"name\":\"vmgr\"}"));
	}
}

GTEST(init_gives_vmgr_the_manifest_ledger_limits)
{
	START("test-init-vmgr-limit.conf");
	lim_body();
	STOP();
}
