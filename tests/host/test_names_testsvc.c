/* testsvc's protocol (services/test/tsvc_proto.c) and portctl's helpers
 * (apps/portctl/pc_util.c): arguments, every command and its errors,
 * crash-after counting, ticks, JSON layout and the streamed request's
 * port member; bad input gives an error, never a crash (ASan/UBSan). */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "pc_util.h"
#include "tsvc_proto.h"

static struct tsvc s;
static struct tsvc_out o;
static char err[200];

static void call(const char *j, uint32_t nh)
{
	tsvc_handle(&s, j, strlen(j), nh, 5000000, &o);
}

TEST(testsvc_args)
{
	char *a1[] = {"testsvc", "--tick-ms", "20",	"--crash-after",
		      "3",	 "--name",    "/svc/t2"};
	CHECK_EQ(tsvc_init(&s, 7, a1, 0, err, sizeof(err)), 0);
	CHECK_EQ(s.tick_ns, 20000000);
	CHECK_EQ(s.crash_after, 3);
	CHECK(!strcmp(s.name, "/svc/t2"));
	char *a2[] = {"testsvc"};
	CHECK_EQ(tsvc_init(&s, 1, a2, 0, err, sizeof(err)), 0);
	CHECK_EQ(s.tick_ns, 100000000);
	CHECK(!strcmp(s.name, "/svc/test") && !s.crash_after);
	char *bad[][2] = {{"--tick-ms", "0"},
			  {"--tick-ms", "x"},
			  {"--tick-ms", NULL},
			  {"--crash-after", "-1"},
			  {"--name", "svc"},
			  {"--what", "1"},
			  {"--tick-ms", "60001"},
			  {"--crash-after", "99999999999999999999"}};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *a[] = {"testsvc", bad[i][0], bad[i][1]};
		CHECK_EQ(tsvc_init(&s, bad[i][1] ? 3 : 2, a, 0, err,
				   sizeof(err)),
			 -1);
		CHECK(strstr(err, "bad argument"));
	}
}

