/* The C ports client (libs/sdk-c/cl_ports.c), the name service
 * (servers/names) and the test service guest-svc-comp: requests, events,
 * missing names, malformed JSON both ways, handles attached, and the
 * hello-port example as a child. Every test starts its own name service
 * and services and stops them; the harness checks nothing leaks. */
#include <string.h>

#include "cl_ports.h"
#include "gtest.h"
#include "gutil.h"
#include "names_env.h"

#define SVC_COMP "guest-svc-comp"

struct env {
	handle_t ns; /* the name service's send handle (badge 2: all names) */
	struct names_env n;
	struct child comp;
	bool have_comp;
};

static struct cl_resp resp;
static struct cl_event ev;

/* 0 started, 1 skipped (no ports in this kernel), < 0 failed. */
static long env_start(struct env *e, const char *comp_args)
{
	memset(e, 0, sizeof(*e));
	long r = nenv_start(&e->n);
	if (r == 1) {
		printf("    skipped: no ports\n");
		return 1;
	}
	if (r < 0)
		return r;
	/* The test and its children share badge 2, which may do anything. */
	e->ns = nenv_mint(&e->n, 2);
	if (!e->ns)
		return ERR_NO_MEMORY;
	if ((r = nenv_acl(&e->n, 2, "[\"*\"]", "[\"*\"]")) < 0)
		return r;
	g_spawn_names = e->ns;
	cl_set_names(e->ns);
	if (comp_args) {
		r = g_spawn(SVC_COMP, comp_args, CHILD_QUOTA, 0, &e->comp);
		if (r < 0)
			return r;
		e->have_comp = true;
	}
	return 0;
}

static void env_stop(struct env *e)
{
	int64_t st;
	if (e->have_comp) {
		sys_task_kill(e->comp.task, -1);
		g_reap(&e->comp, 2000 * MS, &st);
	}
	nenv_stop(&e->n);
	g_spawn_names = HANDLE_INVALID;
	cl_set_names(HANDLE_INVALID);
	if (e->ns)
		sys_handle_close(e->ns);
	e->ns = HANDLE_INVALID;
}

#define START(e, args)                                                         \
	do {                                                                   \
		gtest_allow_growth();                                          \
		long _s = env_start(e, args);                                  \
		if (_s == 1)                                                   \
			return;                                                \
		if (_s < 0)                                                    \
			env_stop(e);                                           \
		GCHECK_OK(_s);                                                 \
	} while (0)

static long connect_comp(struct cl_conn *c, const char *name)
{
	return cl_connect(name, g_now() + 5000 * MS, c);
}

static void client_requests_body(struct env *e)
{
	struct cl_conn c;
	GCHECK_OK(connect_comp(&c, "/svc/compositord"));
	char s[32];
	long r = cl_request(&c, "{\"cmd\":\"ping\"}", &resp);
	if (r == 0)
		r = cl_resp_str(&resp, "name", s, sizeof(s));
	GCHECK_OK(r);
	GCHECK(!strcmp(s, "compositord"));
	GCHECK_OK(cl_resp_str(&resp, "protocol", s, sizeof(s)));
	GCHECK(!strcmp(s, "ports/v0"));
	for (int64_t want = 1; want <= 3; want++) {
		int64_t id = 0;
		GCHECK_OK(cl_request(&c, "{\"cmd\":\"create_layer\"}", &resp));
		GCHECK_OK(cl_resp_int(&resp, "id", &id));
		GCHECK_EQ(id, want);
	}
	cl_close(&c);
	/* The name service answers ping too. */
	struct cl_conn ns = {.send = e->ns};
	GCHECK_OK(cl_request(&ns, "{\"cmd\":\"ping\"}", &resp));
	GCHECK_OK(cl_resp_str(&resp, "name", s, sizeof(s)));
	GCHECK(!strcmp(s, "names"));
}

GTEST(client_requests)
{
	struct env e;
	START(&e, "/svc/compositord");
	client_requests_body(&e);
	env_stop(&e);
}

static void client_events_body(void)
{
	struct cl_conn c;
	GCHECK_OK(connect_comp(&c, "/svc/compositord"));
	static const char *const evs[] = {"vsync"};
	struct cl_stream s;
	long r = cl_subscribe(&c, evs, 1, &s);
	if (r < 0)
		cl_close(&c);
	GCHECK_OK(r);
	int64_t last_usec = -1, last_frame = -1;
	for (int i = 0; i < 6 && r == 0; i++) {
		r = cl_next_event(&s, g_now() + 1000 * MS, &ev);
		int64_t usec = 0, frame = 0;
		if (r == 0 && (strcmp(ev.name, "vsync") ||
			       cl_event_int(&ev, "usec", &usec) < 0 ||
			       cl_event_int(&ev, "frame", &frame) < 0 ||
			       usec <= last_usec || frame <= last_frame))
			r = CL_ERR_PROTO;
		last_usec = usec;
		last_frame = frame;
	}
	/* A bad event list is refused; nothing is left subscribed. */
	static const char *const bad[] = {"nope"};
	struct cl_stream s2;
	long r2 = cl_subscribe(&c, bad, 1, &s2);
	cl_stream_close(&s);
	cl_close(&c);
	GCHECK_OK(r);
	GCHECK_ERR(r2, CL_ERR_REMOTE);
}

GTEST(client_events)
{
	struct env e;
	START(&e, "/svc/compositord");
	client_events_body();
	env_stop(&e);
}

