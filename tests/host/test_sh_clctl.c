/* clctl's requests and answer formatting (apps/clctl/clfmt.c). */
#include <string.h>

#include "clfmt.h"
#include "harness.h"

static char req[256], err[256], out[4096];
static struct json_doc doc;

static int request(int argc, char **argv)
{
	return clctl_request(argc, argv, req, sizeof(req), err, sizeof(err));
}

static int parse(const char *js)
{
	return json_parse(&doc, js, strlen(js));
}

TEST(sh_clctl_requests)
{
	CHECK(request(2, (char *[]){"clctl", "status"}) > 0);
	CHECK(!strcmp(req, "{\"cmd\":\"status\"}"));
	CHECK(request(3, (char *[]){"clctl", "restart", "console"}) > 0);
	CHECK(!strcmp(req, "{\"cmd\":\"restart\",\"name\":\"console\"}"));
	CHECK(request(4, (char *[]){"clctl", "logs", "test", "512"}) > 0);
	CHECK(!strcmp(req,
		      "{\"cmd\":\"logs\",\"name\":\"test\",\"bytes\":512}"));
	CHECK(request(2, (char *[]){"clctl", "doctor"}) > 0);

	CHECK_EQ(request(1, (char *[]){"clctl"}), -1);
	CHECK(strstr(err, "no command") && strstr(err, "usage: clctl"));
	CHECK_EQ(request(2, (char *[]){"clctl", "frob"}), -1);
	CHECK(strstr(err, "unknown command"));
	CHECK_EQ(request(2, (char *[]){"clctl", "stop"}), -1);
	CHECK(strstr(err, "which service?"));
	CHECK_EQ(request(3, (char *[]){"clctl", "status", "x"}), -1);
	CHECK(strstr(err, "too many arguments"));
	CHECK_EQ(request(4, (char *[]){"clctl", "stop", "a", "b"}), -1);
	CHECK_EQ(request(4, (char *[]){"clctl", "logs", "a", "12x"}), -1);
	CHECK(strstr(err, "bad byte count"));
	CHECK_EQ(request(4, (char *[]){"clctl", "logs", "a", ""}), -1);
	CHECK_EQ(request(3, (char *[]){"clctl", "stop", "a\"b"}), -1);
	CHECK(strstr(err, "bad service name"));
	CHECK_EQ(request(3, (char *[]){"clctl", "stop", ""}), -1);
}

TEST(sh_clctl_status_table)
{
	struct clout o;
	CHECK_EQ(parse("{\"services\":[{\"name\":\"console\",\"state\":"
		       "\"running\",\"task\":5,\"generation\":1,\"restarts\":0,"
		       "\"last_exit\":null,\"since_usec\":12345678},"
		       "{\"name\":\"test\",\"state\":\"backoff\",\"task\":0,"
		       "\"generation\":3,\"restarts\":2,\"last_exit\":-65550,"
		       "\"since_usec\":99000}]}"),
		 0);
	clo_init(&o, out, sizeof(out));
	clctl_fmt_status(&o, &doc, 0);
	const char *want =
		"NAME             STATE        TASK  GEN RESTARTS LAST EXIT  "
		"SINCE\n"
		"console          running         5    1        0 -          "
		"12.345 s\n"
		"test             backoff         0    3        2 -65550     "
		"0.099 s\n"
		"2 services\n";
	if (strcmp(out, want)) {
		fprintf(stderr, "got:\n%s\nwant:\n%s\n", out, want);
		CHECK(0);
	}
	CHECK_EQ(o.lost, 0);
	/* The array as the result itself; missing fields show "-". */
	CHECK_EQ(parse("[{\"name\":\"x\"}]"), 0);
	clo_init(&o, out, sizeof(out));
	clctl_fmt_status(&o, &doc, 0);
	CHECK(strstr(out, "\nx                -               -    -        - "
			  "-          -\n1 service\n"));
	/* Something else: generic lines. */
	CHECK_EQ(parse("{\"weird\":true}"), 0);
	clo_init(&o, out, sizeof(out));
	clctl_fmt_status(&o, &doc, 0);
	CHECK(!strcmp(out, "weird: true\n"));
}

