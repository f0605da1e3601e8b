/* The serial console run as a child for the guest tests (t_console.c,
 * t_console_sess.c): start and stop it with the handles a test gives it,
 * its output, the UART's loopback typing, a readline from a thread. */
#pragma once
#include <string.h>

#include <execrt/cpio.h>
#include <execrt/spawn.h>

#include "cl_ports.h"
#include "gtest.h"
#include "gutil.h"
#include "json.h"
#include "proto.h" /* CON_SCREEN_BADGE */

#ifndef START_H_SERVICE
#define START_H_SERVICE 12
#endif

#define COM1	    0x3f8
#define COM1_GSI    4 /* ISA IRQ 4; no override on QEMU */
#define MCR_LOOP    0x10
#define OTHER_BADGE 77

static inline handle_t root_io(void)
{
	return execrt_handle(START_H_IOPORT);
}

static inline handle_t root_irq(void)
{
	return execrt_handle(START_H_IRQ);
}

struct con {
	struct execrt_child ch;
	handle_t send;	      /* the console's port, badge 0 */
	handle_t send_other;  /* the same port, another badge */
	handle_t send_screen; /* the same port, the screen's badge */
	handle_t out_recv;    /* the console's own output (stdout) */
	struct cl_conn conn;
};

static struct cl_resp resp;

/* Starts bin/console with the service port's receive handle, its output
 * going to a port of ours, and the I/O-port and IRQ authorities given
 * (HANDLE_INVALID: none). */
static inline long con_start(struct con *c, handle_t io_auth, handle_t irq_auth)
{
	memset(c, 0, sizeof(*c));
	struct cpio_file f;
	if (!g_initrd_buf ||
	    cpio_find(g_initrd_buf, g_initrd_len, "bin/console", &f) != CPIO_OK)
		return ERR_NOT_FOUND;
	handle_t recv, out_send;
	long r = sys_port_create(0, &recv, &c->send);
	if (r == 0)
		r = sys_port_mint(recv, OTHER_BADGE, &c->send_other);
	if (r == 0)
		r = sys_port_mint(recv, CON_SCREEN_BADGE, &c->send_screen);
	if (r == 0)
		r = sys_port_create(0, &c->out_recv, &out_send);
	if (r < 0)
		return r;
	r = execrt_spawn_create("console", CHILD_QUOTA, &c->ch);
	if (r == 0) {
		struct execrt_spawn_args a = {.image = f.data,
					      .image_len = f.size,
					      .cmdline = "console",
					      .quota = CHILD_QUOTA};
		a.give[START_H_CONSOLE] = out_send;
		a.give[START_H_SERVICE] = recv;
		a.give[START_H_BOOTINFO] = execrt_handle(START_H_BOOTINFO);
		a.give[START_H_IOPORT] = io_auth;
		a.give[START_H_IRQ] = irq_auth;
		int perr = 0;
		r = execrt_spawn_start(&c->ch, &a, &perr);
		if (r < 0)
			execrt_spawn_abort(&c->ch);
	}
	/* The child holds its own duplicates now. */
	sys_handle_close(recv);
	sys_handle_close(out_send);
	c->conn.send = c->send;
	strcpy(c->conn.name, "/svc/console");
	return r;
}

/* Waits for the child's end (killing it after timeout_ms). */
static inline long con_stop(struct con *c, uint64_t timeout_ms, int64_t *status)
{
	int64_t st = 0;
	long r = 0;
	if (c->ch.task) {
		r = sys_object_wait(c->ch.task, g_now() + timeout_ms * MS, &st);
		if (r == ERR_TIMED_OUT) {
			sys_task_kill(c->ch.task, -1);
			sys_object_wait(c->ch.task, DEADLINE_NONE, &st);
		}
		sys_handle_close(c->ch.thread);
		sys_handle_close(c->ch.task);
	}
	if (status)
		*status = st;
	sys_handle_close(c->send);
	sys_handle_close(c->send_other);
	sys_handle_close(c->send_screen);
	sys_handle_close(c->out_recv);
	memset(c, 0, sizeof(*c));
	return r;
}

/* What the console wrote to its output so far (NUL-terminated). */
static inline size_t con_output(struct con *c, char *buf, size_t cap)
{
	size_t n = 0;
	for (;;) {
		struct port_rx rx = {.buf = buf + n,
				     .cap = (uint32_t)(cap - 1 - n)};
		if (n + 1 >= cap ||
		    sys_port_recv(c->out_recv, &rx, DEADLINE_POLL) < 0)
			break;
		n += rx.len;
	}
	buf[n] = 0;
	return n;
}

static inline long out8(uint16_t port, uint8_t v)
{
	return sys_ioport_io(execrt_handle(START_H_IOPORT), port,
			     1 | IOPORT_OUT, v);
}

static inline long in8(uint16_t port)
{
	return sys_ioport_io(execrt_handle(START_H_IOPORT), port, 1, 0);
}

/* A one-way message: bytes for the console to print. */
static inline long con_print(struct con *c, const char *s)
{
	struct port_msg m = {.data = s, .len = (uint32_t)strlen(s)};
	return sys_port_send(c->send, &m, g_now() + 1000 * MS);
}

static inline long status_u(struct con *c, const char *key, int64_t *v)
{
	long e = cl_request(&c->conn, "{\"cmd\":\"status\"}", &resp);
	if (e == CL_OK)
		e = cl_resp_int(&resp, key, v);
	return e;
}

/* The console is up once it answers a ping. */
static inline long con_ready(struct con *c)
{
	return cl_request_ex(&c->conn, "{\"cmd\":\"ping\"}", NULL, 0,
			     g_now() + 2000 * MS, &resp);
}

/* A readline call from a thread of its own (raw calls only: no libc). */
static char rl_answer[512];
static uint32_t rl_len;
static inline int64_t readline_thread(uint64_t send)
{
	static const char req[] = "{\"cmd\":\"readline\",\"prompt\":\"\"}";
	struct port_msg m = {.data = req, .len = sizeof(req) - 1};
	struct port_rx rx = {.buf = rl_answer, .cap = sizeof(rl_answer) - 1};
	long r = sys_port_call((handle_t)send, &m, &rx,
			       (uint64_t)sys_clock_now() + 5000 * MS);
	rl_len = r == 0 ? rx.len : 0;
	return r;
}

/* Waits until status says a readline is pending. */
static inline bool readline_pending(struct con *c)
{
	for (int i = 0; i < 200; i++) {
		if (cl_request(&c->conn, "{\"cmd\":\"status\"}", &resp) ==
		    CL_OK) {
			int t = json_find(&resp.doc, resp.result, "readline");
			bool b = false;
			if (t >= 0 && json_bool(&resp.doc, t, &b) == 0 && b)
				return true;
		}
		sys_sleep_until(g_now() + 5 * MS);
	}
	return false;
}

/* "Types" bytes: with the UART in loopback mode, what is written to THR
 * comes back as received data (and raises the receive interrupt). */
static inline void type(const char *s)
{
	for (; *s; s++) {
		for (int i = 0; i < 1000 && !(in8(COM1 + 5) & 0x20); i++)
			;
		out8(COM1, (uint8_t)*s);
	}
	sys_sleep_until(g_now() + 30 * MS);
}
