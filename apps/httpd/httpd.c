/* httpd: a small web server with a live status page (docs/net-programs.md).
 *   httpd [-p PORT] [-a ADDR] [-n MAXCONN] [-v]
 * GET / (HTML, refreshes itself) and GET /status.json: tasks, threads
 * with their scheduler statistics, services, CPUs. One thread, poll(),
 * non-blocking sockets, HTTP/1.1 keep-alive. Plain POSIX: the same file
 * runs on exec-rt (through musl and the runtime's sockets) and on Linux;
 * the figures come from stat_*.c, the HTTP from http.c, the page from
 * status.c. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http.h"
#include "httpd_stat.h"
#include "status.h"

#define MAX_CONNS_DEFAULT 240		 /* netd: 256 sockets per client */
#define REFRESH_NS	  500000000ull	 /* the page is sampled at most 2/s */
#define IDLE_NS		  15000000000ull /* an idle connection is closed */
#define BODY_MAX	  (192u << 10)
#define HEAD_BUF	  768
#define LINGER_NS	  2000000000ull /* for the client's end */
#define RELISTEN_MS	  500		/* after the listener failed */

/* A rendered page, shared by every connection sending it. */
struct body {
	int refs;
	size_t len;
	char data[];
};

struct conn {
	int fd;
	char *in; /* HTTP_HEAD_MAX bytes while the connection lives */
	size_t inlen;
	char head[HEAD_BUF]; /* response head (+ an error's body) */
	size_t headlen, headoff;
	struct body *body;
	size_t bodyoff;
	bool responding, close_after;
	bool draining; /* answered, FIN sent: waiting for the client's end */
	uint64_t last_ns;
};

static struct status st;
static struct body *cache[2]; /* ROUTE_HTML - 1, ROUTE_JSON - 1 */
static uint64_t cache_ns;
static char *render_buf;
static struct conn *conns;
static struct pollfd *pfds;
static int max_conns = MAX_CONNS_DEFAULT;
static int nconns;
/* accept ran out of fds or memory: the listener waits for a close */
static bool accept_full;
static bool verbose;

/* -v: what happens to each connection, on stderr. */
__attribute__((format(printf, 1, 2))) static void vlog(const char *fmt, ...)
{
	if (!verbose)
		return;
	char line[300] = "httpd: ";
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line + 7, sizeof(line) - 7, fmt, ap);
	va_end(ap);
	fputs(line, stderr); /* one write: lines from others do not split it */
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void body_put(struct body *b)
{
	if (b && --b->refs == 0)
		free(b);
}

/* The page of route r, rendered again when older than REFRESH_NS. */
static struct body *page(enum http_route r)
{
	uint64_t now = now_ns();
	if (!cache[0] || now - cache_ns >= REFRESH_NS) {
		stat_sample(&st);
		st.server.open = (uint64_t)nconns;
		for (int i = 0; i < 2; i++) {
			int n = i == 0 ? st_html(&st, render_buf, BODY_MAX)
				       : st_json(&st, render_buf, BODY_MAX);
			struct body *b =
				n < 0 ? NULL : malloc(sizeof(*b) + (size_t)n);
			if (b) {
				b->refs = 1;
				b->len = (size_t)n;
				memcpy(b->data, render_buf, (size_t)n);
			}
			body_put(cache[i]);
			cache[i] = b;
		}
		cache_ns = now;
	}
	struct body *b = cache[r - 1];
	if (b)
		b->refs++;
	return b;
}

static void respond(struct conn *c, const struct http_req *rq, int status)
{
	char ebody[256];
	const char *ctype = "text/html; charset=utf-8";
	size_t blen = 0;
	c->body = NULL;
	c->bodyoff = 0;
	if (status == 200) {
		enum http_route r = http_route(rq->path);
		if (r == ROUTE_NOT_FOUND) {
			status = 404;
		} else {
			c->body = page(r);
			if (!c->body)
				status = 500;
			else if (r == ROUTE_JSON)
				ctype = "application/json";
		}
	}
	if (status != 200) {
		int n = http_error_body(ebody, sizeof(ebody), status);
		blen = n > 0 && (size_t)n < sizeof(ebody) ? (size_t)n : 0;
	} else {
		blen = c->body->len;
	}
	bool head_only = rq && rq->method == HTTP_HEAD;
	c->close_after = !rq || !rq->keep_alive || status >= 400;
	int n = http_head(c->head, sizeof(c->head), status, ctype, blen,
			  !c->close_after);
	c->headlen = n > 0 && (size_t)n < sizeof(c->head) ? (size_t)n : 0;
	if (status != 200 && !head_only &&
	    c->headlen + blen < sizeof(c->head)) {
		memcpy(c->head + c->headlen, ebody, blen);
		c->headlen += blen;
	}
	if (head_only) {
		body_put(c->body);
		c->body = NULL;
	}
	c->headoff = 0;
	c->responding = true;
	st.server.requests++;
	vlog("fd %d: %s %s: %d, %zu bytes\n", c->fd,
	     !rq		       ? "-"
	     : rq->method == HTTP_HEAD ? "HEAD"
				       : "GET",
	     rq ? rq->path : "(bad request)", status, blen);
}

