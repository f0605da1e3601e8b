/* The console's port protocol, pure half (servers/console/proto.c):
 * request parsing, the JSON it answers and sends, and the COM1 GSI from
 * the bootinfo text. */
#include <string.h>

#include "harness.h"
#include "json.h"
#include "proto.h"

static void parse(const char *s, uint32_t nh, struct con_req *r)
{
	con_parse(s, strlen(s), nh, r);
}

TEST(console_proto_requests)
{
	static struct con_req r;
	parse("{\"cmd\":\"ping\"}", 0, &r);
	CHECK_EQ(r.cmd, CON_PING);
	parse(" {\"cmd\":\"status\",\"extra\":[1,2]} ", 0, &r);
	CHECK_EQ(r.cmd, CON_STATUS);
	parse("{\"cmd\":\"readline\",\"prompt\":\"exec-rt> \"}", 0, &r);
	CHECK_EQ(r.cmd, CON_READLINE);
	CHECK(!strcmp(r.prompt, "exec-rt> "));
	parse("{\"cmd\":\"readline\"}", 0, &r);
	CHECK_EQ(r.cmd, CON_READLINE);
	CHECK_EQ(r.prompt[0], 0);
	parse("{\"cmd\":\"readline\",\"prompt\":7}", 0, &r);
	CHECK_EQ(r.cmd, CON_BAD_ARG);
	parse("{\"cmd\":\"subscribe\",\"events\":[\"interrupt\",\"key\"],"
	      "\"port\":0}",
	      1, &r);
	CHECK_EQ(r.cmd, CON_SUBSCRIBE);
	CHECK_EQ(r.events, CON_EV_INTERRUPT | CON_EV_KEY);
	CHECK_EQ(r.port, 0);
	parse("{\"cmd\":\"subscribe\",\"events\":[\"interrupt\"],\"port\":1}",
	      2, &r);
	CHECK_EQ(r.cmd, CON_SUBSCRIBE);
	CHECK_EQ(r.events, CON_EV_INTERRUPT);
	CHECK_EQ(r.port, 1);
	parse("{\"cmd\":\"unsubscribe\",\"port\":0}", 1, &r);
	CHECK_EQ(r.cmd, CON_UNSUBSCRIBE);
	CHECK_EQ(r.port, 0);
	/* Without the stream's handle it cannot name whose to drop. */
	parse("{\"cmd\":\"unsubscribe\"}", 0, &r);
	CHECK_EQ(r.cmd, CON_BAD_ARG);
}

TEST(console_proto_bad_requests)
{
	static struct con_req r;
	const char *bad_arg[] = {
		"{\"cmd\":\"subscribe\",\"events\":[\"key\"],\"port\":0}",
		"{\"cmd\":\"subscribe\",\"events\":[\"key\"],\"port\":1}",
		"{\"cmd\":\"subscribe\",\"events\":[\"bogus\"],\"port\":0}",
		"{\"cmd\":\"subscribe\",\"events\":[],\"port\":0}",
		"{\"cmd\":\"subscribe\",\"events\":\"key\",\"port\":0}",
		"{\"cmd\":\"subscribe\",\"events\":[\"key\"],\"port\":-1}",
		"{\"cmd\":\"subscribe\",\"events\":[\"key\"]}",
	};
	for (size_t i = 0; i < sizeof(bad_arg) / sizeof(bad_arg[0]); i++) {
		parse(bad_arg[i], i == 1 ? 1 : 0, &r);
		CHECK_EQ(r.cmd, CON_BAD_ARG);
		CHECK(r.err != NULL);
	}
	parse("{\"cmd\":\"reboot\"}", 0, &r);
	CHECK_EQ(r.cmd, CON_BAD_CMD);
	parse("{\"nocmd\":1}", 0, &r);
	CHECK_EQ(r.cmd, CON_BAD_CMD);
	const char *bad_json[] = {
		"", "[1]", "{\"cmd\":", "ping", "{} {}", "\"x\""};
	for (size_t i = 0; i < sizeof(bad_json) / sizeof(bad_json[0]); i++) {
		parse(bad_json[i], 0, &r);
		CHECK_EQ(r.cmd, CON_BAD_JSON);
	}
	/* A long prompt is cut, not refused. */
	static char big[3000];
	int n = snprintf(big, sizeof(big),
			 "{\"cmd\":\"readline\",\"prompt\":\"");
	memset(big + n, 'p', 2000);
	strcpy(big + n + 2000, "\"}");
	parse(big, 0, &r);
	CHECK_EQ(r.cmd, CON_READLINE);
	CHECK_EQ(strlen(r.prompt), LD_PROMPT_MAX);
}