TEST(testsvc_commands)
{
	char *a[] = {"testsvc"};
	CHECK_EQ(tsvc_init(&s, 1, a, 1000, err, sizeof(err)), 0);
	call("{\"cmd\":\"ping\"}", 0);
	CHECK(o.act == TSVC_REPLY && o.ok);
	CHECK(strstr(o.result, "\"protocol\":\"ports/v0\""));
	call(" {\"cmd\":\"echo\",\"x\":[1,{\"y\":\"z\"}]} ", 0);
	CHECK(o.ok && !strcmp(o.result, "{\"cmd\":\"echo\",\"x\":[1,{\"y\":"
					"\"z\"}]}"));
	call("{\"cmd\":\"sleep\",\"usec\":250}", 0);
	CHECK(o.act == TSVC_SLEEP && o.until_ns == 5000000 + 250000);
	CHECK(o.usec == 250);
	call("{\"cmd\":\"sleep\",\"usec\":60000001}", 0);
	CHECK(o.act == TSVC_REPLY && !o.ok && !strcmp(o.code, "BAD_ARG"));
	call("{\"cmd\":\"sleep\"}", 0);
	CHECK(!o.ok && !strcmp(o.code, "BAD_ARG"));
	s.sleepers = TSVC_MAX_SLEEPERS;
	call("{\"cmd\":\"sleep\",\"usec\":1}", 0);
	CHECK(!o.ok && !strcmp(o.code, "BUSY"));
	s.sleepers = 0;
	call("{\"cmd\":\"crash\"}", 0);
	CHECK(o.act == TSVC_CRASH);
	call("{\"cmd\":\"exit\",\"status\":7}", 0);
	CHECK(o.act == TSVC_EXIT && o.status == 7);
	call("{\"cmd\":\"exit\"}", 0);
	CHECK(o.act == TSVC_EXIT && o.status == 0);
	call("{\"cmd\":\"exit\",\"status\":256}", 0);
	CHECK(o.act == TSVC_REPLY && !strcmp(o.code, "BAD_ARG"));
	call("{\"cmd\":\"subscribe\",\"events\":[\"tick\"],\"port\":0}", 1);
	CHECK(o.act == TSVC_SUBSCRIBE && o.port == 0);
	call("{\"cmd\":\"subscribe\",\"events\":[\"tick\"],\"port\":1}", 1);
	CHECK(o.act == TSVC_REPLY && !strcmp(o.code, "BAD_ARG"));
	call("{\"cmd\":\"subscribe\",\"events\":[\"vsync\"],\"port\":0}", 1);
	CHECK(!strcmp(o.code, "BAD_ARG"));
	call("{\"cmd\":\"subscribe\",\"events\":[],\"port\":0}", 1);
	CHECK(!strcmp(o.code, "BAD_ARG"));
	s.subscribers = TSVC_MAX_SUBS;
	call("{\"cmd\":\"subscribe\",\"events\":[\"tick\"],\"port\":0}", 1);
	CHECK(!strcmp(o.code, "BUSY"));
	call("{\"cmd\":\"status\"}", 0);
	CHECK(o.ok && strstr(o.result, "\"subscribers\":8,"));
	CHECK(strstr(o.result, "\"uptime_usec\":4999}"));
	CHECK(strstr(o.result, "\"calls\":16,"));
	call("{\"cmd\":\"log\",\"lines\":3}", 0);
	CHECK(o.act == TSVC_LOG && o.lines == 3 && !strcmp(o.result,
							 "{\"lines\":3}"));
	call("{\"cmd\":\"log\",\"lines\":0}", 0);
	CHECK(o.act == TSVC_REPLY && !strcmp(o.code, "BAD_ARG"));
	call("{\"cmd\":\"log\",\"lines\":1000001}", 0);
	CHECK(!strcmp(o.code, "BAD_ARG"));
	call("{\"cmd\":\"fly\"}", 0);
	CHECK(!strcmp(o.code, "BAD_CMD"));
	call("{\"cmd\":", 0);
	CHECK(!strcmp(o.code, "BAD_JSON"));
	call("[]", 0);
	CHECK(!strcmp(o.code, "BAD_JSON"));
	char tk[96];
	CHECK(tsvc_tick(&s, 7000, tk, sizeof(tk)) > 0);
	CHECK(!strcmp(tk, "{\"event\":\"tick\",\"n\":1,\"usec\":7}"));
	tsvc_tick(&s, 9000, tk, sizeof(tk));
	CHECK(!strcmp(tk, "{\"event\":\"tick\",\"n\":2,\"usec\":9}"));
}

TEST(testsvc_crash_after)
{
	char *a[] = {"testsvc", "--crash-after", "3"};
	CHECK_EQ(tsvc_init(&s, 3, a, 0, err, sizeof(err)), 0);
	call("{\"cmd\":\"ping\"}", 0);
	CHECK(o.act == TSVC_REPLY);
	call("garbage", 0);
	CHECK(o.act == TSVC_REPLY);
	call("{\"cmd\":\"ping\"}", 0); /* the third call */
	CHECK(o.act == TSVC_CRASH);
}

