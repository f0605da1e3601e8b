/* compositord (services/compositord, docs/graphics.md "compositord") as
 * a child task against a real name service (the test acts as init, as
 * t_blitterd.c), headless (60 Hz timer, 1024x768 in memory): a client
 * revokes the grant of a screen-sized layer again and again while
 * compositord composes it, the revokes coming from a second thread on
 * the other CPU at random moments of the frame. compositord must stay up
 * (the same task), unbind the layer with an error event to its owner each
 * time, and leave another client's layer and events alone
 * (libs/grantguard, REVIEW-15 #1). */
#include <string.h>

#include <execrt/errors.h>
#include <execrt/rights.h>
#include <execrt/runtime.h>
#include <execrt/sys.h>

#include "cl_ports.h"
#include "gtest.h"
#include "gutil.h"
#include "names_env.h"

#define GRANT_RO (RIGHT_READ | RIGHT_MAP | RIGHT_TRANSFER)
#define ROUNDS	 48

static struct cl_resp resp;
static struct cl_event ev;
static struct names_env env;
static struct child comp;
static handle_t client;

static long start(void)
{
	long r = nenv_start(&env);
	if (r != 0)
		return r;
	client = nenv_mint(&env, 2);
	r = nenv_acl(&env, 2, "[]", "[\"*\"]");
	if (r == 0)
		r = nenv_acl(&env, 10, "[\"/svc/compositord\"]", "[]");
	if (r < 0)
		return r;
	handle_t h = nenv_mint(&env, 10);
	g_spawn_names = h;
	r = g_spawn("compositord", "", 4 * CHILD_QUOTA, 0, &comp);
	g_spawn_names = HANDLE_INVALID;
	sys_handle_close(h);
	return r;
}

/* 0 if compositord was still running (the same task) at the end. */
static long stop(void)
{
	int64_t st;
	long alive = -1;
	if (comp.task) /* still running after 1 ms: alive (then killed) */
		alive = g_reap(&comp, 1 * MS, &st) == ERR_TIMED_OUT ? 0 : -1;
	memset(&comp, 0, sizeof(comp));
	if (client)
		sys_handle_close(client);
	client = HANDLE_INVALID;
	nenv_stop(&env);
	return alive;
}

static long session(struct cl_conn *c)
{
	cl_set_names(client);
	long r = cl_connect("/svc/compositord", g_now() + 5000 * MS, c);
	cl_set_names(HANDLE_INVALID);
	if (r == 0)
		r = cl_request(c, "{\"cmd\":\"connect\"}", &resp);
	if (r == 0) {
		sys_handle_close(c->send);
		c->send = cl_resp_take_handle(&resp, 0);
	}
	return r;
}

static long req(struct cl_conn *c, const char *json, handle_t h)
{
	long r = cl_request_ex(c, json, &h, h ? 1 : 0, g_now() + 5000 * MS,
			       &resp);
	if (r < 0 && r != CL_ERR_REMOTE && h)
		sys_handle_close(h); /* not sent */
	return r;
}

static long grant(uint64_t len, handle_t *g, uint8_t **p)
{
	handle_t self = execrt_handle(START_H_SELF_TASK);
	uint64_t at = 0;
	long r =
		sys_grant_create(self, 0, len, VM_PROT_READ | VM_PROT_WRITE, g);
	if (r == 0)
		r = sys_grant_map(self, *g, VM_PROT_READ | VM_PROT_WRITE, 0,
				  &at);
	*p = (uint8_t *)at;
	return r;
}

static long bind(struct cl_conn *c, int64_t id, uint32_t w, uint32_t h,
		 handle_t g)
{
	char j[192];
	snprintf(j, sizeof(j),
		 "{\"cmd\":\"bind_dmabuf\",\"id\":%lld,\"fd\":0,\"w\":%u,"
		 "\"h\":%u,\"format\":\"RGBA8\",\"stride\":%u,\"modifier\":0}",
		 (long long)id, w, h, w * 4);
	handle_t give = g_dup(g, GRANT_RO); /* no MANAGE: cannot revoke */
	return req(c, j, give);
}

static long status_int(struct cl_conn *c, const char *key, int64_t *v)
{
	long r = req(c, "{\"cmd\":\"status\"}", HANDLE_INVALID);
	return r == 0 ? cl_resp_int(&resp, key, v) : r;
}

/* The revoker: on the other CPU, waits to be armed, lets a pseudo-random
 * part of up to two frames pass, revokes. Only system calls here. */
static volatile uint32_t rv_arm, rv_done;
static volatile handle_t rv_grant;
static volatile uint64_t rv_delay;