static void conn_close(int i)
{
	struct conn *c = &conns[i];
	close(c->fd);
	accept_full = false;
	body_put(c->body);
	free(c->in);
	conns[i] = conns[--nconns];
}

/* Parses what came in; starts the next response. */
static void next_request(struct conn *c)
{
	if (c->responding || c->close_after)
		return;
	struct http_req rq;
	int n = http_parse(c->in, c->inlen, &rq);
	if (n == 0)
		return;
	if (n < 0) {
		c->inlen = 0;
		respond(c, NULL, -n);
		return;
	}
	memmove(c->in, c->in + n, c->inlen - (size_t)n);
	c->inlen -= (size_t)n;
	respond(c, &rq, 200);
}

/* Sends what it can; false when the connection is to be closed. */
static bool flush(struct conn *c)
{
	while (c->responding) {
		const char *p;
		size_t left;
		if (c->headoff < c->headlen) {
			p = c->head + c->headoff;
			left = c->headlen - c->headoff;
		} else if (c->body && c->bodyoff < c->body->len) {
			p = c->body->data + c->bodyoff;
			left = c->body->len - c->bodyoff;
		} else {
			c->responding = false;
			body_put(c->body);
			c->body = NULL;
			if (c->close_after) {
				/* Lingering close: FIN now, close once the
				 * client has read it all and ended (closing
				 * with unread input could reset the answer
				 * away). */
				shutdown(c->fd, SHUT_WR);
				c->draining = true;
				c->last_ns = now_ns();
				return true;
			}
			next_request(c);
			continue;
		}
		ssize_t w = send(c->fd, p, left, MSG_NOSIGNAL);
		if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
		    errno != EINTR) {
			vlog("fd %d: send: %s\n", c->fd, strerror(errno));
			return false;
		}
		if (w < 0)
			return true;
		if (c->headoff < c->headlen)
			c->headoff += (size_t)w;
		else
			c->bodyoff += (size_t)w;
	}
	return true;
}

/* Reads what is there; false when the connection is to be closed. */
static bool fill(struct conn *c)
{
	while (c->draining) {
		char sink[512];
		ssize_t r = recv(c->fd, sink, sizeof(sink), 0);
		if (r < 0 &&
		    (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return true;
		if (r <= 0)
			return false; /* the client's end (or reset): done */
	}
	for (;;) {
		if (c->inlen == HTTP_HEAD_MAX) {
			next_request(c);
			return c->responding || c->inlen < HTTP_HEAD_MAX;
		}
		ssize_t r = recv(c->fd, c->in + c->inlen,
				 HTTP_HEAD_MAX - c->inlen, 0);
		if (r == 0) {
			vlog("fd %d: end of input\n", c->fd);
			return c->responding; /* finish the answer first */
		}
		if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
		    errno != EINTR) {
			vlog("fd %d: recv: %s\n", c->fd, strerror(errno));
			return false;
		}
		if (r < 0)
			return true;
		c->inlen += (size_t)r;
		next_request(c);
	}
}

/* Accepts what waits; false when the listener itself failed (netd
 * restarted: that socket is gone for good). */
static bool accept_all(int lfd)
{
	while (nconns < max_conns) {
		int fd = accept(lfd, NULL, NULL);
		if (fd < 0) {
			int e = errno;
			if (e == EAGAIN || e == EWOULDBLOCK || e == EINTR ||
			    e == ECONNABORTED)
				return true;
			if (e == EMFILE || e == ENFILE || e == ENOBUFS ||
			    e == ENOMEM) {
				/* The rest waits in the backlog. */
				if (!accept_full)
					vlog("accept: %s (%d open): waiting\n",
					     strerror(e), nconns);
				accept_full = true;
				st.server.refused++;
				return true;
			}
			fprintf(stderr, "httpd: accept: %s\n", strerror(e));
			return false;
		}
		int fl = fcntl(fd, F_GETFL);
		char *in = malloc(HTTP_HEAD_MAX);
		if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 || !in) {
			vlog("fd %d: refused: %s\n", fd,
			     in ? strerror(errno) : "out of memory");
			free(in);
			close(fd);
			st.server.refused++;
			continue;
		}
		vlog("fd %d: accepted (%d open)\n", fd, nconns + 1);
		struct conn *c = &conns[nconns++];
		memset(c, 0, sizeof(*c));
		c->fd = fd;
		c->in = in;
		c->last_ns = now_ns();
		st.server.connections++;
	}
	return true;
}