TEST(sh_clctl_logs_and_generic)
{
	struct clout o;
	CHECK_EQ(parse("{\"text\":\"[ 1.0] [test] hi\\n[ 2.0] [test] "
		       "bye\",\"dropped\":7}"),
		 0);
	clo_init(&o, out, sizeof(out));
	clctl_fmt_logs(&o, &doc, 0);
	CHECK(!strcmp(out, "[ 1.0] [test] hi\n[ 2.0] [test] bye\n(7 dropped "
			   "before this)\n"));
	CHECK_EQ(parse("{\"text\":\"\",\"dropped\":0}"), 0);
	clo_init(&o, out, sizeof(out));
	clctl_fmt_logs(&o, &doc, 0);
	CHECK(!strcmp(out, "(nothing logged)\n"));

	CHECK_EQ(parse("{\"checks\":[\"names up\",{\"service\":\"test\","
		       "\"warning\":\"restarted 3 times\\u0007\"}],"
		       "\"warnings\":[],\"n\":2,\"ok\":{}}"),
		 0);
	clo_init(&o, out, sizeof(out));
	clctl_fmt_generic(&o, &doc, 0);
	const char *want = "checks:\n"
			   "  - names up\n"
			   "  -\n"
			   "    service: test\n"
			   "    warning: restarted 3 times?\n"
			   "warnings:\n"
			   "  (none)\n"
			   "n: 2\n"
			   "ok:\n"
			   "  (empty)\n";
	if (strcmp(out, want)) {
		fprintf(stderr, "got:\n%s\nwant:\n%s\n", out, want);
		CHECK(0);
	}
	/* Deep nesting is cut, not recursed into. */
	CHECK_EQ(parse("[[[[[[[[[[[[1]]]]]]]]]]]]"), 0);
	clo_init(&o, out, sizeof(out));
	clctl_fmt_generic(&o, &doc, 0);
	CHECK(strstr(out, "[[[[[[1]]]]]]"));
}

TEST(sh_clctl_output_bounded)
{
	static char small[32];
	struct clout o;
	CHECK_EQ(parse("{\"text\":\"0123456789012345678901234567890123456789"
		       "\",\"dropped\":0}"),
		 0);
	clo_init(&o, small, sizeof(small));
	clctl_fmt_logs(&o, &doc, 0);
	CHECK(strlen(small) < sizeof(small));
	CHECK(o.len < sizeof(small));
	CHECK_EQ(parse("{\"a\":\"0123456789012345678901234567890123456789\","
		       "\"b\":[1,2,3,4,5,6,7,8,9]}"),
		 0);
	clo_init(&o, small, sizeof(small));
	clctl_fmt_generic(&o, &doc, 0);
	CHECK_EQ(strlen(small), sizeof(small) - 1);
	CHECK(o.lost > 0);
	clo_init(&o, small, 0); /* no room at all */
	clctl_fmt_generic(&o, &doc, 0);
	CHECK_EQ(o.len, 0);
}

/* Damaged answers: whatever json_parse accepts, the three formatters
 * stay inside their buffers (ASan) and keep it terminated. */
TEST(sh_clctl_random_answers)
{
	static const char good[] =
		"{\"services\":[{\"name\":\"a\\u00e9\",\"state\":\"running\","
		"\"task\":5,\"generation\":1,\"restarts\":0,\"last_exit\":null,"
		"\"since_usec\":12},{\"name\":\"b\",\"task\":[1,{\"x\":2}]}],"
		"\"text\":\"l1\\nl2\",\"dropped\":3,\"checks\":[[[[[[[[1]]]]]]]"
		"]}";
	static char js[sizeof(good)];
	static char small[97];
	uint64_t s = 99;
	int parsed = 0;
	for (int n = 0; n < 100000; n++) {
		memcpy(js, good, sizeof(good));
		int edits = 1 + n % 4;
		for (int k = 0; k < edits; k++) {
			s = s * 6364136223846793005ull + 1442695040888963407ull;
			size_t at = (size_t)(s >> 33) % (sizeof(good) - 1);
			js[at] = "{}[],:\"0a-.\\ "[(s >> 20) % 13];
		}
		if (json_parse(&doc, js, sizeof(good) - 1) < 0)
			continue;
		parsed++;
		struct clout o;
		size_t cap = 1 + (size_t)(s >> 40) % sizeof(small);
		clo_init(&o, small, cap);
		clctl_fmt_status(&o, &doc, 0);
		CHECK(o.len < cap && strlen(small) == o.len);
		clo_init(&o, small, cap);
		clctl_fmt_logs(&o, &doc, 0);
		CHECK(o.len < cap && strlen(small) <= o.len);
		clo_init(&o, out, sizeof(out));
		clctl_fmt_generic(&o, &doc, 0);
		CHECK(o.len < sizeof(out) && strlen(out) == o.len);
	}
	CHECK(parsed > 1000);
}
