/* blitterd (services/blitterd, docs/graphics.md "blitterd") as a child
 * task against a real name service: the test acts as init (a badge
 * allowed to register /svc/blitterd). It makes grants of its own memory,
 * sends rect_fill / rect_copy / convert / batch with them attached and
 * checks every byte it can see through its own mapping; the grant-size
 * check (done in blitterd with SYS_VM_PROTECT, no size query) at a
 * one-page grant, a bigger one and one too small; read-only grants;
 * sessions whose surfaces go with the client's last handle; malformed
 * requests. The harness checks the kernel's counters afterwards. */
#include <cpuid.h>
#include <string.h>

#include <execrt/errors.h>
#include <execrt/rights.h>
#include <execrt/runtime.h>
#include <execrt/sys.h>

#include "cl_ports.h"
#include "gtest.h"
#include "gutil.h"
#include "names_env.h"

static struct cl_resp resp;
static struct cl_event ev;
static struct names_env env;
static struct child blit;
static handle_t client;

#define GRANT_RW (RIGHT_READ | RIGHT_WRITE | RIGHT_MAP | RIGHT_TRANSFER)
#define GRANT_RO (RIGHT_READ | RIGHT_MAP | RIGHT_TRANSFER)

struct grant {
	handle_t g;
	uint8_t *p;
	uint64_t len;
};

static long grant_new(struct grant *g, uint64_t len)
{
	handle_t self = execrt_handle(START_H_SELF_TASK);
	uint64_t at = 0;
	g->len = len;
	long r = sys_grant_create(self, 0, len, VM_PROT_READ | VM_PROT_WRITE,
				  &g->g);
	if (r == 0)
		r = sys_grant_map(self, g->g, VM_PROT_READ | VM_PROT_WRITE, 0,
				  &at);
	g->p = (uint8_t *)at;
	return r;
}

static void grant_free(struct grant *g)
{
	if (g->p)
		sys_grant_unmap(execrt_handle(START_H_SELF_TASK),
				(uint64_t)g->p);
	if (g->g)
		sys_handle_close(g->g);
	memset(g, 0, sizeof(*g));
}

/* A handle for blitterd: no MANAGE (it cannot revoke). */
static handle_t give(const struct grant *g, uint32_t rights)
{
	handle_t h = HANDLE_INVALID;
	sys_handle_dup(g->g, rights, &h);
	return h;
}

static long start(void)
{
	long r = nenv_start(&env);
	if (r != 0)
		return r;
	client = nenv_mint(&env, 2);
	r = nenv_acl(&env, 2, "[]", "[\"*\"]");
	if (r == 0)
		r = nenv_acl(&env, 10, "[\"/svc/blitterd\"]", "[]");
	if (r < 0)
		return r;
	handle_t h = nenv_mint(&env, 10);
	g_spawn_names = h;
	r = g_spawn("blitterd", "", CHILD_QUOTA, 0, &blit);
	g_spawn_names = HANDLE_INVALID;
	sys_handle_close(h);
	return r;
}

static void stop(void)
{
	int64_t st;
	if (blit.task) {
		sys_task_kill(blit.task, -1);
		g_reap(&blit, 2000 * MS, &st);
	}
	memset(&blit, 0, sizeof(blit));
	if (client)
		sys_handle_close(client);
	client = HANDLE_INVALID;
	nenv_stop(&env);
}

static long connect_blit(struct cl_conn *c)
{
	cl_set_names(client);
	long r = cl_connect("/svc/blitterd", g_now() + 5000 * MS, c);
	cl_set_names(HANDLE_INVALID);
	return r;
}

/* A request with one grant handle attached: 0 if answered ok, else the
 * CL_ERR_* (resp.code has the error). The handle is moved. */
