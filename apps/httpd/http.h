/* httpd's HTTP/1.x half: the request-head parser, the routes and the
 * response head. Pure code (no system calls): host-tested under
 * ASan+UBSan in tests/host/test_net_http.c, and the same file runs in
 * httpd on exec-rt and on Linux. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#define HTTP_HEAD_MAX 8192 /* request line + headers */
#define HTTP_PATH_MAX 256

/* Negative results of http_parse(); each maps to the status sent. */
#define HTTP_E_BAD     (-400) /* malformed request line or header */
#define HTTP_E_TOOBIG  (-431) /* the head exceeds HTTP_HEAD_MAX */
#define HTTP_E_URI     (-414) /* the path exceeds HTTP_PATH_MAX */
#define HTTP_E_METHOD  (-501) /* not GET or HEAD */
#define HTTP_E_VERSION (-505) /* not HTTP/1.0 or HTTP/1.1 */

enum http_method { HTTP_GET = 1, HTTP_HEAD };

struct http_req {
	int method;	 /* enum http_method */
	int minor;	 /* HTTP/1.<minor> */
	bool keep_alive; /* after this response (1.1 default; Connection) */
	bool has_body;	 /* Content-Length > 0 or chunked: refused (400) */
	char path[HTTP_PATH_MAX]; /* without the query string */
};

/* Looks for one complete request head in buf[0..len). Returns its length
 * (the bytes to drop before the next request) when complete, 0 when more
 * bytes are needed (len < HTTP_HEAD_MAX), or an HTTP_E_* value. A bare
 * "\n" ends lines as well as "\r\n". */
int http_parse(const char *buf, size_t len, struct http_req *r);

enum http_route { ROUTE_NOT_FOUND = 0, ROUTE_HTML, ROUTE_JSON };
enum http_route http_route(const char *path);

const char *http_reason(int status);

/* "HTTP/1.1 <status> <reason>\r\n" with Server, Content-Type,
 * Content-Length, Cache-Control: no-store and Connection headers. Length
 * as snprintf gives it (>= cap: did not fit). */
int http_head(char *buf, size_t cap, int status, const char *ctype,
	      size_t body_len, bool keep_alive);

/* The small HTML body of an error status (the status and its reason). */
int http_error_body(char *buf, size_t cap, int status);