TEST(portctl_args)
{
	struct pc_args pa;
	char *a1[] = {"portctl",  "test",      "{\"cmd\":", "\"echo\"}",
		      "--stream", "--timeout", "250"};
	CHECK_EQ(pc_parse_args(7, a1, &pa, err, sizeof(err)), 0);
	CHECK(!strcmp(pa.svc, "/svc/test"));
	CHECK(!strcmp(pa.json, "{\"cmd\": \"echo\"}"));
	CHECK(pa.stream && !pa.compact && !pa.reconnect);
	CHECK_EQ(pa.timeout_ms, 250);
	char *a2[] = {"portctl", "--compact", "/svc/x", "{}", "--reconnect"};
	CHECK_EQ(pc_parse_args(5, a2, &pa, err, sizeof(err)), 0);
	CHECK(!strcmp(pa.svc, "/svc/x") && pa.compact && pa.reconnect);
	CHECK(!pa.until_ok);
	char *a3[] = {"portctl", "x", "{}", "--until-ok"};
	CHECK_EQ(pc_parse_args(4, a3, &pa, err, sizeof(err)), 0);
	CHECK(pa.until_ok && !pa.stream);
	char *bad1[] = {"portctl", "test"};
	CHECK_EQ(pc_parse_args(2, bad1, &pa, err, sizeof(err)), -1);
	CHECK(strstr(err, "usage"));
	char *bad2[] = {"portctl", "/other/x", "{}"};
	CHECK_EQ(pc_parse_args(3, bad2, &pa, err, sizeof(err)), -1);
	char *bad3[] = {"portctl", "x", "{}", "--timeout", "0"};
	CHECK_EQ(pc_parse_args(5, bad3, &pa, err, sizeof(err)), -1);
	char *bad4[] = {"portctl", "x", "{}", "--timeout"};
	CHECK_EQ(pc_parse_args(4, bad4, &pa, err, sizeof(err)), -1);
	char *bad5[] = {"portctl", "/svc/", "{}"};
	CHECK_EQ(pc_parse_args(3, bad5, &pa, err, sizeof(err)), -1);
	/* A 5000-byte request is refused, not truncated. */
	static char big[5000];
	memset(big, 'a', sizeof(big) - 1);
	char *bad6[] = {"portctl", "x", big};
	CHECK_EQ(pc_parse_args(3, bad6, &pa, err, sizeof(err)), -1);
	char n[64];
	CHECK_EQ(pc_svc_name("a b", n, sizeof(n)), -1);
	CHECK_EQ(pc_svc_name("test", n, 8), -1);
	CHECK_EQ(pc_svc_name("test", n, sizeof(n)), 0);
}

TEST(portctl_layout)
{
	static const char js[] =
		" {\"ok\": true, \"result\":{\"a\":[1, 2,{}],\"s\":\"x, {y}: "
		"\\\"q\\\"\",\"e\":[]}}";
	char out[512];
	CHECK(pc_compact(js, strlen(js), out, sizeof(out)) > 0);
	CHECK(!strcmp(out, "{\"ok\":true,\"result\":{\"a\":[1,2,{}],\"s\":\"x, "
			   "{y}: \\\"q\\\"\",\"e\":[]}}"));
	CHECK(pc_pretty(js, strlen(js), out, sizeof(out)) > 0);
	CHECK(!strcmp(out, "{\n  \"ok\": true,\n  \"result\": {\n    \"a\": [\n"
			   "      1,\n      2,\n      {}\n    ],\n    \"s\": "
			   "\"x, {y}: \\\"q\\\"\",\n    \"e\": []\n  }\n}"));
	/* Too small: -1, still terminated, never past the end. */
	for (size_t cap = 1; cap < 40; cap++) {
		char *b = malloc(cap);
		CHECK(b);
		int r = pc_pretty(js, strlen(js), b, cap);
		CHECK(r == -1 && strlen(b) < cap);
		free(b);
	}
}

TEST(portctl_with_port)
{
	char out[128];
	CHECK(pc_with_port("{\"cmd\":\"subscribe\",\"events\":[\"tick\"]}", out,
			   sizeof(out)) > 0);
	CHECK(!strcmp(out, "{\"cmd\":\"subscribe\",\"events\":[\"tick\"],"
			   "\"port\":0}"));
	CHECK(pc_with_port("{ }", out, sizeof(out)) > 0);
	CHECK(!strcmp(out, "{ \"port\":0}"));
	CHECK(pc_with_port("{\"port\":3} ", out, sizeof(out)) > 0);
	CHECK(!strcmp(out, "{\"port\":3} "));
	CHECK_EQ(pc_with_port("[1]", out, sizeof(out)), -1);
	CHECK_EQ(pc_with_port("{\"a\":", out, sizeof(out)), -1);
	CHECK_EQ(pc_with_port("{\"aaaaaaaaaa\":1}", out, 12), -1);
}