static int listen_on(const char *addr, int port)
{
	struct sockaddr_in sa = {0};
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
		fprintf(stderr, "httpd: %s: not an IPv4 address\n", addr);
		return -1;
	}
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0) {
		fprintf(stderr, "httpd: socket: %s\n", strerror(errno));
		return -1;
	}
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* Small rings, inherited by accepted sockets: a request fits 4 KiB
	 * and 200 connections must fit netd's memory. */
	int rcv = 4096, snd = 16384;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &snd, sizeof(snd));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, 128) < 0) {
		fprintf(stderr, "httpd: %s:%d: %s\n", addr, port,
			strerror(errno));
		close(fd);
		return -1;
	}
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		fprintf(stderr, "httpd: O_NONBLOCK: %s\n", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static int usage(void)
{
	fprintf(stderr, "usage: httpd [-p PORT] [-a ADDR] [-n MAXCONN] [-v]\n"
			"       httpd --dump json|html\n");
	return 2;
}

/* --dump: the page once on stdout, no network (checks the figures). */
static int dump(const char *what)
{
	stat_init();
	stat_sample(&st);
	struct timespec ts = {0, 200000000}; /* CPU shares over 200 ms */
	nanosleep(&ts, NULL);
	stat_sample(&st);
	int n = !strcmp(what, "json") ? st_json(&st, render_buf, BODY_MAX)
				      : st_html(&st, render_buf, BODY_MAX);
	if (n < 0) {
		fprintf(stderr, "httpd: the page does not fit %u bytes\n",
			BODY_MAX);
		return 1;
	}
	fwrite(render_buf, 1, (size_t)n, stdout);
	putchar('\n');
	return 0;
}

int main(int argc, char **argv)
{
	int port = 80;
	const char *addr = "0.0.0.0", *dump_what = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-v")) {
			verbose = true;
		} else if (i + 1 < argc && !strcmp(argv[i], "-p")) {
			port = atoi(argv[++i]);
		} else if (i + 1 < argc && !strcmp(argv[i], "-a")) {
			addr = argv[++i];
		} else if (i + 1 < argc && !strcmp(argv[i], "--dump") &&
			   (!strcmp(argv[i + 1], "json") ||
			    !strcmp(argv[i + 1], "html"))) {
			dump_what = argv[++i];
		} else if (i + 1 < argc && !strcmp(argv[i], "-n")) {
			max_conns = atoi(argv[++i]);
		} else {
			return usage();
		}
	}
	if (port <= 0 || port > 65535 || max_conns <= 0 || max_conns > 4096)
		return usage();
	signal(SIGPIPE, SIG_IGN);
	render_buf = malloc(BODY_MAX);
	conns = calloc((size_t)max_conns, sizeof(*conns));
	pfds = calloc((size_t)max_conns + 1, sizeof(*pfds));
	if (!render_buf || !conns || !pfds) {
		fprintf(stderr, "httpd: out of memory\n");
		return 1;
	}
	if (dump_what)
		return dump(dump_what);
	stat_init();
	int lfd = listen_on(addr, port);
	if (lfd < 0)
		return 1;
	printf("httpd: listening on %s:%d\n", addr, port);
	fflush(stdout);
	uint64_t relisten_ns = 0;
	for (;;) {
		int n = 0;
		for (int i = 0; i < nconns; i++) {
			pfds[n].fd = conns[i].fd;
			pfds[n].events = conns[i].responding ? POLLOUT : POLLIN;
			pfds[n].revents = 0;
			n++;
		}
		bool lpoll = lfd >= 0 && nconns < max_conns && !accept_full;
		if (lpoll) {
			pfds[n].fd = lfd;
			pfds[n].events = POLLIN;
			pfds[n].revents = 0;
			n++;
		}
		int r = poll(pfds, (nfds_t)n, lfd < 0 ? RELISTEN_MS : 1000);
		if (r < 0 && errno != EINTR) {
			fprintf(stderr, "httpd: poll: %s\n", strerror(errno));
			return 1;
		}
		uint64_t now = now_ns();
		if (r == 0)
			accept_full = false; /* a quiet second: try again */
		/* Backwards: conn_close moves the last connection into i. */
		for (int i = nconns - 1; i >= 0; i--) {
			struct conn *c = &conns[i];
			short ev = r > 0 ? pfds[i].revents : 0;
			bool keep = true;
			if (ev & POLLNVAL)
				keep = false;
			else if (ev & (POLLIN | POLLHUP | POLLERR) &&
				 !c->responding)
				keep = fill(c);
			if (keep && c->responding)
				keep = flush(c);
			if (ev && !c->draining)
				c->last_ns = now;
			else if (now - c->last_ns >
				 (c->draining ? LINGER_NS : IDLE_NS))
				keep = false;
			if (!keep)
				conn_close(i);
		}
		short lev = lpoll && r > 0 ? pfds[n - 1].revents : 0;
		if (lev & (POLLERR | POLLHUP | POLLNVAL) ||
		    (lev & POLLIN && !accept_all(lfd))) {
			/* The listener died with the network service: a new
			 * one once netd is back. */
			fprintf(stderr, "httpd: the listening socket failed; "
					"listening again\n");
			close(lfd);
			lfd = -1;
			relisten_ns = now;
		}
		if (lfd < 0 && now - relisten_ns >= RELISTEN_MS * 1000000ull) {
			relisten_ns = now;
			lfd = listen_on(addr, port);
			if (lfd >= 0) {
				printf("httpd: listening on %s:%d again\n",
				       addr, port);
				fflush(stdout);
			}
		}
	}
}
