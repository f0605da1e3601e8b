/* httpd's pure half (apps/httpd/http.c, status.c): the request parser on
 * good, split, pipelined, hostile and random input; routes; response
 * heads; the status page's JSON parsed back with the sdk's reader and its
 * HTML escaped. */
#include <stdlib.h>

#include "harness.h"
#include "http.h"
#include "json.h"
#include "status.h"

#define REQ(s) (s), (sizeof(s) - 1)

TEST(net_http_parses_get_with_headers)
{
	struct http_req r;
	const char s[] = "GET /status.json?x=1 HTTP/1.1\r\nHost: a\r\n"
			 "User-Agent: t\r\n\r\n";
	CHECK_EQ(http_parse(REQ(s), &r), sizeof(s) - 1);
	CHECK_EQ(r.method, HTTP_GET);
	CHECK_EQ(r.minor, 1);
	CHECK(r.keep_alive);
	STR_EQ(r.path, "/status.json");
	CHECK_EQ(http_route(r.path), ROUTE_JSON);
}

TEST(net_http_connection_header_and_versions)
{
	struct http_req r;
	CHECK(http_parse(REQ("GET / HTTP/1.1\r\nConnection: Close\r\n\r\n"),
			 &r) > 0);
	CHECK(!r.keep_alive);
	CHECK(http_parse(REQ("GET / HTTP/1.0\r\n\r\n"), &r) > 0);
	CHECK(!r.keep_alive);
	CHECK(http_parse(REQ("HEAD / HTTP/1.0\nconnection: foo, keep-alive"
			     "\n\n"),
			 &r) > 0);
	CHECK(r.keep_alive);
	CHECK_EQ(r.method, HTTP_HEAD);
	CHECK_EQ(http_parse(REQ("GET / HTTP/2.0\r\n\r\n"), &r), HTTP_E_VERSION);
	CHECK_EQ(http_parse(REQ("GET / HTTP/1.x\r\n\r\n"), &r), HTTP_E_BAD);
	CHECK_EQ(http_parse(REQ("POST / HTTP/1.1\r\n\r\n"), &r), HTTP_E_METHOD);
}

TEST(net_http_incomplete_then_complete)
{
	const char s[] = "GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n";
	struct http_req r;
	for (size_t n = 0; n < sizeof(s) - 1; n++)
		CHECK_EQ(http_parse(s, n, &r), 0);
	CHECK_EQ(http_parse(REQ(s), &r), sizeof(s) - 1);
	CHECK_EQ(http_route(r.path), ROUTE_HTML);
}

TEST(net_http_pipelined_requests_one_at_a_time)
{
	const char s[] = "GET / HTTP/1.1\r\n\r\nGET /status.json HTTP/1.1\r\n"
			 "\r\nGET /x HTTP/1.1\r\n\r\n";
	struct http_req r;
	size_t off = 0;
	const char *want[] = {"/", "/status.json", "/x"};
	for (int i = 0; i < 3; i++) {
		int n = http_parse(s + off, sizeof(s) - 1 - off, &r);
		CHECK(n > 0);
		STR_EQ(r.path, want[i]);
		off += (size_t)n;
	}
	CHECK_EQ(off, sizeof(s) - 1);
	CHECK_EQ(http_route("/x"), ROUTE_NOT_FOUND);
}

TEST(net_http_refuses_bad_input)
{
	struct http_req r;
	CHECK_EQ(http_parse(REQ("GET\r\n\r\n"), &r), HTTP_E_BAD);
	CHECK_EQ(http_parse(REQ("GET x HTTP/1.1\r\n\r\n"), &r), HTTP_E_BAD);
	CHECK_EQ(http_parse(REQ("GET / HTTP/1.1\r\nNoColon\r\n\r\n"), &r),
		 HTTP_E_BAD);
	CHECK_EQ(http_parse(REQ("GET / HTTP/1.1\r\nA : b\r\n\r\n"), &r),
		 HTTP_E_BAD);
	CHECK_EQ(http_parse(REQ("GET / HTTP/1.1\r\n folded\r\n\r\n"), &r),
		 HTTP_E_BAD);
	CHECK_EQ(http_parse(REQ("GET /a\rb HTTP/1.1\r\n\r\n"), &r), HTTP_E_BAD);
	CHECK_EQ(http_parse(REQ("GET / HTTP/1.1\r\nContent-Length: 5\r\n\r\n"),
			    &r),
		 HTTP_E_BAD);
	CHECK_EQ(http_parse(REQ("GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n"),
			    &r),
		 HTTP_E_BAD);
	CHECK(http_parse(REQ("GET / HTTP/1.1\r\nContent-Length: 0\r\n\r\n"),
			 &r) > 0);
	CHECK_EQ(http_parse(REQ("GET / HTTP/1.1\r\nTransfer-Encoding: chunked"
				"\r\n\r\n"),
			    &r),
		 HTTP_E_BAD);
	char nul[] = "GET / HTTP/1.1\r\nA: b\0c\r\n\r\n";
	CHECK_EQ(http_parse(nul, sizeof(nul) - 1, &r), HTTP_E_BAD);
}

