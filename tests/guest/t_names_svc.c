/* testsvc, portctl and the sdk's reconnect against a real name service
 * (docs/names.md). The test acts as init and supervisor: each service
 * instance gets its own badge with a list allowing /svc/test; when one
 * dies the test sends names "forget" and starts the next with a new
 * badge, as init does. */
#include <string.h>

#include <execrt/errors.h>
#include <execrt/rights.h>
#include <execrt/sys.h>

#include "cl_ports.h"
#include "gtest.h"
#include "gutil.h"
#include "names_env.h"

static struct cl_resp resp;
static struct cl_event ev;
static struct names_env env;
static uint64_t next_badge;
static handle_t client; /* the test's own endpoint (badge 2, lookup *) */

struct svc {
	struct child c;
	uint64_t badge;
};

/* A testsvc instance with args, as init starts one: a fresh badge, its
 * list, its names endpoint. Waits until /svc/test answers ping. */
static long svc_start(struct svc *s, const char *args)
{
	memset(s, 0, sizeof(*s));
	s->badge = next_badge++;
	long r = nenv_acl(&env, s->badge, "[\"/svc/test\"]", "[]");
	if (r < 0)
		return r;
	handle_t h = nenv_mint(&env, s->badge);
	g_spawn_names = h;
	r = g_spawn("testsvc", args, CHILD_QUOTA, 0, &s->c);
	g_spawn_names = HANDLE_INVALID;
	sys_handle_close(h);
	return r;
}

/* The instance died or is killed: reap it and tell names (init's
 * "forget"). Its exit status in *st. */
static long svc_gone(struct svc *s, int64_t *st)
{
	if (!s->c.task)
		return 0;
	long r = g_reap(&s->c, 5000 * MS, st);
	long f = nenv_forget(&env, s->badge);
	return r < 0 ? r : f;
}

static long connect_test(struct cl_conn *c)
{
	cl_set_names(client);
	long r = cl_connect("/svc/test", g_now() + 5000 * MS, c);
	cl_set_names(HANDLE_INVALID);
	return r;
}

static long setup(void)
{
	next_badge = 10;
	long r = nenv_start(&env);
	if (r != 0)
		return r;
	client = nenv_mint(&env, 2);
	return nenv_acl(&env, 2, "[]", "[\"*\"]");
}

static void teardown(struct svc *s, int n)
{
	int64_t st;
	for (int i = 0; i < n; i++) {
		if (s[i].c.task) {
			sys_task_kill(s[i].c.task, -1);
			g_reap(&s[i].c, 2000 * MS, &st);
		}
	}
	if (client)
		sys_handle_close(client);
	client = HANDLE_INVALID;
	nenv_stop(&env);
}

#define SETUP()                                                                \
	do {                                                                   \
		gtest_allow_growth();                                          \
		long _s = setup();                                             \
		if (_s == 1)                                                   \
			return;                                                \
		if (_s < 0)                                                    \
			teardown(NULL, 0);                                     \
		GCHECK_OK(_s);                                                 \
	} while (0)

