/* The name service against hostile clients (docs/names.md): each of the
 * four holes the issue lists gets a test that proves it closed (an
 * impostor replacing a name, a memory object or task registered as a
 * service, abandoned lookups holding every waiter slot, one client filling
 * the table), plus access control, list and forget. The test acts as init:
 * it mints every client endpoint with its own badge and sets the lists
 * with badge 1. */
#include <string.h>

#include <execrt/errors.h>
#include <execrt/rights.h>
#include <execrt/sys.h>

#include "cl_ports.h"
#include "gtest.h"
#include "gutil.h"
#include "names_env.h"

static struct cl_resp resp;
static struct names_env env;

#define NSTART()                                                               \
	do {                                                                   \
		gtest_allow_growth();                                          \
		long _s = nenv_start(&env);                                    \
		if (_s == 1)                                                   \
			return;                                                \
		GCHECK_OK(_s);                                                 \
	} while (0)

static const char reg_json[] =
	"{\"cmd\":\"register\",\"name\":\"%s\",\"port\":0}";

/* Registers name through badge endpoint ns with handle h (moved). */
static long reg(handle_t ns, const char *name, handle_t h, const char *code)
{
	char j[128];
	snprintf(j, sizeof(j), reg_json, name);
	return nenv_expect(ns, j, &h, 1, code);
}

/* A lookup through ns: 0 and the handle, or the CL_ERR_*. */
static long lookup(handle_t ns, const char *name, uint64_t deadline,
		   handle_t *out)
{
	cl_set_names(ns);
	struct cl_conn c;
	long r = cl_connect(name, deadline, &c);
	cl_set_names(HANDLE_INVALID);
	*out = r == 0 ? c.send : HANDLE_INVALID;
	return r;
}

/* result.<path> of a status request through ns. */
static int64_t status_of(handle_t ns, const char *path)
{
	struct cl_conn c = {.send = ns};
	int64_t v = -1;
	if (cl_request(&c, "{\"cmd\":\"status\"}", &resp) == 0)
		cl_resp_int(&resp, path, &v);
	return v;
}

struct two {
	handle_t a, b;		 /* client endpoints, badges 2 and 3 */
	handle_t recv_p, recv_q; /* two "services" */
	uint64_t koid_p, koid_q; /* their send endpoints */
};

static void two_close(struct two *t)
{
	handle_t *hs[] = {&t->a, &t->b, &t->recv_p, &t->recv_q};
	for (unsigned i = 0; i < 4; i++)
		if (*hs[i])
			sys_handle_close(*hs[i]);
	memset(t, 0, sizeof(*t));
}

static void impostor_body(struct two *t)
{
	handle_t sp, sq, got;
	GCHECK_OK(nenv_acl(&env, 2, "[\"/svc/comp\"]", "[\"*\"]"));
	GCHECK_OK(nenv_acl(&env, 3, "[\"*\"]", "[\"*\"]"));
	t->a = nenv_mint(&env, 2);
	t->b = nenv_mint(&env, 3);
	GCHECK(t->a && t->b);
	GCHECK_OK(sys_port_create(0, &t->recv_p, &sp));
	GCHECK_OK(sys_port_create(0, &t->recv_q, &sq));
	t->koid_p = g_koid(sp);
	t->koid_q = g_koid(sq);
	GCHECK_OK(reg(t->a, "/svc/comp", sp, ""));
	/* The impostor (allowed to register anything) cannot take it. */
	GCHECK_OK(reg(t->b, "/svc/comp", sq, "BUSY"));
	GCHECK_OK(lookup(t->b, "/svc/comp", DEADLINE_POLL, &got));
	struct handle_info hi;
	long r = sys_handle_info(got, &hi);
	/* New clients reach the real service, through a reduced handle. */
	struct port_msg m = {.data = "hi", .len = 2};
	long rs = sys_port_send(got, &m, DEADLINE_POLL);
	sys_handle_close(got);
	char b[8];
	struct port_rx rx = {.buf = b, .cap = sizeof(b)};
	long rr = sys_port_recv(t->recv_p, &rx, DEADLINE_POLL);
	GCHECK_OK(r);
	GCHECK_EQ(hi.koid, t->koid_p);
	GCHECK_EQ(hi.rights, RIGHT_WRITE | RIGHT_DUPLICATE | RIGHT_TRANSFER);
	GCHECK_OK(rs);
	GCHECK_OK(rr);
	GCHECK_EQ(rx.len, 2);
	/* Only the owner gives it up; then it is free. */
	GCHECK_OK(nenv_expect(t->b,
			      "{\"cmd\":\"unregister\",\"name\":\"/svc/comp\"}",
			      NULL, 0, "DENIED"));
	cl_set_names(t->a);
	long ru = cl_unregister("/svc/comp");
	cl_set_names(HANDLE_INVALID);
	GCHECK_OK(ru);
	GCHECK_ERR(lookup(t->b, "/svc/comp", DEADLINE_POLL, &got),
		   CL_ERR_NOT_FOUND);
}

