/* The serial console (servers/console, docs/console.md) run as a child
 * with only the handles a test gives it: it refuses to start without its
 * I/O ports or its interrupt (and says why on its output), answers ping
 * and status, prints one-way messages on COM1, and — with the UART put in
 * loopback mode by the suite, so what the console writes comes back as
 * received bytes through the real interrupt path — reads lines, reports
 * Ctrl-C, keeps type-ahead and sends key/interrupt events. */
#include "con_child.h"

GTEST(console_refuses_without_its_ports)
{
	struct con c;
	int64_t st1 = 0, st2 = 0;
	static char out1[512], out2[512];
	GCHECK_OK(con_start(&c, HANDLE_INVALID, root_irq()));
	long w1 = sys_object_wait(c.ch.task, g_now() + 2000 * MS, &st1);
	con_output(&c, out1, sizeof(out1));
	con_stop(&c, 0, &st1);
	/* The I/O ports but no interrupt authority: it cannot route IRQ 4. */
	GCHECK_OK(con_start(&c, root_io(), HANDLE_INVALID));
	long w2 = sys_object_wait(c.ch.task, g_now() + 2000 * MS, &st2);
	con_output(&c, out2, sizeof(out2));
	con_stop(&c, 0, &st2);
	GCHECK_OK(w1);
	GCHECK_EQ(st1, 2);
	GCHECK(strstr(out1, "console: no I/O-port authority") != NULL);
	GCHECK_OK(w2);
	GCHECK_EQ(st2, 3);
	GCHECK(strstr(out2, "cannot route COM1's interrupt") != NULL);
}

GTEST(console_ping_status_and_output)
{
	struct con c;
	handle_t n, irq2 = HANDLE_INVALID;
	int64_t tx0 = -1, tx1 = -1, dropped = -1, gsi = -1;
	static char ping[160];
	/* The marker is put together here so that only the console's own
	 * write can put it on the wire (tools/check.sh greps for it). */
	static char marker[64];
	snprintf(marker, sizeof(marker), "console-%s-marker %d\n", "wire", 7);
	GCHECK_OK(sys_notif_create(&n));
	long s = con_start(&c, root_io(), root_irq());
	long p = s ? s : con_ready(&c);
	if (p == CL_OK)
		cl_resp_str(&resp, "name", ping, sizeof(ping));
	long s0 = status_u(&c, "tx_bytes", &tx0);
	long m = con_print(&c, marker);
	/* Status comes after the message on the same queue: it is queued;
	 * then wait until it has gone out to the UART. */
	int64_t queued = -1;
	for (int i = 0; i < 200 && queued != 0; i++) {
		if (status_u(&c, "queued", &queued) != CL_OK)
			break;
		if (queued)
			sys_sleep_until(g_now() + 1 * MS);
	}
	long s1 = status_u(&c, "tx_bytes", &tx1);
	status_u(&c, "dropped", &dropped);
	status_u(&c, "gsi", &gsi);
	/* The console holds COM1's line: nobody else can claim it. */
	long e_taken = sys_irq_create(execrt_handle(START_H_IRQ), COM1_GSI, n,
				      1, &irq2);
	if (!e_taken)
		sys_handle_close(irq2);
	long bad = cl_request(&c.conn, "{\"cmd\":\"fly\"}", &resp);
	static char code[32];
	memcpy(code, resp.code, sizeof(code));
	int64_t st;
	con_stop(&c, 0, &st);
	/* Gone: the line is free again. */
	long again = sys_irq_create(execrt_handle(START_H_IRQ), COM1_GSI, n, 1,
				    &irq2);
	if (!again)
		sys_handle_close(irq2);
	sys_handle_close(n);
	GCHECK_OK(s);
	GCHECK_EQ(p, CL_OK);
	GCHECK(!strcmp(ping, "console"));
	GCHECK_EQ(s0, CL_OK);
	GCHECK_OK(m);
	GCHECK_EQ(s1, CL_OK);
	GCHECK_EQ(queued, 0);
	/* The marker and its CR. */
	GCHECK(tx1 - tx0 >= (int64_t)strlen(marker) + 1);
	GCHECK_EQ(dropped, 0);
	GCHECK_EQ(gsi, COM1_GSI);
	GCHECK_ERR(e_taken, ERR_ALREADY_EXISTS);
	GCHECK_EQ(bad, CL_ERR_REMOTE);
	GCHECK(!strcmp(code, "BAD_CMD"));
	GCHECK_OK(again);
}

/* More output than the console's 32 KiB queue, as fast as the port takes
 * it: the writer is held back (the console stops taking messages while
 * one does not fit) and nothing is lost; calls are still answered. */