static void basics_body(struct svc *s)
{
	struct cl_conn c;
	GCHECK_OK(connect_test(&c));
	char str[32];
	long r = cl_request(&c, "{\"cmd\":\"ping\"}", &resp);
	if (r == 0)
		r = cl_resp_str(&resp, "name", str, sizeof(str));
	GCHECK_OK(r);
	GCHECK(!strcmp(str, "testsvc"));
	/* echo: the request object comes back. */
	GCHECK_OK(
		cl_request(&c, "{\"cmd\":\"echo\",\"v\":[1,\"two\"]}", &resp));
	GCHECK_OK(cl_resp_str(&resp, "v.1", str, sizeof(str)));
	GCHECK(!strcmp(str, "two"));
	/* sleep answers after it. */
	uint64_t t0 = g_now();
	GCHECK_OK(cl_request(&c, "{\"cmd\":\"sleep\",\"usec\":30000}", &resp));
	GCHECK(g_now() - t0 >= 30 * MS);
	/* ticks every --tick-ms 10, numbered. */
	static const char *const evs[] = {"tick"};
	struct cl_stream st;
	GCHECK_OK(cl_subscribe(&c, evs, 1, &st));
	int64_t last = 0, n = 0;
	for (int i = 0; i < 3 && r == 0; i++) {
		r = cl_next_event(&st, g_now() + 1000 * MS, &ev);
		if (r == 0 && (strcmp(ev.name, "tick") ||
			       cl_event_int(&ev, "n", &n) < 0 || n <= last))
			r = CL_ERR_PROTO;
		last = n;
	}
	cl_stream_close(&st);
	GCHECK_OK(r);
	int64_t v = -1;
	GCHECK_OK(cl_request(&c, "{\"cmd\":\"status\"}", &resp));
	GCHECK_OK(cl_resp_int(&resp, "tick_ms", &v));
	GCHECK_EQ(v, 10);
	GCHECK_ERR(cl_request(&c, "{\"cmd\":\"fly\"}", &resp), CL_ERR_REMOTE);
	GCHECK(!strcmp(resp.code, "BAD_CMD"));
	/* exit {status}: answered, then the task ends with it. */
	GCHECK_OK(cl_request(&c, "{\"cmd\":\"exit\",\"status\":3}", &resp));
	cl_close(&c);
	int64_t code = -1;
	GCHECK_OK(svc_gone(s, &code));
	GCHECK_EQ(code, 3);
}

GTEST(names_testsvc_basics)
{
	SETUP();
	struct svc s;
	long r = svc_start(&s, "--tick-ms 10");
	if (r == 0)
		basics_body(&s);
	teardown(&s, 1);
	GCHECK_OK(r);
}

static void crash_body(struct svc *s)
{
	struct cl_conn c;
	GCHECK_OK(connect_test(&c));
	GCHECK_OK(cl_request(&c, "{\"cmd\":\"ping\"}", &resp));
	/* The second call is in flight when the service crashes. */
	char ans[64];
	struct port_msg m = {.data = "{\"cmd\":\"ping\"}", .len = 14};
	struct port_rx rx = {.buf = ans, .cap = sizeof(ans)};
	long r = sys_port_call(c.send, &m, &rx, g_now() + 5000 * MS);
	/* The next one finds it gone: no hang. */
	long r2 = cl_request(&c, "{\"cmd\":\"ping\"}", &resp);
	cl_close(&c);
	GCHECK_ERR(r, ERR_PEER_CLOSED);
	GCHECK_ERR(r2, CL_ERR_CONN);
	int64_t st = 0;
	GCHECK_OK(svc_gone(s, &st));
	GCHECK(st != 0);
}

GTEST(names_testsvc_crash_in_flight)
{
	SETUP();
	struct svc s;
	long r = svc_start(&s, "--crash-after 2");
	if (r == 0)
		crash_body(&s);
	teardown(&s, 1);
	GCHECK_OK(r);
}

/* The next call after a restart: with reconnect it reaches the new
 * instance, without it fails. */
static void restart_body(struct svc *s)
{
	struct cl_conn with, without;
	GCHECK_OK(connect_test(&with));
	with.reconnect = true;
	GCHECK_OK(connect_test(&without));
	GCHECK_OK(cl_request(&with, "{\"cmd\":\"ping\"}", &resp));
	/* crash on purpose (not answered) */
	long rc = cl_request(&without, "{\"cmd\":\"crash\"}", &resp);
	int64_t st;
	long g = svc_gone(&s[0], &st);
	long r0 = g < 0 ? g : svc_start(&s[1], "");
	cl_set_names(client);
	long r1 =
		r0 < 0 ? r0 : cl_request(&with, "{\"cmd\":\"status\"}", &resp);
	cl_set_names(HANDLE_INVALID);
	int64_t calls = -1;
	if (r1 == 0)
		cl_resp_int(&resp, "calls", &calls);
	long r2 = cl_request(&without, "{\"cmd\":\"ping\"}", &resp);
	uint32_t n = with.reconnects;
	cl_close(&with);
	cl_close(&without);
	GCHECK_ERR(rc, CL_ERR_CONN);
	GCHECK_OK(r0);
	GCHECK_OK(r1);
	GCHECK_EQ(calls, 1); /* the new instance answered it */
	GCHECK_EQ(n, 1);
	GCHECK_ERR(r2, CL_ERR_CONN);
}