/* Hole 1: any task could replace a registered name. */
GTEST(names_impostor_cannot_replace)
{
	NSTART();
	struct two t;
	memset(&t, 0, sizeof(t));
	impostor_body(&t);
	two_close(&t);
	nenv_stop(&env);
}

static void non_port_body(handle_t ns)
{
	handle_t v, self, n, recv, send, nowrite, got;
	GCHECK_OK(sys_vmo_create(PAGE, &v));
	GCHECK_OK(reg(ns, "/svc/a", v, "BAD_ARG"));
	self = g_dup(g_self(), RIGHT_TRANSFER);
	GCHECK(self);
	GCHECK_OK(reg(ns, "/svc/a", self, "BAD_ARG"));
	GCHECK_OK(sys_notif_create(&n));
	GCHECK_OK(reg(ns, "/svc/a", n, "BAD_ARG"));
	GCHECK_OK(sys_port_create(0, &recv, &send));
	nowrite = g_dup(send, RIGHT_TRANSFER | RIGHT_DUPLICATE);
	long r1 = reg(ns, "/svc/a", nowrite, "BAD_ARG");
	/* A receive side is not a service endpoint either. */
	long r2 = reg(ns, "/svc/a", recv, "BAD_ARG");
	sys_handle_close(send);
	GCHECK_OK(r1);
	GCHECK_OK(r2);
	GCHECK_ERR(lookup(ns, "/svc/a", DEADLINE_POLL, &got), CL_ERR_NOT_FOUND);
	GCHECK_EQ(status_of(ns, "bad_handles"), 5);
	GCHECK_EQ(status_of(ns, "names"), 0);
	/* Moved and closed by names: none of them is ours any more. */
	struct handle_info hi;
	GCHECK_ERR(sys_handle_info(v, &hi), ERR_BAD_HANDLE);
	GCHECK_ERR(sys_handle_info(n, &hi), ERR_BAD_HANDLE);
}

/* Hole 2: a memory object or task handle accepted as a "service". */
GTEST(names_refuses_non_port_handles)
{
	NSTART();
	handle_t ns = HANDLE_INVALID;
	long r = nenv_acl(&env, 2, "[\"*\"]", "[\"*\"]");
	if (r == 0) {
		ns = nenv_mint(&env, 2);
		non_port_body(ns);
	}
	if (ns)
		sys_handle_close(ns);
	nenv_stop(&env);
	GCHECK_OK(r);
}

/* Abandons n lookups through ns: each call gives up after 20 ms while
 * names keeps waiting (it would wait an hour, capped at 30 s). Then more,
 * until names holds the badge's 4 (a call given up before names took it
 * from its queue would not count). */
