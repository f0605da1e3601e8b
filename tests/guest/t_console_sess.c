/* Console sessions and the foreground (servers/console/sess.h,
 * docs/console.md "Sessions and the foreground"), on the real console run
 * as a child with the UART in loopback mode (con_child.h): a background
 * session looping readline never gets the line typed for the foreground
 * one; the foreground comes back to the controlling session when its
 * endpoint is closed; a program subscribing many ports cannot push the
 * controlling session's interrupt subscription out. On the console before
 * sessions every client shared one badge: `control` was BAD_CMD, a
 * looping background readline took typed lines, and the ninth
 * subscription pushed the shell's out. */
#include <stdio.h>

#include "con_child.h"
#include "subs.h" /* CON_SUBS_MAX */

/* A background program: readline in a loop until told to stop. */
static volatile bool bg_stop;
static volatile int bg_busy, bg_lines, bg_other;
static int64_t bg_loop(uint64_t send)
{
	static const char req[] = "{\"cmd\":\"readline\",\"prompt\":\"\"}";
	static char ans[512];
	while (!bg_stop) {
		struct port_msg m = {.data = req, .len = sizeof(req) - 1};
		struct port_rx rx = {.buf = ans, .cap = sizeof(ans) - 1};
		long r = sys_port_call((handle_t)send, &m, &rx,
				       (uint64_t)sys_clock_now() + 200 * MS);
		ans[r == 0 ? rx.len : 0] = 0;
		if (strstr(ans, "\"line\""))
			bg_lines++;
		else if (strstr(ans, "\"background\""))
			bg_busy++;
		else if (r == 0)
			bg_other++;
		sys_sleep_until((uint64_t)sys_clock_now() + 2 * MS);
	}
	return 0;
}

/* A session from conn (cmd "control" or "session"): its endpoint. */
static handle_t session(struct cl_conn *conn, const char *cmd, int64_t *id)
{
	char req[64];
	snprintf(req, sizeof(req), "{\"cmd\":\"%s\"}", cmd);
	*id = 0;
	if (cl_request(conn, req, &resp) != CL_OK ||
	    cl_resp_int(&resp, "session", id) != CL_OK)
		return 0;
	return cl_resp_take_handle(&resp, 0);
}

GTEST(console_sess_background_readline_never_gets_the_line)
{
	struct con c;
	struct gthread bg = {0};
	int64_t ctl_id = 0, a_id = 0, b_id = 0, c_id = 0, fg1 = -1, fg2 = -1;
	long lp = -1;
	handle_t mine = 0;
	static char pline[64], line[64], denied[32], pub[256], fgreq[64];
	long l = -1, d = -1, ts = -1;
	handle_t ctl = 0, a = 0, b = 0;
	long s = con_start(&c, root_io(), root_irq());
	long ready = s ? s : con_ready(&c);
	long mcr = in8(COM1 + 4);
	if (ready == CL_OK && mcr >= 0) {
		out8(COM1 + 4, (uint8_t)(mcr | MCR_LOOP));
		ctl = session(&c.conn, "control", &ctl_id);
		struct cl_conn cc = {.send = ctl}, ac = {.send = 0},
			       bc = {.send = 0};
		/* Only one controller; only it makes sessions. */
		d = cl_request(&c.conn, "{\"cmd\":\"control\"}", &resp);
		memcpy(denied, resp.code, sizeof(denied));
		a = session(&cc, "session", &a_id);
		b = session(&cc, "session", &b_id);
		ac.send = a;
		bc.send = b;
		snprintf(fgreq, sizeof(fgreq),
			 "{\"cmd\":\"foreground\",\"session\":%lld}",
			 (long long)b_id);
		cl_request(&cc, fgreq, &resp);
		/* A (background) loops readline while the line is typed and
		 * B (foreground) reads it. */
		ts = gthread_start(&bg, bg_loop, a);
		sys_sleep_until(g_now() + 50 * MS);
		type("fgline\r");
		sys_sleep_until(g_now() + 50 * MS);
		l = cl_request(&bc, "{\"cmd\":\"readline\"}", &resp);
		cl_resp_str(&resp, "line", line, sizeof(line));
		sys_sleep_until(g_now() + 50 * MS);
		bg_stop = true;
		if (ts == 0)
			gthread_join(&bg, g_now() + 2000 * MS, NULL);
		status_u(&c, "foreground", &fg1);
		/* B's endpoint closed by its only holder: the foreground is
		 * the controller's again; the public endpoint is background. */
		sys_handle_close(b);
		sys_sleep_until(g_now() + 50 * MS);
		status_u(&c, "foreground", &fg2);
		cl_request(&c.conn, "{\"cmd\":\"readline\"}", &resp);
		snprintf(pub, sizeof(pub), "%s %s", resp.code, resp.message);
		cl_resp_close(&resp);
		/* A session naming this task: its calls through the public
		 * endpoint (a lookup by name) count as that session's. */
		struct handle_info hi = {0};
		sys_handle_info(execrt_handle(START_H_SELF_TASK), &hi);
		snprintf(fgreq, sizeof(fgreq),
			 "{\"cmd\":\"session\",\"task\":%llu}",
			 (unsigned long long)hi.koid);
		if (cl_request(&cc, fgreq, &resp) == CL_OK &&
		    cl_resp_int(&resp, "session", &c_id) == CL_OK)
			mine = cl_resp_take_handle(&resp, 0);
		snprintf(fgreq, sizeof(fgreq),
			 "{\"cmd\":\"foreground\",\"session\":%lld}",
			 (long long)c_id);
		cl_request(&cc, fgreq, &resp);
		/* Ctrl-C with no line read empties the type-ahead (the
		 * echo of fgline came back there). */
		type("\x03");
		type("pubmap\r");
		lp = cl_request(&c.conn, "{\"cmd\":\"readline\"}", &resp);
		cl_resp_str(&resp, "line", pline, sizeof(pline));
		out8(COM1 + 4, (uint8_t)mcr);
		(void)ac;
	}
	con_stop(&c, 0, NULL);
	sys_handle_close(ctl);
	sys_handle_close(a);
	sys_handle_close(mine);
	GCHECK_OK(s);
	GCHECK_EQ(ready, CL_OK);
	GCHECK(ctl != 0 && a != 0 && b != 0 && mine != 0);
	GCHECK(ctl_id != a_id && a_id != b_id);
	GCHECK_EQ(d, CL_ERR_REMOTE);
	GCHECK(!strcmp(denied, "ACCESS_DENIED"));
	GCHECK_OK(ts);
	GCHECK_EQ(l, CL_OK);
	GCHECK(!strcmp(line, "fgline"));
	GCHECK_EQ(bg_lines, 0);
	GCHECK_EQ(bg_other, 0);
	GCHECK(bg_busy > 10);
	GCHECK_EQ(fg1, b_id);
	GCHECK_EQ(fg2, ctl_id);
	GCHECK(!strcmp(pub, "BUSY background"));
	GCHECK_EQ(lp, CL_OK);
	GCHECK(!strcmp(pline, "pubmap"));
}