static void client_missing_body(void)
{
	struct cl_conn c;
	uint64_t t0 = g_now();
	GCHECK_ERR(cl_connect("/svc/nope", DEADLINE_POLL, &c),
		   CL_ERR_NOT_FOUND);
	GCHECK_ERR(cl_connect("/svc/nope", g_now() + 50 * MS, &c),
		   CL_ERR_NOT_FOUND);
	uint64_t dt = g_now() - t0;
	GCHECK(dt >= 40 * MS && dt < 2000 * MS);
	GCHECK_ERR(cl_connect("nope", DEADLINE_POLL, &c), CL_ERR_REMOTE);
	GCHECK_EQ(c.send, HANDLE_INVALID);
}

GTEST(client_missing_name)
{
	struct env e;
	START(&e, NULL);
	client_missing_body();
	env_stop(&e);
}

/* A name that appears while the lookup waits. */
GTEST(client_name_appears)
{
	struct env e;
	START(&e, NULL);
	int64_t st;
	long r = g_spawn(SVC_COMP, "/svc/late", CHILD_QUOTA, 0, &e.comp);
	e.have_comp = r == 0;
	struct cl_conn c;
	long rc = r < 0 ? r : cl_connect("/svc/late", g_now() + 5000 * MS, &c);
	if (rc == 0) {
		rc = cl_request(&c, "{\"cmd\":\"shutdown\"}", &resp);
		cl_close(&c);
		if (rc == 0 && g_reap(&e.comp, 2000 * MS, &st) == 0) {
			e.have_comp = false;
			rc = st;
		}
	}
	env_stop(&e);
	GCHECK_OK(rc);
}

static long remote_code(struct cl_conn *c, const void *data, uint32_t len,
			const char *code)
{
	long r = cl_request_raw(c, data, len, NULL, 0, g_now() + 2000 * MS,
				&resp);
	if (r != CL_ERR_REMOTE)
		return r == 0 ? -100 : r;
	return strcmp(resp.code, code) ? -101 : 0;
}

static void client_bad_json_body(struct env *e)
{
	struct cl_conn c, ns = {.send = e->ns};
	GCHECK_OK(connect_comp(&c, "/svc/compositord"));
	static const char *const bad[] = {"{\"cmd\":", "[1]", "", "nonsense",
					  "{\"cmd\":\"ping\"}}"};
	long r = 0;
	for (int i = 0; i < 5 && r == 0; i++) {
		r = remote_code(&c, bad[i], (uint32_t)strlen(bad[i]),
				"BAD_JSON");
		if (r == 0)
			r = remote_code(&ns, bad[i], (uint32_t)strlen(bad[i]),
					"BAD_JSON");
	}
	if (r == 0)
		r = remote_code(&c, "{\"cmd\":\"ping\"}\0x", 16, "BAD_JSON");
	if (r == 0)
		r = remote_code(&c, "{\"cmd\":\"fly\"}", 13, "BAD_CMD");
	if (r == 0)
		r = remote_code(&ns, "{\"cmd\":\"fly\"}", 13, "BAD_CMD");
	/* The client never sends what is not a JSON object. */
	long r2 = cl_request(&c, "{\"cmd\":", &resp);
	long r3 = cl_request(&c, "\"ping\"", &resp);
	cl_close(&c);
	GCHECK_OK(r);
	GCHECK_ERR(r2, CL_ERR_ARG);
	GCHECK_ERR(r3, CL_ERR_ARG);
}

GTEST(client_bad_json)
{
	struct env e;
	START(&e, "/svc/compositord");
	client_bad_json_body(&e);
	env_stop(&e);
}

GTEST(client_garbage_reply)
{
	struct env e;
	START(&e, "/svc/bad garbage");
	struct cl_conn c;
	long r = connect_comp(&c, "/svc/bad");
	long r2 = r < 0 ? r : cl_request(&c, "{\"cmd\":\"ping\"}", &resp);
	if (r == 0)
		cl_close(&c);
	env_stop(&e);
	GCHECK_OK(r);
	GCHECK_ERR(r2, CL_ERR_PROTO);
}

static void client_attach_body(void)
{
	struct cl_conn c;
	GCHECK_OK(connect_comp(&c, "/svc/compositord"));
	handle_t v;
	GCHECK_OK(sys_vmo_create(3 * PAGE, &v));
	long r = cl_request_ex(&c, "{\"cmd\":\"attach\",\"buffer\":0}", &v, 1,
			       g_now() + 2000 * MS, &resp);
	int64_t size = 0;
	if (r == 0)
		r = cl_resp_int(&resp, "size", &size);
	/* Moved: no longer ours. */
	long rc = sys_handle_close(v);
	/* A bad index is refused. */
	long r2 = cl_request(&c, "{\"cmd\":\"attach\",\"buffer\":3}", &resp);
	cl_close(&c);
	GCHECK_OK(r);
	GCHECK_EQ(size, 3 * PAGE);
	GCHECK_ERR(rc, ERR_BAD_HANDLE);
	GCHECK_ERR(r2, CL_ERR_REMOTE);
	GCHECK(!strcmp(resp.code, "BAD_ARG"));
}

GTEST(client_attach_handle)
{
	struct env e;
	START(&e, "/svc/compositord");
	client_attach_body();
	env_stop(&e);
}

GTEST(client_hello_port)
{
	struct env e;
	START(&e, "/svc/compositord");
	struct child h;
	int64_t st = -1;
	long r = g_spawn("hello-port", "", CHILD_QUOTA, 0, &h);
	if (r == 0)
		r = g_reap(&h, 10000 * MS, &st);
	env_stop(&e);
	GCHECK_OK(r);
	GCHECK_EQ(st, 0);
}