static void abandon(handle_t ns, int n)
{
	static const char j[] = "{\"cmd\":\"lookup\",\"name\":\"/svc/never\","
				"\"wait_usec\":3600000000}";
	struct cl_conn c = {.send = ns};
	for (int i = 0; i < n + 50; i++) {
		if (i >= n && status_of(ns, "yours.waiters") == 4)
			break;
		cl_request_ex(&c, j, NULL, 0, g_now() + 20 * MS, &resp);
	}
}

/* A lookup through ns waiting 50 ms for a name that never comes must
 * end in NOT_FOUND after the wait, not BUSY. */
static long waits_fairly(handle_t ns)
{
	handle_t got;
	uint64_t t0 = g_now();
	long r = lookup(ns, "/svc/never", g_now() + 50 * MS, &got);
	uint64_t dt = g_now() - t0;
	if (r != CL_ERR_NOT_FOUND)
		return r == 0 ? -100 : r;
	return dt >= 40 * MS ? 0 : -101;
}

static void abandoned_body(handle_t *hog, handle_t victim)
{
	abandon(hog[0], 20);
	GCHECK_EQ(status_of(hog[0], "yours.waiters"), 4);
	GCHECK_EQ(status_of(hog[0], "limits.wait_usec"), 30000000);
	/* Another client still waits; so does the hog (its oldest go). */
	GCHECK_OK(waits_fairly(victim));
	GCHECK_OK(waits_fairly(hog[0]));
	/* Eight hogs hold every slot of the table... */
	for (int i = 1; i < 8; i++)
		abandon(hog[i], 5);
	abandon(hog[0], 1); /* back to its 4 after the fair wait */
	GCHECK_EQ(status_of(victim, "waiters"), 32);
	/* ...and a client with no waiter still gets one. */
	GCHECK_OK(waits_fairly(victim));
	GCHECK(status_of(victim, "evicted") >= 20);
}

/* Hole 3: abandoned lookups held every waiter slot for an hour. */
GTEST(names_abandoned_lookups_do_not_block_others)
{
	NSTART();
	handle_t hog[8], victim = HANDLE_INVALID;
	memset(hog, 0, sizeof(hog));
	long r = 0;
	for (int i = 0; i < 8 && r == 0; i++) {
		r = nenv_acl(&env, 10 + (uint64_t)i, "[]", "[\"*\"]");
		hog[i] = nenv_mint(&env, 10 + (uint64_t)i);
	}
	if (r == 0)
		r = nenv_acl(&env, 3, "[]", "[\"*\"]");
	victim = nenv_mint(&env, 3);
	if (r == 0)
		abandoned_body(hog, victim);
	for (int i = 0; i < 8; i++)
		if (hog[i])
			sys_handle_close(hog[i]);
	if (victim)
		sys_handle_close(victim);
	nenv_stop(&env);
	GCHECK_OK(r);
}

static void fill_body(handle_t a, handle_t b, handle_t c, handle_t send)
{
	char n[32];
	for (int i = 0; i < 8; i++) {
		snprintf(n, sizeof(n), "/svc/mine%d", i);
		GCHECK_OK(reg(a, n, g_dup(send, RIGHT_SAME), ""));
	}
	for (int i = 8; i < 40; i++) {
		snprintf(n, sizeof(n), "/svc/mine%d", i);
		GCHECK_OK(reg(a, n, g_dup(send, RIGHT_SAME), "NO_MEMORY"));
	}
	GCHECK_OK(reg(b, "/svc/other", g_dup(send, RIGHT_SAME), ""));
	/* Without a list nothing at all. */
	cl_set_names(c);
	long r = cl_register("/svc/third", g_dup(send, RIGHT_SAME));
	cl_set_names(HANDLE_INVALID);
	GCHECK_ERR(r, CL_ERR_DENIED);
	GCHECK_EQ(status_of(b, "names"), 9);
	GCHECK_EQ(status_of(a, "yours.names"), 8);
}