static long req1(struct cl_conn *c, const char *json, handle_t h)
{
	long r = cl_request_ex(c, json, &h, h ? 1 : 0, g_now() + 5000 * MS,
			       &resp);
	if (r < 0 && r != CL_ERR_REMOTE && h)
		sys_handle_close(h); /* not sent */
	return r;
}

static bool is_err(long r, const char *code)
{
	return r == CL_ERR_REMOTE || r == CL_ERR_DENIED
		       ? !strcmp(resp.code, code)
		       : false;
}

/* What blitterd should find: CPUID AVX + OSXSAVE, XCR0 with SSE and AVX
 * state, leaf 7 AVX2 (written here again, not blit_cpu_avx2()). */
static bool guest_avx2(void)
{
	unsigned a, b, c, d;
	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 27)) ||
	    !(c & (1u << 28)))
		return false;
	uint32_t lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	if ((lo & 6) != 6 || __get_cpuid_max(0, NULL) < 7)
		return false;
	__cpuid_count(7, 0, a, b, c, d);
	return b & (1u << 5);
}

#define SURF(w, h, fmt, stride)                                                \
	"{\"fd\":0,\"w\":" #w ",\"h\":" #h ",\"format\":\"" fmt                \
	"\",\"stride\":" #stride "}"

static void serve_body(void)
{
	struct cl_conn c;
	GCHECK_OK(connect_blit(&c));
	char str[32];
	GCHECK_OK(cl_request(&c, "{\"cmd\":\"ping\"}", &resp));
	GCHECK_OK(cl_resp_str(&resp, "name", str, sizeof(str)));
	GCHECK(!strcmp(str, "blitterd"));
	GCHECK_OK(cl_resp_str(&resp, "protocol", str, sizeof(str)));
	GCHECK(!strcmp(str, "ports/v0"));
	/* AVX2 where the CPU has it and the kernel turned AVX on in XCR0
	 * (-cpu max; kernel/arch/x86_64/fpu.c), else SSE2 (-cpu qemu64,
	 * fpu=noavx). */
	GCHECK_OK(cl_request(&c, "{\"cmd\":\"status\"}", &resp));
	GCHECK_OK(cl_resp_str(&resp, "kernel", str, sizeof(str)));
	GCHECK(!strcmp(str, guest_avx2() ? "avx2" : "sse2"));

	/* rect_fill on a 3-page grant: 50x40 RGBA8, stride 204 (8160 B). */
	struct grant g = {0};
	GCHECK_OK(grant_new(&g, 3 * 4096));
	memset(g.p, 0x5a, g.len);
	static const char fill[] = "{\"cmd\":\"rect_fill\",\"dst\":" SURF(
		50, 40, "RGBA8",
		204) ",\"rect\":{\"x\":-3,\"y\":5,\"w\":20,\"h\":7},\"color\":{"
		     "\"r\":1,\"g\":2,\"b\":3,\"a\":4}}";
	long r = req1(&c, fill, give(&g, GRANT_RW));
	int64_t job = 0, px = 0;
	if (r == 0)
		r = cl_resp_int(&resp, "job", &job);
	if (r == 0)
		r = cl_resp_int(&resp, "pixels", &px);
	GCHECK_OK(r);
	GCHECK(job >= 1);
	GCHECK_EQ(px, 17 * 7);
	for (uint64_t i = 0; i < g.len; i++) {
		uint64_t y = i / 204, x = (i % 204) / 4;
		bool in = i % 204 < 200 && y >= 5 && y < 12 && x < 17 && y < 40;
		uint8_t want = in ? (uint8_t)(1 + i % 4) : 0x5a;
		if (g.p[i] != want) {
			printf("    byte %llu: %#x, want %#x\n",
			       (unsigned long long)i, g.p[i], want);
			GCHECK(0);
		}
	}

	/* convert in place RGBA8 -> BGRA8 (same grant twice), then a batch:
	 * an overlapping rect_copy one row down, and a fill. */
	for (uint64_t i = 0; i < 8160; i++)
		g.p[i] = (uint8_t)(i * 7);
	handle_t two[2] = {give(&g, GRANT_RW), give(&g, GRANT_RW)};
	r = cl_request_ex(
		&c,
		"{\"cmd\":\"convert\",\"src\":" SURF(
			50, 40, "RGBA8",
			204) ",\"dst\":{\"fd\":1,\"w\":50,\"h\":40,\"format\":"
			     "\"BGRA8\",\"stride\":204}}",
		two, 2, g_now() + 5000 * MS, &resp);
	GCHECK_OK(r);
	for (uint64_t i = 0; i < 8160; i++) {
		uint64_t k = i % 204, b = i % 4;
		uint64_t from = k >= 200 ? i
				: b == 0 ? i + 2
				: b == 2 ? i - 2
					 : i;
		GCHECK_EQ(g.p[i], (uint8_t)(from * 7));
	}
	uint8_t before[204 * 2];
	memcpy(before, g.p, sizeof(before));
	r = req1(&c,
		 "{\"cmd\":\"batch\",\"ops\":[{\"op\":\"rect_copy\","
		 "\"src\":" SURF(50, 40, "BGRA8", 204) ",\"dst\":" SURF(
			 50, 40, "BGRA8",
			 204) ",\"src_rect\":{\"x\":0,\"y\":0,\"w\":50,\"h\":"
			      "39},\"dst_xy\":"
			      "{\"x\":0,\"y\":1}},{\"op\":\"rect_fill\","
			      "\"dst\":" SURF(
				      50, 40, "BGRA8",
				      204) ",\"rect\":{\"x\":0,\"y\":0,\"w\":1,"
					   "\"h\":1},\"color\":{\"r\":9,"
					   "\"g\":8,\"b\":7}}]}",
		 give(&g, GRANT_RW));
	GCHECK_OK(r);
	GCHECK(!memcmp(g.p + 204, before, 200));   /* row 0 moved to row 1 */
	GCHECK(!memcmp(g.p + 4, before + 4, 196)); /* row 0 kept */
	GCHECK(g.p[0] == 7 && g.p[1] == 8 && g.p[2] == 9 && g.p[3] == 255);

	/* Grant sizes: one page exactly; one byte row too many; a
	 * stride below w*4. */
	struct grant one = {0};
	GCHECK_OK(grant_new(&one, 4096));
	r = req1(&c,
		 "{\"cmd\":\"rect_fill\",\"dst\":" SURF(
			 32, 32, "RGBA8", 128) ",\"rect\":{\"x\":31,\"y\":31,"
					       "\"w\":1,\"h\":1},\"color\":{"
					       "\"r\":1,\"g\":2,\"b\":3}}",
		 give(&one, GRANT_RW));
	GCHECK_OK(r);
	GCHECK(one.p[4092] == 1 && one.p[4095] == 255);
	r = req1(&c,
		 "{\"cmd\":\"rect_fill\",\"dst\":" SURF(
			 32, 33, "RGBA8", 128) ",\"rect\":{\"x\":0,\"y\":0,"
					       "\"w\":1,\"h\":1},\"color\":{"
					       "\"r\":1,\"g\":2,\"b\":3}}",
		 give(&one, GRANT_RW));
	GCHECK(is_err(r, "BAD_ARG"));
	GCHECK(strstr(resp.message, "smaller"));
	r = req1(&c,
		 "{\"cmd\":\"rect_fill\",\"dst\":" SURF(
			 50, 40, "RGBA8", 199) ",\"rect\":{\"x\":0,\"y\":0,"
					       "\"w\":1,\"h\":1},\"color\":{"
					       "\"r\":1,\"g\":2,\"b\":3}}",
		 give(&g, GRANT_RW));
	GCHECK(is_err(r, "BAD_ARG"));
	/* Read-only: a source yes, a destination DENIED. */
	r = req1(&c,
		 "{\"cmd\":\"rect_fill\",\"dst\":" SURF(
			 32, 32, "RGBA8", 128) ",\"rect\":{\"x\":0,\"y\":0,"
					       "\"w\":1,\"h\":1},\"color\":{"
					       "\"r\":1,\"g\":2,\"b\":3}}",
		 give(&one, GRANT_RO));
	GCHECK(is_err(r, "DENIED"));
	/* Malformed requests: errors, and blitterd still answers. */
	static const char *const bad[][2] = {
		{"{\"cmd\":", "BAD_JSON"},
		{"{\"cmd\":\"rect_fill\"}", "BAD_ARG"},
		{"{\"cmd\":\"nope\"}", "BAD_CMD"},
		{"{\"cmd\":\"rect_fill\",\"dst\":{\"surface\":999}}",
		 "NOT_FOUND"},
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = cl_request_raw(&c, bad[i][0], (uint32_t)strlen(bad[i][0]),
				   NULL, 0, g_now() + 5000 * MS, &resp);
		GCHECK(is_err(r, bad[i][1]));
	}
	GCHECK_OK(cl_request(&c, "{\"cmd\":\"status\"}", &resp));
	int64_t v = -1;
	GCHECK_OK(cl_resp_int(&resp, "mappings", &v));
	GCHECK_EQ(v, 0); /* one-shot grants are unmapped after each job */
	cl_close(&c);
	grant_free(&one);
	grant_free(&g);
}