TEST(net_http_limits)
{
	static char big[HTTP_HEAD_MAX + 100];
	struct http_req r;
	/* a head that never ends: more is needed until the limit */
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
	CHECK_EQ(http_parse(big, HTTP_HEAD_MAX - 1, &r), 0);
	CHECK_EQ(http_parse(big, HTTP_HEAD_MAX, &r), HTTP_E_TOOBIG);
	CHECK_EQ(http_parse(big, sizeof(big), &r), HTTP_E_TOOBIG);
	/* a path one byte too long, and one that just fits */
	char line[HTTP_PATH_MAX + 64];
	int n = snprintf(line, sizeof(line), "GET /%0*d HTTP/1.1\r\n\r\n",
			 HTTP_PATH_MAX - 1, 0);
	CHECK_EQ(http_parse(line, (size_t)n, &r), HTTP_E_URI);
	n = snprintf(line, sizeof(line), "GET /%0*d HTTP/1.1\r\n\r\n",
		     HTTP_PATH_MAX - 2, 0);
	CHECK_EQ(http_parse(line, (size_t)n, &r), n);
	CHECK_EQ(strlen(r.path), HTTP_PATH_MAX - 1);
	/* only blank lines: wait for the request */
	CHECK_EQ(http_parse(REQ("\r\n\r\n"), &r), 0);
	CHECK_EQ(http_parse(REQ("\r\nGET / HTTP/1.1\r\n\r\n"), &r), 20);
}

TEST(net_http_random_bytes_never_crash)
{
	static char buf[HTTP_HEAD_MAX + 16];
	struct http_req r;
	const char alpha[] = "GET HEAD / HTTP/1.1\r\n:, abcCONNECTIONclose";
	srand(17);
	for (int i = 0; i < 100000; i++) {
		size_t n = (size_t)rand() % (i % 100 == 0 ? sizeof(buf) : 200);
		for (size_t k = 0; k < n; k++)
			buf[k] = rand() % 4
					 ? alpha[rand() % (sizeof(alpha) - 1)]
					 : (char)rand();
		int e = http_parse(buf, n, &r);
		CHECK(e <= (int)n);
		CHECK(e >= 0 || e == HTTP_E_BAD || e == HTTP_E_TOOBIG ||
		      e == HTTP_E_URI || e == HTTP_E_METHOD ||
		      e == HTTP_E_VERSION);
		if (e > 0) {
			CHECK(r.path[0] == '/');
			CHECK(strlen(r.path) < HTTP_PATH_MAX);
		}
	}
}

TEST(net_http_response_head)
{
	char b[512];
	int n = http_head(b, sizeof(b), 200, "application/json", 1234, true);
	CHECK(n > 0 && (size_t)n < sizeof(b));
	CHECK(!strncmp(b, "HTTP/1.1 200 OK\r\n", 17));
	CHECK(strstr(b, "\r\nContent-Length: 1234\r\n"));
	CHECK(strstr(b, "\r\nContent-Type: application/json\r\n"));
	CHECK(strstr(b, "\r\nConnection: keep-alive\r\n"));
	CHECK(!strcmp(b + n - 4, "\r\n\r\n"));
	http_head(b, sizeof(b), 404, "text/html", 0, false);
	CHECK(!strncmp(b, "HTTP/1.1 404 Not Found\r\n", 24));
	CHECK(strstr(b, "Connection: close"));
	STR_EQ(http_reason(431), "Request Header Fields Too Large");
	n = http_error_body(b, sizeof(b), 505);
	CHECK(n > 0 && strstr(b, "505 HTTP Version Not Supported"));
}