GTEST(console_flood_is_held_back_not_lost)
{
	struct con c;
	static char msg[1000];
	int64_t tx0 = -1, tx1 = -1, dropped = -1, queued = -1;
	long s = con_start(&c, root_io(), root_irq());
	long ready = s ? s : con_ready(&c);
	long sent = 0, pings = 0;
	status_u(&c, "tx_bytes", &tx0);
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = i % 100 == 99 ? '\n' : (char)('a' + i % 26);
	memcpy(msg, "console-flood ", 14);
	for (int i = 0; i < 64 && ready == CL_OK; i++) {
		struct port_msg m = {.data = msg, .len = sizeof(msg)};
		if (sys_port_send(c.send, &m, g_now() + 5000 * MS) == 0)
			sent++;
		if (i % 16 == 15 &&
		    cl_request(&c.conn, "{\"cmd\":\"ping\"}", &resp) == CL_OK)
			pings++;
	}
	for (int i = 0; i < 500 && queued != 0; i++) {
		if (status_u(&c, "queued", &queued) != CL_OK)
			break;
		if (queued)
			sys_sleep_until(g_now() + 2 * MS);
	}
	status_u(&c, "tx_bytes", &tx1);
	status_u(&c, "dropped", &dropped);
	con_stop(&c, 0, NULL);
	GCHECK_OK(s);
	GCHECK_EQ(ready, CL_OK);
	GCHECK_EQ(sent, 64);
	GCHECK_EQ(pings, 4);
	GCHECK_EQ(queued, 0);
	GCHECK_EQ(dropped, 0);
	/* Every byte and a CR per line. */
	GCHECK_EQ(tx1 - tx0, 64 * (sizeof(msg) + 10));
}

/* Everything the console echoes in loopback mode comes back too, so the
 * test types only while no line is being edited (or Ctrl-C, whose echo
 * lands while nothing is read: as type-ahead "^C" CR). */
GTEST(console_loopback_readline_interrupt_and_events)
{
	struct con c;
	struct gthread t = {0};
	int64_t tst = -1, rx = -1, irqs = -1, code = -1;
	static char line1[64], line2[64], busy[32], ev0name[32], ev2name[32];
	long busy_r = -1, l1 = -1, l2 = -1, sub = -1, ev0 = -1, ev1 = -1,
	     ev2 = -1;
	static struct cl_event ev;
	handle_t srecv = 0, ssend = 0;
	long s = con_start(&c, root_io(), root_irq());
	long ready = s ? s : con_ready(&c);
	long mcr = in8(COM1 + 4);
	if (ready == CL_OK && mcr >= 0) {
		out8(COM1 + 4, (uint8_t)(mcr | MCR_LOOP));
		/* A readline waits; another client's gets BUSY; Ctrl-C ends
		 * the first with INTERRUPTED. */
		long ts = gthread_start(&t, readline_thread, c.send);
		if (ts == 0 && readline_pending(&c)) {
			struct cl_conn other = {.send = c.send_other};
			cl_request(&other, "{\"cmd\":\"readline\"}", &resp);
			memcpy(busy, resp.code, sizeof(busy));
			busy_r = 0;
			type("\x03");
		}
		if (ts == 0)
			gthread_join(&t, g_now() + 6000 * MS, &tst);
		/* Typed while no line is read: kept for the next readlines,
		 * behind the "^C" CR of the echo; CR LF counts once. */
		type("hello\r\n");
		l1 = cl_request(&c.conn, "{\"cmd\":\"readline\"}", &resp);
		cl_resp_str(&resp, "line", line1, sizeof(line1));
		l2 = cl_request(&c.conn, "{\"cmd\":\"readline\"}", &resp);
		cl_resp_str(&resp, "line", line2, sizeof(line2));
		/* Events (once the echo of the last line has come back): a
		 * Ctrl-C typed before anyone subscribed goes to the first
		 * subscriber; then a key, then Ctrl-C. */
		sys_sleep_until(g_now() + 50 * MS);
		type("\x03");
		if (sys_port_create(0, &srecv, &ssend) == 0) {
			sub = cl_request_ex(
				&c.conn,
				"{\"cmd\":\"subscribe\",\"events\":"
				"[\"interrupt\",\"key\"],\"port\":0}",
				&ssend, 1, g_now() + 1000 * MS, &resp);
			struct cl_stream st = {.recv = srecv};
			ev0 = cl_next_event(&st, g_now() + 1000 * MS, &ev);
			memcpy(ev0name, ev.name, sizeof(ev0name));
			cl_event_close(&ev);
			type("k");
			ev1 = cl_next_event(&st, g_now() + 1000 * MS, &ev);
			cl_event_int(&ev, "code", &code);
			cl_event_close(&ev);
			type("\x03");
			ev2 = cl_next_event(&st, g_now() + 1000 * MS, &ev);
			memcpy(ev2name, ev.name, sizeof(ev2name));
			cl_event_close(&ev);
		}
		out8(COM1 + 4, (uint8_t)mcr);
		status_u(&c, "rx_bytes", &rx);
		status_u(&c, "interrupts", &irqs);
	}
	con_stop(&c, 0, NULL);
	if (srecv)
		sys_handle_close(srecv);
	GCHECK_OK(s);
	GCHECK_EQ(ready, CL_OK);
	GCHECK(mcr >= 0);
	GCHECK_OK(tst);
	rl_answer[rl_len] = 0;
	GCHECK(strstr(rl_answer, "\"INTERRUPTED\"") != NULL);
	GCHECK_OK(busy_r);
	GCHECK(!strcmp(busy, "BUSY"));
	GCHECK_EQ(l1, CL_OK);
	GCHECK(!strcmp(line1, "^C"));
	GCHECK_EQ(l2, CL_OK);
	GCHECK(!strcmp(line2, "hello"));
	GCHECK_EQ(sub, CL_OK);
	GCHECK_EQ(ev0, CL_OK);
	GCHECK(!strcmp(ev0name, "interrupt"));
	GCHECK_EQ(ev1, CL_OK);
	GCHECK_EQ(code, 'k');
	GCHECK_EQ(ev2, CL_OK);
	GCHECK(!strcmp(ev2name, "interrupt"));
	GCHECK(rx >= 12);
	GCHECK(irqs >= 1);
}