GTEST(blitterd_serves_rect_fill_copy_convert_on_grants)
{
	gtest_allow_growth();
	long r = start();
	if (r == 1)
		return;
	if (r == 0)
		serve_body();
	stop();
	GCHECK_OK(r);
}

static void session_body(void)
{
	struct cl_conn pub, ses;
	GCHECK_OK(connect_blit(&pub));
	GCHECK_OK(cl_request(&pub, "{\"cmd\":\"connect\"}", &resp));
	GCHECK_EQ(resp.nhandles, 1);
	ses = pub;
	ses.send = cl_resp_take_handle(&resp, 0);
	struct grant g = {0};
	GCHECK_OK(grant_new(&g, 4096));
	long r = req1(&ses,
		      "{\"cmd\":\"surface_bind\",\"fd\":0,\"w\":16,\"h\":16,"
		      "\"format\":\"RGBA8\",\"stride\":64}",
		      give(&g, GRANT_RW));
	int64_t id = 0;
	if (r == 0)
		r = cl_resp_int(&resp, "surface", &id);
	GCHECK_OK(r);
	static const char *const evs[] = {"complete", "error"};
	struct cl_stream st;
	GCHECK_OK(cl_subscribe(&ses, evs, 2, &st));
	char j[256];
	snprintf(j, sizeof(j),
		 "{\"cmd\":\"rect_fill\",\"dst\":{\"surface\":%lld},\"rect\":{"
		 "\"x\":0,\"y\":0,\"w\":16,\"h\":16},\"color\":{\"r\":200,"
		 "\"g\":100,\"b\":50}}",
		 (long long)id);
	int64_t job = 0, ejob = -1;
	r = cl_request(&ses, j, &resp);
	if (r == 0)
		r = cl_resp_int(&resp, "job", &job);
	if (r == 0)
		r = cl_next_event(&st, g_now() + 2000 * MS, &ev);
	if (r == 0 && strcmp(ev.name, "complete"))
		r = CL_ERR_PROTO;
	if (r == 0)
		r = cl_event_int(&ev, "job", &ejob);
	GCHECK_OK(r);
	GCHECK_EQ(ejob, job);
	GCHECK(g.p[0] == 200 && g.p[1] == 100 && g.p[2] == 50 &&
	       g.p[1023] == 255);
	/* The public endpoint does not see the session's surface. */
	r = cl_request(&pub, j, &resp);
	GCHECK(is_err(r, "NOT_FOUND"));
	/* A failing job on the session: an error event with its id. */
	r = cl_request(&ses, "{\"cmd\":\"convert\"}", &resp);
	GCHECK(is_err(r, "BAD_ARG"));
	GCHECK_OK(cl_next_event(&st, g_now() + 2000 * MS, &ev));
	GCHECK(!strcmp(ev.name, "error"));
	/* The session's last handle goes: its surface and subscription too. */
	sys_handle_close(ses.send);
	cl_stream_close(&st);
	int64_t surfaces = -1, maps = -1, subs = -1;
	for (int i = 0; i < 100 && surfaces != 0; i++) {
		GCHECK_OK(cl_request(&pub, "{\"cmd\":\"status\"}", &resp));
		GCHECK_OK(cl_resp_int(&resp, "surfaces", &surfaces));
		GCHECK_OK(cl_resp_int(&resp, "mappings", &maps));
		GCHECK_OK(cl_resp_int(&resp, "subscribers", &subs));
		if (surfaces)
			sys_sleep_until(g_now() + 5 * MS);
	}
	GCHECK_EQ(surfaces, 0);
	GCHECK_EQ(maps, 0);
	GCHECK_EQ(subs, 0);
	cl_close(&pub);
	grant_free(&g);
}