GTEST(names_reconnect_next_call)
{
	SETUP();
	struct svc s[2];
	memset(s, 0, sizeof(s));
	long r = svc_start(&s[0], "");
	if (r == 0)
		restart_body(s);
	teardown(s, 2);
	GCHECK_OK(r);
}

/* portctl as the client whose call is in flight when testsvc crashes
 * (--crash-after 1); the test restarts testsvc as init would (forget,
 * new badge). With --reconnect portctl's request reaches the new
 * instance (exit 0); without, it fails (exit 1). */
static long in_flight_round(struct svc *s, bool reconnect, int64_t *pst)
{
	long r = svc_start(&s[0], "--crash-after 1");
	if (r < 0)
		return r;
	g_spawn_names = client;
	struct child pc;
	r = g_spawn("portctl",
		    reconnect ? "test {\"cmd\":\"echo\"} --reconnect"
			      : "test {\"cmd\":\"echo\"}",
		    CHILD_QUOTA, 0, &pc);
	g_spawn_names = HANDLE_INVALID;
	if (r < 0)
		return r;
	int64_t st;
	r = svc_gone(&s[0], &st); /* it crashed on portctl's call */
	/* A moment with the dead endpoint still registered would be seen by
	 * a quick client too; the restart follows. */
	if (r == 0)
		r = svc_start(&s[1], "");
	long rr = g_reap(&pc, 10000 * MS, pst);
	if (r == 0)
		r = rr;
	int64_t st1;
	if (s[1].c.task) {
		sys_task_kill(s[1].c.task, -1);
		svc_gone(&s[1], &st1);
	}
	return r;
}

GTEST(names_reconnect_in_flight_portctl)
{
	SETUP();
	struct svc s[2];
	memset(s, 0, sizeof(s));
	int64_t with = -1, without = -1;
	long r = in_flight_round(s, false, &without);
	if (r == 0)
		r = in_flight_round(s, true, &with);
	teardown(s, 2);
	GCHECK_OK(r);
	GCHECK_EQ(without, 1);
	GCHECK_EQ(with, 0);
}

/* A reconnect storm: 8 clients of one badge (programs the shell starts
 * share its endpoint) have calls in flight when testsvc dies; while it is
 * down they all wait in names for /svc/test, more than the badge's 4
 * waiters. Each must still reach the new instance within its deadline: a
 * waiter displaced by a newer one (BUSY) asks again. */
#define STORM 8

static long storm_round(struct svc *s, int64_t *failed)
{
	struct child pc[STORM];
	int n = 0;
	long r = svc_start(&s[0], "");
	struct cl_conn c = {.send = HANDLE_INVALID};
	if (r == 0)
		r = connect_test(&c);
	g_spawn_names = client;
	for (; r == 0 && n < STORM; n++)
		r = g_spawn("portctl",
			    "test {\"cmd\":\"sleep\",\"usec\":300000} "
			    "--reconnect --compact --timeout 10000",
			    CHILD_QUOTA, 0, &pc[n]);
	g_spawn_names = HANDLE_INVALID;
	/* All 8 calls are sleeping in the instance when it is killed. */
	int64_t sleeping = 0;
	uint64_t end = g_now() + 5000 * MS;
	while (r == 0 && sleeping < STORM && g_now() < end) {
		if (cl_request(&c, "{\"cmd\":\"status\"}", &resp) == 0)
			cl_resp_int(&resp, "sleeping", &sleeping);
		sys_sleep_until(g_now() + 2 * MS);
	}
	cl_close(&c);
	if (r == 0 && sleeping < STORM)
		r = ERR_TIMED_OUT;
	int64_t st;
	if (s[0].c.task)
		sys_task_kill(s[0].c.task, -1);
	long g = svc_gone(&s[0], &st);
	if (r == 0)
		r = g;
	sys_sleep_until(g_now() + 100 * MS); /* they wait in names */
	if (r == 0)
		r = svc_start(&s[1], "");
	*failed = 0;
	for (int i = 0; i < n; i++) {
		long rr = g_reap(&pc[i], 15000 * MS, &st);
		if (rr < 0 && r == 0)
			r = rr;
		*failed += rr < 0 || st != 0;
	}
	if (s[1].c.task) {
		sys_task_kill(s[1].c.task, -1);
		svc_gone(&s[1], &st);
	}
	return r;
}