/* Mirror bytes that reached port p within 1 s, appended to buf (NUL-
 * terminated), until want is in it. */
static bool mirror_has(handle_t p, char *buf, size_t cap, size_t *n,
		       const char *want)
{
	uint64_t end = g_now() + 1000 * MS;
	while (!strstr(buf, want) && g_now() < end && *n + 1 < cap) {
		struct port_rx rx = {.buf = buf + *n,
				     .cap = (uint32_t)(cap - 1 - *n)};
		if (sys_port_recv(p, &rx, g_now() + 50 * MS) == 0)
			*n += rx.len;
		buf[*n] = 0;
	}
	return strstr(buf, want) != NULL;
}

/* The screen terminal's calls (docs/console.md "Screen terminal"): refused
 * on the ordinary endpoint; on the screen's, the mirror gets what the
 * UART gets (CR LF) and typed input completes a pending readline, echoed
 * to the mirror too; a mirror whose port is gone is dropped. */
GTEST(console_screen_mirror_and_input)
{
	struct con c;
	struct gthread t = {0};
	static char got[2048];
	size_t n = 0;
	int64_t tst = -1, in = -1, taken = -1, screen_after = -1;
	long deny_m = -1, deny_i = -1, mir = -1, inp = -1;
	bool printed = false, echoed = false;
	handle_t mrecv = 0, msend = 0;
	got[0] = 0;
	long s = con_start(&c, root_io(), root_irq());
	long ready = s ? s : con_ready(&c);
	if (ready == CL_OK && sys_port_create(0, &mrecv, &msend) == 0) {
		long r = cl_request_ex(&c.conn,
				       "{\"cmd\":\"mirror\",\"port\":0}",
				       &msend, 1, g_now() + 1000 * MS, &resp);
		if (r == CL_OK || r == CL_ERR_REMOTE)
			msend = 0; /* delivered: the console closed it */
		deny_m = r == CL_ERR_REMOTE &&
					 !strcmp(resp.code, "ACCESS_DENIED")
				 ? 0
				 : -1;
		deny_i = cl_request(&c.conn,
				    "{\"cmd\":\"input\",\"hex\":\"41\"}",
				    &resp) == CL_ERR_REMOTE &&
					 !strcmp(resp.code, "ACCESS_DENIED")
				 ? 0
				 : -1;
		struct cl_conn scr = {.send = c.send_screen};
		handle_t msend2;
		if (sys_port_mint(mrecv, 1, &msend2) == 0)
			mir = cl_request_ex(
				&scr, "{\"cmd\":\"mirror\",\"port\":0}",
				&msend2, 1, g_now() + 1000 * MS, &resp);
		con_print(&c, "screen-marker\n");
		printed = mirror_has(mrecv, got, sizeof(got), &n,
				     "screen-marker\r\n");
		long ts = gthread_start(&t, readline_thread, c.send);
		if (ts == 0 && readline_pending(&c)) {
			inp = cl_request(
				&scr, "{\"cmd\":\"input\",\"hex\":\"68690d\"}",
				&resp);
			cl_resp_int(&resp, "taken", &taken);
		}
		if (ts == 0)
			gthread_join(&t, g_now() + 6000 * MS, &tst);
		echoed = mirror_has(mrecv, got, sizeof(got), &n, "hi\r\n");
		status_u(&c, "screen_in", &in);
		/* Our port gone: the next output finds the mirror dead. */
		sys_handle_close(mrecv);
		mrecv = 0;
		con_print(&c, "after\n");
		sys_sleep_until(g_now() + 50 * MS);
		if (cl_request(&c.conn, "{\"cmd\":\"status\"}", &resp) ==
		    CL_OK) {
			int k = json_find(&resp.doc, resp.result, "screen");
			bool b = true;
			if (k >= 0 && json_bool(&resp.doc, k, &b) == 0)
				screen_after = b;
		}
	}
	con_stop(&c, 0, NULL);
	if (mrecv)
		sys_handle_close(mrecv);
	if (msend)
		sys_handle_close(msend);
	GCHECK_OK(s);
	GCHECK_EQ(ready, CL_OK);
	GCHECK_OK(deny_m);
	GCHECK_OK(deny_i);
	GCHECK_EQ(mir, CL_OK);
	GCHECK(printed);
	GCHECK_EQ(inp, CL_OK);
	GCHECK_EQ(taken, 3);
	GCHECK_OK(tst);
	rl_answer[rl_len] = 0;
	GCHECK(strstr(rl_answer, "\"line\":\"hi\"") != NULL);
	GCHECK(echoed);
	GCHECK_EQ(in, 3);
	GCHECK_EQ(screen_after, 0);
}