GTEST(blitterd_session_surfaces_go_with_the_client)
{
	gtest_allow_growth();
	long r = start();
	if (r == 1)
		return;
	if (r == 0)
		session_body();
	stop();
	GCHECK_OK(r);
}

/* One grant, two handles: the write right is the presented handle's
 * (REVIEW-15 #2). A session binds it read-write; the public endpoint
 * presents a read-only handle of it for a rect_fill: DENIED, nothing
 * written. The reverse: a surface bound read-only first does not make a
 * later read-write handle of the grant DENIED. */
static void rights_body(void)
{
	struct cl_conn pub, ses;
	GCHECK_OK(connect_blit(&pub));
	GCHECK_OK(cl_request(&pub, "{\"cmd\":\"connect\"}", &resp));
	ses = pub;
	ses.send = cl_resp_take_handle(&resp, 0);
	struct grant g = {0}, g2 = {0};
	GCHECK_OK(grant_new(&g, 4096));
	GCHECK_OK(grant_new(&g2, 4096));
	GCHECK_OK(req1(&ses,
		       "{\"cmd\":\"surface_bind\",\"fd\":0,\"w\":16,\"h\":16,"
		       "\"format\":\"RGBA8\",\"stride\":64}",
		       give(&g, GRANT_RW)));
	static const char fill1[] = "{\"cmd\":\"rect_fill\",\"dst\":" SURF(
		16, 16, "RGBA8",
		64) ",\"rect\":{\"x\":0,\"y\":0,\"w\":1,\"h\":1},"
		    "\"color\":{\"r\":9,\"g\":9,\"b\":9}}";
	long r = req1(&pub, fill1, give(&g, GRANT_RO));
	GCHECK(is_err(r, "DENIED"));
	GCHECK_EQ(g.p[0], 0);
	/* the reverse, on the second grant */
	r = req1(&ses,
		 "{\"cmd\":\"surface_bind\",\"fd\":0,\"w\":16,\"h\":16,"
		 "\"format\":\"RGBA8\",\"stride\":64}",
		 give(&g2, GRANT_RO));
	GCHECK_OK(r);
	GCHECK(strstr(resp.buf, "\"writable\":false"));
	GCHECK_OK(req1(&pub, fill1, give(&g2, GRANT_RW)));
	GCHECK_EQ(g2.p[0], 9);
	/* A public surface is not usable from a session (REVIEW-15 #6). */
	int64_t id = 0;
	r = req1(&pub,
		 "{\"cmd\":\"surface_bind\",\"fd\":0,\"w\":16,\"h\":16,"
		 "\"format\":\"RGBA8\",\"stride\":64}",
		 give(&g, GRANT_RW));
	if (r == 0)
		r = cl_resp_int(&resp, "surface", &id);
	GCHECK_OK(r);
	char j[200];
	snprintf(j, sizeof(j),
		 "{\"cmd\":\"rect_fill\",\"dst\":{\"surface\":%lld},\"rect\":"
		 "{\"x\":0,\"y\":0,\"w\":1,\"h\":1},\"color\":{\"r\":7,"
		 "\"g\":7,\"b\":7}}",
		 (long long)id);
	GCHECK(is_err(cl_request(&ses, j, &resp), "NOT_FOUND"));
	GCHECK_EQ(g.p[0], 0);
	GCHECK_OK(cl_request(&pub, j, &resp));
	GCHECK_EQ(g.p[0], 7);
	snprintf(j, sizeof(j), "{\"cmd\":\"surface_unbind\",\"surface\":%lld}",
		 (long long)id);
	GCHECK_OK(cl_request(&pub, j, &resp));
	sys_handle_close(ses.send);
	cl_close(&pub);
	grant_free(&g);
	grant_free(&g2);
}