GTEST(console_sess_many_ports_cannot_push_out_the_shells_interrupt)
{
	struct con c;
	int64_t ctl_id = 0, a_id = 0, subs = -1, ctrl_after = -1;
	long sub = -1, ev = -1;
	int took = 0;
	static char evname[32];
	static struct cl_event e;
	handle_t ctl = 0, a = 0, srecv = 0, ssend = 0;
	handle_t prog[3 * CON_SUBS_MAX] = {0};
	long s = con_start(&c, root_io(), root_irq());
	long ready = s ? s : con_ready(&c);
	long mcr = in8(COM1 + 4);
	if (ready == CL_OK && mcr >= 0) {
		out8(COM1 + 4, (uint8_t)(mcr | MCR_LOOP));
		ctl = session(&c.conn, "control", &ctl_id);
		struct cl_conn cc = {.send = ctl};
		a = session(&cc, "session", &a_id);
		struct cl_conn ac = {.send = a};
		static const char sreq[] = "{\"cmd\":\"subscribe\",\"events\":"
					   "[\"interrupt\"],\"port\":0}";
		if (sys_port_create(0, &srecv, &ssend) == 0)
			sub = cl_request_ex(&cc, sreq, &ssend, 1,
					    g_now() + 1000 * MS, &resp);
		/* A program with many ports, through its session and the
		 * public endpoint (what a lookup of /svc/console gives). */
		for (int i = 0; i < 3 * CON_SUBS_MAX; i++) {
			handle_t r2, s2;
			if (sys_port_create(0, &r2, &s2) < 0)
				break;
			prog[i] = r2;
			took += cl_request_ex(i % 2 ? &ac : &c.conn, sreq, &s2,
					      1, g_now() + 1000 * MS,
					      &resp) == CL_OK;
		}
		status_u(&c, "subscribers", &subs);
		type("\x03");
		struct cl_stream st = {.recv = srecv};
		ev = cl_next_event(&st, g_now() + 1000 * MS, &e);
		memcpy(evname, e.name, sizeof(evname));
		cl_event_close(&e);
		/* The controller gone: found at once. */
		sys_handle_close(ctl);
		ctl = 0;
		sys_sleep_until(g_now() + 50 * MS);
		status_u(&c, "sessions", &ctrl_after);
		out8(COM1 + 4, (uint8_t)mcr);
	}
	con_stop(&c, 0, NULL);
	for (int i = 0; i < 3 * CON_SUBS_MAX; i++)
		if (prog[i])
			sys_handle_close(prog[i]);
	if (srecv)
		sys_handle_close(srecv);
	sys_handle_close(a);
	GCHECK_OK(s);
	GCHECK_EQ(ready, CL_OK);
	GCHECK(ctl_id != 0 && a_id != 0);
	GCHECK_EQ(sub, CL_OK);
	GCHECK_EQ(took, 3 * CON_SUBS_MAX);
	GCHECK_EQ(subs, CON_SUBS_MAX);
	GCHECK_EQ(ev, CL_OK);
	GCHECK(!strcmp(evname, "interrupt"));
	GCHECK_EQ(ctrl_after, 1); /* a's session only */
}