/* Hole 4: any client could fill the 32-entry table. */
GTEST(names_table_cannot_be_filled)
{
	NSTART();
	handle_t a = nenv_mint(&env, 2), b = nenv_mint(&env, 3),
		 c = nenv_mint(&env, 4), recv = 0, send = 0;
	long r = nenv_acl(&env, 2, "[\"*\"]", "[]");
	if (r == 0)
		r = nenv_acl(&env, 3, "[\"/svc/other\"]", "[]");
	if (r == 0)
		r = sys_port_create(0, &recv, &send);
	if (r == 0)
		fill_body(a, b, c, send);
	handle_t hs[] = {a, b, c, recv, send};
	for (unsigned i = 0; i < 5; i++)
		if (hs[i])
			sys_handle_close(hs[i]);
	nenv_stop(&env);
	GCHECK_OK(r);
}

static void acl_body(handle_t a, handle_t b, handle_t a2, handle_t send)
{
	handle_t got;
	GCHECK_OK(reg(a, "/svc/test", g_dup(send, RIGHT_SAME), ""));
	GCHECK_OK(reg(a, "/svc/other", g_dup(send, RIGHT_SAME), "DENIED"));
	/* b may look up /svc/test only. */
	GCHECK_ERR(lookup(b, "/svc/names", DEADLINE_POLL, &got), CL_ERR_DENIED);
	GCHECK_OK(lookup(b, "/svc/test", DEADLINE_POLL, &got));
	sys_handle_close(got);
	struct cl_conn c = {.send = b};
	GCHECK_OK(cl_request(&c, "{\"cmd\":\"list\"}", &resp));
	char s[64];
	int64_t badge = 0;
	GCHECK_OK(cl_resp_str(&resp, "names.0.name", s, sizeof(s)));
	GCHECK(!strcmp(s, "/svc/test"));
	GCHECK_OK(cl_resp_int(&resp, "names.0.badge", &badge));
	GCHECK_EQ(badge, 2);
	/* Control calls are init's (badge 1) alone. */
	GCHECK_OK(nenv_expect(
		b, "{\"cmd\":\"acl\",\"badge\":3,\"lookup\":[\"*\"]}", NULL, 0,
		"DENIED"));
	GCHECK_OK(nenv_expect(a, "{\"cmd\":\"forget\",\"badge\":2}", NULL, 0,
			      "DENIED"));
	/* The restarted instance (badge 4) gets the name after forget. */
	GCHECK_OK(reg(a2, "/svc/test", g_dup(send, RIGHT_SAME), "BUSY"));
	GCHECK_OK(nenv_forget(&env, 2));
	GCHECK_ERR(lookup(b, "/svc/test", DEADLINE_POLL, &got),
		   CL_ERR_NOT_FOUND);
	GCHECK_OK(reg(a, "/svc/test", g_dup(send, RIGHT_SAME), "DENIED"));
	GCHECK_OK(reg(a2, "/svc/test", g_dup(send, RIGHT_SAME), ""));
	GCHECK_OK(lookup(b, "/svc/test", DEADLINE_POLL, &got));
	sys_handle_close(got);
}

GTEST(names_acl_list_forget)
{
	NSTART();
	handle_t a = nenv_mint(&env, 2), b = nenv_mint(&env, 3),
		 a2 = nenv_mint(&env, 4), recv = 0, send = 0;
	long r = nenv_acl(&env, 2, "[\"/svc/test\"]", "[]");
	if (r == 0)
		r = nenv_acl(&env, 3, "[]", "[\"/svc/test\"]");
	if (r == 0)
		r = nenv_acl(&env, 4, "[\"/svc/test\"]", "[]");
	if (r == 0)
		r = sys_port_create(0, &recv, &send);
	if (r == 0)
		acl_body(a, b, a2, send);
	handle_t hs[] = {a, b, a2, recv, send};
	for (unsigned i = 0; i < 5; i++)
		if (hs[i])
			sys_handle_close(hs[i]);
	nenv_stop(&env);
	GCHECK_OK(r);
}