GTEST(names_reconnect_storm_one_badge)
{
	SETUP();
	struct svc s[2];
	memset(s, 0, sizeof(s));
	int64_t failed = -1;
	long r = storm_round(s, &failed);
	teardown(s, 2);
	GCHECK_OK(r);
	GCHECK_EQ(failed, 0);
}

static long portctl(const char *args, int64_t *st)
{
	g_spawn_names = client;
	struct child pc;
	long r = g_spawn("portctl", args, CHILD_QUOTA, 0, &pc);
	g_spawn_names = HANDLE_INVALID;
	return r < 0 ? r : g_reap(&pc, 10000 * MS, st);
}

static int64_t subscribers(struct cl_conn *c)
{
	int64_t v = -1;
	if (cl_request(c, "{\"cmd\":\"status\"}", &resp) == 0)
		cl_resp_int(&resp, "subscribers", &v);
	return v;
}

static void portctl_body(void)
{
	int64_t st = -1;
	GCHECK_OK(portctl("test {\"cmd\":\"ping\"}", &st));
	GCHECK_EQ(st, 0);
	GCHECK_OK(portctl("/svc/test { \"cmd\" : \"echo\" , \"a\" : 1 } "
			  "--compact",
			  &st));
	GCHECK_EQ(st, 0);
	GCHECK_OK(portctl("test {\"cmd\":\"fly\"}", &st));
	GCHECK_EQ(st, 1);
	GCHECK_OK(portctl("test {\"cmd\":", &st));
	GCHECK_EQ(st, 1);
	GCHECK_OK(portctl("nope {} --timeout 50", &st));
	GCHECK_EQ(st, 1);
	GCHECK_OK(portctl("test", &st));
	GCHECK_EQ(st, 1);
	/* --stream: subscribed until killed. */
	struct cl_conn c;
	GCHECK_OK(connect_test(&c));
	g_spawn_names = client;
	struct child pc;
	long r = g_spawn("portctl",
			 "test {\"cmd\":\"subscribe\",\"events\":[\"tick\"]} "
			 "--stream",
			 CHILD_QUOTA, 0, &pc);
	g_spawn_names = HANDLE_INVALID;
	int64_t during = -1, ticks = -1, after = -1;
	if (r == 0) {
		sys_sleep_until(g_now() + 300 * MS);
		during = subscribers(&c);
		cl_resp_int(&resp, "ticks", &ticks);
		sys_task_kill(pc.task, -1);
		g_reap(&pc, 2000 * MS, &st);
		/* testsvc drops the subscriber at the next tick. */
		sys_sleep_until(g_now() + 100 * MS);
		after = subscribers(&c);
	}
	cl_close(&c);
	GCHECK_OK(r);
	GCHECK_EQ(during, 1);
	GCHECK(ticks >= 3);
	GCHECK_EQ(after, 0);
}

GTEST(names_portctl_testsvc)
{
	SETUP();
	struct svc s;
	long r = svc_start(&s, "--tick-ms 10");
	if (r == 0)
		portctl_body();
	teardown(&s, 1);
	GCHECK_OK(r);
}