GTEST(blitterd_rights_are_the_presented_handles_and_endpoints)
{
	gtest_allow_growth();
	long r = start();
	if (r == 1)
		return;
	if (r == 0)
		rights_body();
	stop();
	GCHECK_OK(r);
}

/* A client revokes a grant blitterd has bound (it owns the grant, so it
 * holds MANAGE): blitterd's next job on it faults into its own handler,
 * which maps scratch memory; the job gets an error, the surface goes and
 * blitterd keeps serving (REVIEW-15 #1). */
static void revoke_body(void)
{
	struct cl_conn pub;
	GCHECK_OK(connect_blit(&pub));
	struct grant g = {0};
	GCHECK_OK(grant_new(&g, 4096));
	long r = req1(&pub,
		      "{\"cmd\":\"surface_bind\",\"fd\":0,\"w\":16,\"h\":16,"
		      "\"format\":\"RGBA8\",\"stride\":64}",
		      give(&g, GRANT_RW));
	int64_t id = 0, surfaces = -1, maps = -1;
	if (r == 0)
		r = cl_resp_int(&resp, "surface", &id);
	GCHECK_OK(r);
	GCHECK_OK(sys_grant_revoke(g.g));
	char j[256];
	snprintf(j, sizeof(j),
		 "{\"cmd\":\"rect_fill\",\"dst\":{\"surface\":%lld},\"rect\":{"
		 "\"x\":0,\"y\":0,\"w\":16,\"h\":16},\"color\":{\"r\":1,"
		 "\"g\":2,\"b\":3}}",
		 (long long)id);
	r = cl_request(&pub, j, &resp);
	GCHECK(is_err(r, "BAD_ARG"));
	GCHECK(strstr(resp.message, "revoked"));
	GCHECK_OK(cl_request(&pub, "{\"cmd\":\"status\"}", &resp));
	GCHECK_OK(cl_resp_int(&resp, "surfaces", &surfaces));
	GCHECK_OK(cl_resp_int(&resp, "mappings", &maps));
	GCHECK_EQ(surfaces, 0);
	GCHECK_EQ(maps, 0);
	/* the surface is gone; blitterd still serves */
	GCHECK(is_err(cl_request(&pub, j, &resp), "NOT_FOUND"));
	GCHECK_OK(cl_request(&pub, "{\"cmd\":\"ping\"}", &resp));
	cl_close(&pub);
	g.p = NULL; /* revoked: no mapping left */
	grant_free(&g);
}

GTEST(blitterd_survives_a_revoked_bound_grant)
{
	gtest_allow_growth();
	long r = start();
	if (r == 1)
		return;
	if (r == 0)
		revoke_body();
	stop();
	GCHECK_OK(r);
}