static int64_t revoker(uint64_t rounds)
{
	for (uint32_t i = 1; i <= rounds; i++) {
		while (rv_arm != i)
			sys_yield();
		g_spin(rv_delay);
		sys_grant_revoke(rv_grant);
		rv_done = i;
	}
	return 0;
}

static uint32_t count_errors(struct cl_stream *st, uint64_t wait_ns,
			     uint32_t most)
{
	uint32_t n = 0;
	while (n < most && cl_next_event(st, g_now() + wait_ns, &ev) == 0) {
		n += !strcmp(ev.name, "error") && strstr(ev.buf, "revoked");
		cl_event_close(&ev);
	}
	return n;
}

static void revoke_body(void)
{
	struct cl_conn a, b;
	GCHECK_OK(session(&a));
	GCHECK_OK(session(&b));
	static const char *const evs[] = {"error"};
	struct cl_stream sa, sb;
	GCHECK_OK(cl_subscribe(&a, evs, 1, &sa));
	GCHECK_OK(cl_subscribe(&b, evs, 1, &sb));

	/* b: an opaque 64x64 layer at (0,0), behind a's, never revoked */
	handle_t gb;
	uint8_t *pb;
	GCHECK_OK(grant(64 * 64 * 4, &gb, &pb));
	for (uint32_t i = 0; i < 64 * 64; i++)
		memcpy(pb + i * 4, "\x20\x40\x60\xff", 4);
	int64_t idb = 0, ida = 0;
	GCHECK_OK(req(&b, "{\"cmd\":\"create_layer\"}", HANDLE_INVALID));
	GCHECK_OK(cl_resp_int(&resp, "id", &idb));
	GCHECK_OK(bind(&b, idb, 64, 64, gb));
	char j[192];
	snprintf(j, sizeof(j),
		 "{\"cmd\":\"set\",\"id\":%lld,\"x\":0,\"y\":0,\"z\":0,"
		 "\"alpha\":1,\"visible\":true}",
		 (long long)idb);
	GCHECK_OK(req(&b, j, HANDLE_INVALID));

	/* a: a full-screen layer at alpha 0.5 in front, damaged without
	 * pause, so most frames compose all of it */
	GCHECK_OK(req(&a, "{\"cmd\":\"create_layer\"}", HANDLE_INVALID));
	GCHECK_OK(cl_resp_int(&resp, "id", &ida));
	snprintf(j, sizeof(j),
		 "{\"cmd\":\"set\",\"id\":%lld,\"x\":0,\"y\":0,\"z\":1,"
		 "\"alpha\":0.5,\"visible\":true}",
		 (long long)ida);
	GCHECK_OK(req(&a, j, HANDLE_INVALID));
	char dmg[64];
	snprintf(dmg, sizeof(dmg), "{\"cmd\":\"damage\",\"id\":%lld}",
		 (long long)ida);

	struct gthread rt;
	rv_arm = rv_done = 0;
	GCHECK_OK(gthread_start(&rt, revoker, ROUNDS));
	uint32_t errors = 0, seed = 12345;
	for (uint32_t i = 1; i <= ROUNDS; i++) {
		/* every other round larger than the screen: 12 MiB, its
		 * visible part 6 MiB of rows, more than compositord's
		 * scratch window (1 MiB) */
		uint32_t w = i % 2 ? 2048 : 1024, h = i % 2 ? 1536 : 768;
		handle_t ga;
		uint8_t *pa;
		if (grant((uint64_t)w * h * 4, &ga, &pa) < 0 ||
		    bind(&a, ida, w, h, ga)) {
			printf("    round %u: grant/bind: %s %s\n", i,
			       resp.code, resp.message);
			rv_grant = HANDLE_INVALID; /* the revoker still runs */
		} else {
			rv_grant = ga;
		}
		memset(pa, 0x80, 4096); /* some content, most pages zero */
		seed = seed * 1103515245u + 12345u;
		rv_delay = (seed >> 8) % (34 * MS);
		rv_arm = i;
		uint64_t end = g_now() + 5000 * MS;
		while (rv_done != i && g_now() < end)
			req(&a, dmg, HANDLE_INVALID);
		GCHECK_EQ(rv_done, i);
		errors += count_errors(&sa, 1000 * MS, 1);
		/* the revoke took it out of this task too */
		sys_handle_close(ga);
	}
	int64_t st = 0;
	GCHECK_OK(gthread_join(&rt, g_now() + 5000 * MS, &st));

	int64_t revoked = -1, faults = -1, frames = 0;
	GCHECK_OK(status_int(&a, "revoked", &revoked));
	GCHECK_OK(status_int(&a, "revoke_faults", &faults));
	GCHECK_OK(status_int(&a, "frames", &frames));
	printf("    %u rounds: %lld layers unbound, %lld faults during a "
	       "frame repaired, %u error events, %lld frames\n",
	       ROUNDS, (long long)revoked, (long long)faults, errors,
	       (long long)frames);
	GCHECK_EQ(revoked, ROUNDS);
	GCHECK_EQ(errors, ROUNDS);
	if (g_ncpus() >= 2) /* the race was really run */
		GCHECK(faults > 0);
	/* b heard nothing; its layer is bound and shows where a's was */
	GCHECK_EQ(count_errors(&sb, 100 * MS, 1), 0u);
	sys_sleep_until(g_now() + 100 * MS);
	snprintf(j, sizeof(j), "{\"cmd\":\"get\",\"id\":%lld}", (long long)idb);
	GCHECK_OK(req(&b, j, HANDLE_INVALID));
	char fmt[16] = "";
	cl_resp_str(&resp, "format", fmt, sizeof(fmt));
	GCHECK(!strcmp(fmt, "RGBA8"));
	GCHECK_OK(req(&b, "{\"cmd\":\"read_pixel\",\"x\":10,\"y\":10}",
		      HANDLE_INVALID));
	int64_t r = -1, g = -1, bl = -1;
	cl_resp_int(&resp, "r", &r);
	cl_resp_int(&resp, "g", &g);
	cl_resp_int(&resp, "b", &bl);
	GCHECK(r == 0x20 && g == 0x40 && bl == 0x60);
	GCHECK_OK(req(&b, "{\"cmd\":\"ping\"}", HANDLE_INVALID));

	cl_stream_close(&sa);
	cl_stream_close(&sb);
	sys_handle_close(a.send);
	sys_handle_close(b.send);
	sys_grant_unmap(execrt_handle(START_H_SELF_TASK), (uint64_t)pb);
	sys_handle_close(gb);
}