/* The manifest's narrowing (SYS_RESOURCE_DERIVE): the console runs on
 * exactly 0x3f8-0x3ff and COM1's GSI; a range missing a register, a
 * read-only range, or an interrupt authority for another line are
 * refused; and a task holding only another line's authority cannot route
 * IRQ 4 itself. */
GTEST(console_narrowed_authorities)
{
	struct con c;
	handle_t io8 = 0, io4 = 0, io_ro = 0, irq_com = 0, irq_other = 0, n = 0,
		 irq = 0;
	int64_t st_short = -1, st_ro = -1, st_other = -1;
	long d1 = sys_resource_derive(root_io(), COM1, 8, RIGHT_SAME, &io8);
	long d2 = sys_resource_derive(root_io(), COM1, 4, RIGHT_SAME, &io4);
	long d3 = sys_resource_derive(
		root_io(), COM1, 8,
		RIGHT_READ | RIGHT_DUPLICATE | RIGHT_TRANSFER, &io_ro);
	long d4 = sys_resource_derive(root_irq(), COM1_GSI, 1, RIGHT_SAME,
				      &irq_com);
	long d5 = sys_resource_derive(root_irq(), COM1_GSI + 1, 1, RIGHT_SAME,
				      &irq_other);
	sys_notif_create(&n);
	long e_route = sys_irq_create(irq_other, COM1_GSI, n, 1, &irq);
	if (!e_route)
		sys_handle_close(irq);
	/* The exact grant works. */
	long s = con_start(&c, io8, irq_com);
	long p = s ? s : con_ready(&c);
	con_stop(&c, 0, NULL);
	/* 0x3f8-0x3fb only: refused (the scratch register is out of range). */
	long s1 = con_start(&c, io4, irq_com);
	if (!s1)
		sys_object_wait(c.ch.task, g_now() + 2000 * MS, &st_short);
	con_stop(&c, 0, NULL);
	long s2 = con_start(&c, io_ro, irq_com);
	if (!s2)
		sys_object_wait(c.ch.task, g_now() + 2000 * MS, &st_ro);
	con_stop(&c, 0, NULL);
	long s3 = con_start(&c, io8, irq_other);
	if (!s3)
		sys_object_wait(c.ch.task, g_now() + 2000 * MS, &st_other);
	con_stop(&c, 0, NULL);
	handle_t hs[] = {io8, io4, io_ro, irq_com, irq_other, n};
	for (size_t i = 0; i < sizeof(hs) / sizeof(hs[0]); i++)
		if (hs[i])
			sys_handle_close(hs[i]);
	GCHECK_OK(d1);
	GCHECK_OK(d2);
	GCHECK_OK(d3);
	GCHECK_OK(d4);
	GCHECK_OK(d5);
	GCHECK_ERR(e_route, ERR_OUT_OF_RANGE);
	GCHECK_OK(s);
	GCHECK_EQ(p, CL_OK);
	GCHECK_OK(s1);
	GCHECK_EQ(st_short, 2);
	GCHECK_OK(s2);
	GCHECK_EQ(st_ro, 2);
	GCHECK_OK(s3);
	GCHECK_EQ(st_other, 3);
}