TEST(console_proto_answers_are_json)
{
	static char buf[1024];
	static struct json_doc d;
	int64_t v;
	int n = con_ping_json(buf, sizeof(buf));
	CHECK(n > 0);
	CHECK(!strcmp(buf, "{\"name\":\"console\",\"version\":\"0.1.0\","
			   "\"protocol\":\"ports/v0\"}"));
	struct con_stats s = {.rx_bytes = 5,
			      .tx_bytes = 1234567890123ull,
			      .dropped_msgs = 2,
			      .gsi = 4,
			      .readline = 1};
	n = con_status_json(&s, buf, sizeof(buf));
	CHECK(n > 0);
	CHECK_EQ(json_parse(&d, buf, (size_t)n), 0);
	CHECK_EQ(json_get_int(&d, "tx_bytes", &v), 0);
	CHECK_EQ(v, 1234567890123ll);
	CHECK_EQ(json_get_int(&d, "dropped", &v), 0);
	CHECK_EQ(v, 2);
	bool b = false;
	CHECK_EQ(json_get_bool(&d, "readline", &b), 0);
	CHECK(b);
	n = con_line_json("say \"hi\" \\ back", buf, sizeof(buf));
	CHECK(n > 0);
	CHECK_EQ(json_parse(&d, buf, (size_t)n), 0);
	static char line[64];
	CHECK(json_get_str(&d, "line", line, sizeof(line)) > 0);
	CHECK(!strcmp(line, "say \"hi\" \\ back"));
	n = con_key_event_json(27, buf, sizeof(buf));
	CHECK(!strcmp(buf, "{\"event\":\"key\",\"code\":27}"));
	n = con_interrupt_event_json(buf, sizeof(buf));
	CHECK(!strcmp(buf, "{\"event\":\"interrupt\"}"));
	CHECK(con_line_json("x", buf, 4) < 0); /* too small: an error */
}

TEST(console_proto_isa_gsi)
{
	const char *bi = "mem 0x0 0x9fc00 1\n"
			 "isa_irq 0 2\n"
			 "isa_irq 4 4\n"
			 "isa_irq 9 9\n";
	CHECK_EQ(con_isa_gsi(bi, strlen(bi), 4, 99), 4);
	CHECK_EQ(con_isa_gsi(bi, strlen(bi), 0, 99), 2);
	CHECK_EQ(con_isa_gsi(bi, strlen(bi), 3, 99), 99);
	const char *moved = "isa_irq 4 0x14\nisa_irq 4 7\n";
	CHECK_EQ(con_isa_gsi(moved, strlen(moved), 4, 99), 20);
	const char *broken = "isa_irq 4\nisa_irq 4 x\nisa_irq 4 5 6\n"
			     "isa_irq  4 5\nisa_irq 4 99999999999\n"
			     "isa_irq 4 11";
	CHECK_EQ(con_isa_gsi(broken, strlen(broken), 4, 4), 11);
	CHECK_EQ(con_isa_gsi(broken, 10, 4, 4), 4); /* cut inside a line */
	CHECK_EQ(con_isa_gsi("", 0, 4, 4), 4);
}

/* The screen console's calls (servers/fbcon): mirror takes a handle
 * index, input carries hex bytes; anything malformed is BAD_ARG. */
TEST(console_proto_screen_calls)
{
	static struct con_req r;
	const char *m = "{\"cmd\":\"mirror\",\"port\":0}";
	con_parse(m, strlen(m), 1, &r);
	CHECK_EQ(r.cmd, CON_MIRROR);
	CHECK_EQ(r.port, 0);
	con_parse(m, strlen(m), 0, &r); /* no handle attached */
	CHECK_EQ(r.cmd, CON_BAD_ARG);
	const char *in = "{\"cmd\":\"input\",\"hex\":\"6869031b5B41ff00\"}";
	con_parse(in, strlen(in), 0, &r);
	CHECK_EQ(r.cmd, CON_INPUT);
	CHECK_EQ(r.ninput, 8);
	CHECK(!memcmp(r.input, "hi\x03\x1b[A\xff\x00", 8));
	const char *bad[] = {
		"{\"cmd\":\"input\"}",
		"{\"cmd\":\"input\",\"hex\":\"abc\"}",
		"{\"cmd\":\"input\",\"hex\":\"zz\"}",
		"{\"cmd\":\"input\",\"hex\":12}",
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		con_parse(bad[i], strlen(bad[i]), 0, &r);
		CHECK_EQ(r.cmd, CON_BAD_ARG);
	}
	/* Over CON_INPUT_MAX bytes: refused, not cut. */
	static char big[2 * CON_INPUT_MAX + 64];
	int n = snprintf(big, sizeof(big), "{\"cmd\":\"input\",\"hex\":\"");
	for (int i = 0; i < CON_INPUT_MAX + 1; i++)
		n += snprintf(big + n, sizeof(big) - (size_t)n, "41");
	snprintf(big + n, sizeof(big) - (size_t)n, "\"}");
	con_parse(big, strlen(big), 0, &r);
	CHECK_EQ(r.cmd, CON_BAD_ARG);
	char buf[64];
	CHECK(con_taken_json(7, buf, sizeof(buf)) > 0);
	STR_EQ(buf, "{\"taken\":7}");
}
