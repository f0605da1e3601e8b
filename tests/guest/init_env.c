/* The init tests' environment (init_env.h): a child init with a test
 * manifest, the fake name service a thread of the test plays for it,
 * requests to /svc/init, the kernel's counters checked after. */
#include <string.h>

#include <execrt/cpio.h>
#include <execrt/spawn.h>

#include "cl_ports.h"
#include "gtest.h"
#include "gutil.h"
#include "init_env.h"

struct ienv env;
struct cl_resp resp;

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

bool has(const char *buf, uint32_t len, const char *s)
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
handle_t reg_handle(const char *name, int *count)
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
handle_t wait_reg(const char *name, int times, uint64_t timeout)
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

void env_stop(void)
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
long env_start_ex(const char *conf, bool devices)
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

long env_start(const char *conf)
{
	return env_start_ex(conf, false);
}

/* The kernel's counters before a test's child init: after it is killed
 * and everything closed they must be back exactly, frames included (the
 * harness's own check allows growth: the helper thread maps a stack). */
struct kernel_stats base;

void warm(void)
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

long counters_back(void)
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
long ask_init(const char *json)
{
	return ask_on("/drv/init-control", json);
}

/* As any program sh runs: /svc/init, the read-only endpoint. */
long ask_public(const char *json)
{
	return ask_on("/svc/init", json);
}

/* field of service `name` in the last status answer (-1: absent). */
int64_t status_field(const char *name, const char *field)
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

/* An integer of the last answer (1: absent). */
int64_t probe_int(const char *key)
{
	int64_t v = 1;
	return cl_resp_int(&resp, key, &v) < 0 ? 1 : v;
}
