/* logd, inside init (docs/system.md "Logs"): each service instance writes
 * its stdout/stderr as one-way messages to its own log port (its
 * START_H_CONSOLE); init keeps every byte in the service's ring and
 * forwards whole lines, prefixed and rate-limited, to /svc/console (plain
 * sends that never block init: a full console queue drops the line and
 * counts it) or, before the console is up, to the kernel debug console. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <execrt/sys.h>

#include "cl_ports.h"
#include "plat.h"

#define DRAIN_BATCH	 16 /* messages per service per pass */
#define CONSOLE_RETRY_NS (50 * MS)

static char rxbuf[PORT_MSG_MAX];

/* Whether service i may register /svc/console. */
bool logd_is_console(int i)
{
	for (int k = 0; k < g.man.svc[i].nreg; k++)
		if (man_pattern_match(g.man.svc[i].reg[k], CONSOLE_NAME))
			return true;
	return false;
}

/* Whether a service that may register /svc/console is up. */
static bool console_candidate_up(void)
{
	for (int i = 0; i < g.man.n; i++) {
		enum sup_state st = g.sup.s[i].state;
		if ((st == SUP_STARTING || st == SUP_RUNNING) &&
		    logd_is_console(i))
			return true;
	}
	return false;
}

/* /svc/console, looked up (no waiting) once a service that may register
 * it is up; retried at most every CONSOLE_RETRY_NS. */
static void find_console(uint64_t now)
{
	if (!g.names_ready || now < g.console_retry_ns)
		return;
	g.console_retry_ns = now + CONSOLE_RETRY_NS;
	if (!console_candidate_up())
		return;
	struct cl_conn c;
	if (cl_connect(CONSOLE_NAME, DEADLINE_POLL, &c) == CL_OK)
		g.console_send = c.send;
}

handle_t logd_console(uint64_t deadline)
{
	struct cl_conn c;
	/* Waiting (init's loop stands still meanwhile) only makes sense
	 * while a console is starting; none up: at once. */
	if (!console_candidate_up())
		deadline = DEADLINE_POLL;
	if (!g.console_send && g.names_ready &&
	    cl_connect(CONSOLE_NAME, deadline, &c) == CL_OK)
		g.console_send = c.send;
	return g.console_send;
}

void logd_console_gone(void)
{
	if (g.console_send)
		sys_handle_close(g.console_send);
	g.console_send = HANDLE_INVALID;
}

static void console_out(void *ctx, const char *text, size_t len)
{
	(void)ctx;
	if (!g.console_send)
		find_console((uint64_t)sys_clock_now());
	if (g.console_send) {
		struct port_msg m = {.data = text, .len = (uint32_t)len};
		long r = sys_port_send(g.console_send, &m, DEADLINE_POLL);
		if (r == 0)
			return;
		if (r == ERR_SHOULD_WAIT) {
			g.console_drops++;
			return;
		}
		sys_handle_close(g.console_send); /* gone: find it again */
		g.console_send = HANDLE_INVALID;
	}
	if (!g.kconsole)
		return;
	/* init's own stdout: the debug console, or a port (a parent that
	 * wants init's output, as the guest tests do). */
	if (sys_debug_write(g.kconsole, text, len) == ERR_WRONG_TYPE) {
		struct port_msg m = {.data = text, .len = (uint32_t)len};
		if (sys_port_send(g.kconsole, &m, DEADLINE_POLL) < 0)
			g.console_drops++;
	}
}

/* init's own lines go through a ring of their own: prefixed and
 * rate-limited like a service's (a crash loop's reports cannot flood). */
void say(const char *fmt, ...)
{
	static char buf[4096];
	static struct log_ring ring;
	char line[LOG_LINE_MAX];
	if (!ring.size)
		log_init(&ring, buf, sizeof(buf));
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	log_write(&ring, line, (size_t)n);
	log_lines(&ring, line, (size_t)n, (uint64_t)sys_clock_now(), "init",
		  console_out, NULL);
}

/* Up to max messages of service i's log port; true if more may wait. */
static bool drain_one(int i, int max)
{
	struct svc_plat *p = &g.svc[i];
	for (int n = 0; n < max; n++) {
		handle_t h[PORT_HANDLES_MAX];
		struct port_rx rx = {.buf = rxbuf,
				     .cap = sizeof(rxbuf),
				     .handles = h,
				     .hcap = PORT_HANDLES_MAX};
		if (sys_port_recv(p->log, &rx, DEADLINE_POLL) < 0)
			return false; /* empty */
		for (uint32_t k = 0; k < rx.nhandles; k++)
			sys_handle_close(h[k]);
		if (rx.reply) /* a call: nobody answers on a log port */
			sys_handle_close(rx.reply);
		log_write(&p->ring, rxbuf, rx.len);
		log_lines(&p->ring, rxbuf, rx.len, (uint64_t)sys_clock_now(),
			  g.man.svc[i].name, console_out, NULL);
	}
	return true;
}

void logd_drain(void)
{
	g.log_pending = false;
	for (int i = 0; i < g.man.n; i++)
		if (g.svc[i].log && drain_one(i, DRAIN_BATCH))
			g.log_pending = true;
}

void logd_close(int i)
{
	struct svc_plat *p = &g.svc[i];
	if (!p->log)
		return;
	/* The queue holds at most 64 messages: what the instance wrote
	 * before it died comes out whole. */
	drain_one(i, 64);
	if (p->ring.linelen) /* an unfinished last line */
		log_lines(&p->ring, "\n", 1, (uint64_t)sys_clock_now(),
			  g.man.svc[i].name, console_out, NULL);
	sys_handle_close(p->log);
	p->log = HANDLE_INVALID;
}
