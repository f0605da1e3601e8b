/* The HTTP/1.x request-head parser and response heads of httpd (see
 * http.h). Only what a status page needs: GET and HEAD, no request
 * bodies, persistent connections. Everything is bounded by the caller's
 * buffer; nothing is trusted. */
#include "http.h"

#include <stdio.h>
#include <string.h>

static bool ieq(const char *a, size_t n, const char *b)
{
	if (strlen(b) != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		char x = a[i], y = b[i];
		if (x >= 'A' && x <= 'Z')
			x = (char)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (char)(y - 'A' + 'a');
		if (x != y)
			return false;
	}
	return true;
}

/* Whether the comma-separated header value v holds the token tok. */
static bool has_token(const char *v, size_t n, const char *tok)
{
	size_t i = 0;
	while (i < n) {
		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		size_t s = i;
		while (i < n && v[i] != ',')
			i++;
		size_t e = i;
		while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
			e--;
		if (e > s && ieq(v + s, e - s, tok))
			return true;
	}
	return false;
}

static bool is_tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || strchr("!#$%&'*+-.^_`|~", c);
}

/* The end of the head: the index after "\n\n" or "\n\r\n", or 0. */
static size_t head_end(const char *b, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (b[i] != '\n')
			continue;
		if (i + 1 < len && b[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && b[i + 1] == '\r' && b[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

static int parse_request_line(const char *l, size_t n, struct http_req *r)
{
	const char *sp1 = memchr(l, ' ', n);
	if (!sp1)
		return HTTP_E_BAD;
	size_t mlen = (size_t)(sp1 - l);
	const char *rest = sp1 + 1;
	size_t rn = n - mlen - 1;
	const char *sp2 = memchr(rest, ' ', rn);
	if (!sp2 || mlen == 0)
		return HTTP_E_BAD;
	size_t ulen = (size_t)(sp2 - rest);
	const char *ver = sp2 + 1;
	size_t vlen = rn - ulen - 1;
	for (size_t i = 0; i < mlen; i++)
		if (!is_tchar(l[i]))
			return HTTP_E_BAD;
	if (ulen == 0 || rest[0] != '/')
		return HTTP_E_BAD;
	for (size_t i = 0; i < ulen; i++)
		if ((unsigned char)rest[i] <= ' ' ||
		    (unsigned char)rest[i] >= 0x7f)
			return HTTP_E_BAD;
	if (vlen != 8 || memcmp(ver, "HTTP/", 5) || ver[6] != '.' ||
	    ver[5] < '0' || ver[5] > '9' || ver[7] < '0' || ver[7] > '9')
		return HTTP_E_BAD;
	if (ver[5] != '1' || ver[7] > '1')
		return HTTP_E_VERSION;
	r->minor = ver[7] - '0';
	if (mlen == 3 && !memcmp(l, "GET", 3))
		r->method = HTTP_GET;
	else if (mlen == 4 && !memcmp(l, "HEAD", 4))
		r->method = HTTP_HEAD;
	else
		return HTTP_E_METHOD;
	const char *q = memchr(rest, '?', ulen);
	size_t plen = q ? (size_t)(q - rest) : ulen;
	if (plen >= HTTP_PATH_MAX)
		return HTTP_E_URI;
	memcpy(r->path, rest, plen);
	r->path[plen] = 0;
	return 0;
}

static int parse_header(const char *l, size_t n, struct http_req *r)
{
	const char *colon = memchr(l, ':', n);
	if (!colon || colon == l)
		return HTTP_E_BAD;
	size_t kn = (size_t)(colon - l);
	for (size_t i = 0; i < kn; i++)
		if (!is_tchar(l[i]))
			return HTTP_E_BAD; /* also "Name :" (RFC 9112 5.1) */
	const char *v = colon + 1;
	size_t vn = n - kn - 1;
	for (size_t i = 0; i < vn; i++)
		if ((unsigned char)v[i] < ' ' && v[i] != '\t')
			return HTTP_E_BAD;
	while (vn && (*v == ' ' || *v == '\t'))
		v++, vn--;
	while (vn && (v[vn - 1] == ' ' || v[vn - 1] == '\t'))
		vn--;
	if (ieq(l, kn, "connection")) {
		if (has_token(v, vn, "close"))
			r->keep_alive = false;
		else if (has_token(v, vn, "keep-alive"))
			r->keep_alive = true;
	} else if (ieq(l, kn, "content-length")) {
		if (vn == 0)
			return HTTP_E_BAD;
		for (size_t i = 0; i < vn; i++) {
			if (v[i] < '0' || v[i] > '9')
				return HTTP_E_BAD;
			if (v[i] != '0')
				r->has_body = true;
		}
	} else if (ieq(l, kn, "transfer-encoding")) {
		r->has_body = true;
	}
	return 0;
}

int http_parse(const char *buf, size_t len, struct http_req *r)
{
	size_t scan = len < HTTP_HEAD_MAX ? len : HTTP_HEAD_MAX;
	size_t end = head_end(buf, scan);
	/* Empty lines before a request are allowed (RFC 9112 2.2). */
	size_t start = 0;
	while (start < scan && (buf[start] == '\r' || buf[start] == '\n'))
		start++;
	if (start > 0 && start == scan)
		return len >= HTTP_HEAD_MAX ? HTTP_E_TOOBIG : 0;
	if (start > 0) {
		int n = http_parse(buf + start, len - start, r);
		return n > 0 ? n + (int)start : n;
	}
	if (!end)
		return len >= HTTP_HEAD_MAX ? HTTP_E_TOOBIG : 0;
	memset(r, 0, sizeof(*r));
	size_t pos = 0;
	bool first = true;
	while (pos < end) {
		const char *nl = memchr(buf + pos, '\n', end - pos);
		size_t ln = (size_t)(nl - (buf + pos));
		const char *line = buf + pos;
		pos += ln + 1;
		if (ln && line[ln - 1] == '\r')
			ln--;
		if (memchr(line, '\r', ln) || memchr(line, 0, ln))
			return HTTP_E_BAD;
		if (ln == 0)
			break; /* the empty line ending the head */
		int e;
		if (first) {
			e = parse_request_line(line, ln, r);
			r->keep_alive = r->minor >= 1;
			first = false;
		} else if (line[0] == ' ' || line[0] == '\t') {
			e = HTTP_E_BAD; /* obsolete line folding */
		} else {
			e = parse_header(line, ln, r);
		}
		if (e)
			return e;
	}
	if (r->has_body)
		return HTTP_E_BAD;
	return (int)end;
}

enum http_route http_route(const char *path)
{
	if (!strcmp(path, "/") || !strcmp(path, "/index.html"))
		return ROUTE_HTML;
	if (!strcmp(path, "/status.json"))
		return ROUTE_JSON;
	return ROUTE_NOT_FOUND;
}

const char *http_reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 414:
		return "URI Too Long";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 501:
		return "Not Implemented";
	case 503:
		return "Service Unavailable";
	case 505:
		return "HTTP Version Not Supported";
	}
	return "Unknown";
}

int http_head(char *buf, size_t cap, int status, const char *ctype,
	      size_t body_len, bool keep_alive)
{
	return snprintf(buf, cap,
			"HTTP/1.1 %d %s\r\n"
			"Server: exec-rt-httpd\r\n"
			"Content-Type: %s\r\n"
			"Content-Length: %zu\r\n"
			"Cache-Control: no-store\r\n"
			"Connection: %s\r\n\r\n",
			status, http_reason(status), ctype, body_len,
			keep_alive ? "keep-alive" : "close");
}

int http_error_body(char *buf, size_t cap, int status)
{
	return snprintf(buf, cap,
			"<!DOCTYPE html>\n<html><head><title>%d %s</title>"
			"</head><body><h1>%d %s</h1></body></html>\n",
			status, http_reason(status), status,
			http_reason(status));
}