static void fill(struct status *s)
{
	memset(s, 0, sizeof(*s));
	strcpy(s->system, "exec-rt");
	s->uptime_ns = 3723004000000ull;
	s->sample_ns = 500000000;
	s->mem_total = 512u << 20;
	s->mem_free = 400u << 20;
	s->ntask = 2;
	s->task[0] = (struct st_task){.koid = 5,
				      .name = "init",
				      .state = "running",
				      .mem_used = 1 << 20,
				      .mem_quota = 64 << 20,
				      .threads = 1,
				      .cpu_permille = 123};
	s->task[1] = (struct st_task){.koid = 70,
				      .parent = 5,
				      .name = "<b>\"x\"&'y'\x01",
				      .state = "dying"};
	s->nthread = 1;
	s->thread[0] = (struct st_thread){.koid = 71,
					  .task = 70,
					  .name = "main",
					  .sched = "RT 20 fifo",
					  .state = "blocked",
					  .cpu = 1,
					  .dispatches = 99};
	s->nservice = 2;
	s->service[0] = (struct st_service){.name = "netd",
					    .state = "running",
					    .task = 44,
					    .generation = 2,
					    .restarts = 1,
					    .has_exit = true,
					    .last_exit = -65550};
	s->service[1] = (struct st_service){.name = "sh", .state = "waiting"};
	s->ncpu = 2;
	s->cpu[1] = (struct st_cpu){.id = 1, .busy_permille = 1000};
	s->server.requests = 7;
}

TEST(net_http_status_json_parses_back)
{
	static struct status s;
	static char buf[64 << 10];
	static struct json_doc d;
	fill(&s);
	int n = st_json(&s, buf, sizeof(buf));
	CHECK(n > 0);
	CHECK_EQ(json_parse(&d, buf, (size_t)n), 0);
	char str[64];
	int64_t v;
	CHECK_EQ(json_get_str(&d, "system", str, sizeof(str)), 7);
	CHECK_EQ(json_get_int(&d, "uptime_ms", &v), 0);
	CHECK_EQ(v, 3723004);
	CHECK_EQ(json_get_str(&d, "tasks.1.name", str, sizeof(str)),
		 (int)strlen(s.task[1].name));
	STR_EQ(str, s.task[1].name);
	CHECK_EQ(json_get_int(&d, "tasks.0.cpu_permille", &v), 0);
	CHECK_EQ(v, 123);
	CHECK_EQ(json_get_int(&d, "services.0.last_exit", &v), 0);
	CHECK_EQ(v, -65550);
	int t = json_find(&d, 0, "services.1.last_exit");
	CHECK(t >= 0 && json_type_of(&d, t) == JSON_NULL);
	CHECK_EQ(json_get_str(&d, "threads.0.sched", str, sizeof(str)), 10);
	CHECK_EQ(json_get_int(&d, "cpus.1.busy_permille", &v), 0);
	CHECK_EQ(v, 1000);
	CHECK_EQ(json_get_int(&d, "httpd.requests", &v), 0);
	CHECK_EQ(v, 7);
	/* too small a buffer is an error, never an overrun */
	for (size_t cap = 1; cap < (size_t)n; cap += 97)
		CHECK_EQ(st_json(&s, buf, cap), -1);
}

TEST(net_http_status_html_escapes)
{
	static struct status s;
	static char buf[64 << 10];
	fill(&s);
	int n = st_html(&s, buf, sizeof(buf));
	CHECK(n > 0 && (size_t)n == strlen(buf));
	CHECK(strstr(buf, "&lt;b&gt;&quot;x&quot;&amp;&#39;y&#39;?"));
	CHECK(!strstr(buf, "<b>"));
	CHECK(strstr(buf, "up 1:02:03.004"));
	CHECK(strstr(buf, "<td>netd</td><td>running</td><td>44</td><td>2"
			  "</td><td>1</td><td>-65550</td>"));
	CHECK(strstr(buf, "cpu1 100.0% busy"));
	CHECK(strstr(buf, "<td>RT 20 fifo</td>"));
	CHECK(!strncmp(buf + n - 15, "</body></html>\n", 15));
	for (size_t cap = 0; cap < (size_t)n; cap += 101) {
		CHECK_EQ(st_html(&s, buf, cap), -1);
		CHECK(cap == 0 || strlen(buf) < cap);
	}
}