GTEST(compositord_survives_grants_revoked_while_it_composes)
{
	gtest_allow_growth();
	long r = start();
	if (r == 1)
		return;
	if (r == 0)
		revoke_body();
	GCHECK_OK(stop());
	GCHECK_OK(r);
}

/* The per-task limits of compositord.c (REVIEW-15 #6), from this one
 * task: 8 sessions, 4 subscriptions, 16 layers over all its endpoints;
 * the next of each is BUSY, naming the task limit. (Another task still
 * getting layers: tests/host/test_comp_review15.c.) */
static void limits_body(void)
{
	struct cl_conn pub, ses[9];
	cl_set_names(client);
	GCHECK_OK(cl_connect("/svc/compositord", g_now() + 5000 * MS, &pub));
	cl_set_names(HANDLE_INVALID);
	for (int i = 0; i < 8; i++)
		GCHECK_OK(session(&ses[i]));
	GCHECK_EQ(session(&ses[8]), CL_ERR_REMOTE);
	GCHECK(!strcmp(resp.code, "BUSY") && strstr(resp.message, "task"));
	sys_handle_close(ses[8].send); /* the public endpoint's */
	static const char *const evs[] = {"vsync"};
	struct cl_stream st[5];
	for (int i = 0; i < 4; i++)
		GCHECK_OK(cl_subscribe(i & 1 ? &pub : &ses[i], evs, 1, &st[i]));
	GCHECK_EQ(cl_subscribe(&ses[5], evs, 1, &st[4]), CL_ERR_REMOTE);
	int64_t id = 0;
	for (int i = 0; i < 16; i++)
		GCHECK_OK(req(i & 1 ? &pub : &ses[i % 8],
			      "{\"cmd\":\"create_layer\"}", HANDLE_INVALID));
	GCHECK_EQ(req(&ses[7], "{\"cmd\":\"create_layer\"}", HANDLE_INVALID),
		  CL_ERR_REMOTE);
	GCHECK(!strcmp(resp.code, "BUSY") && strstr(resp.message, "task"));
	/* a session's end gives its layers back: one more fits */
	sys_handle_close(ses[0].send);
	int64_t layers = 16;
	for (int t = 0; t < 100 && layers == 16; t++) {
		sys_sleep_until(g_now() + 10 * MS);
		status_int(&pub, "layers", &layers);
	}
	GCHECK(layers < 16);
	GCHECK_OK(req(&ses[7], "{\"cmd\":\"create_layer\"}", HANDLE_INVALID));
	GCHECK_OK(cl_resp_int(&resp, "id", &id));
	for (int i = 0; i < 4; i++)
		cl_stream_close(&st[i]);
	for (int i = 1; i < 8; i++)
		sys_handle_close(ses[i].send);
	cl_close(&pub);
}

GTEST(compositord_limits_are_per_task)
{
	gtest_allow_growth();
	long r = start();
	if (r == 1)
		return;
	if (r == 0)
		limits_body();
	GCHECK_OK(stop());
	GCHECK_OK(r);
}
