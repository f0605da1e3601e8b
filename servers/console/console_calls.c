/* The /svc/console calls (docs/console.md): readline, subscribe,
 * unsubscribe, control, session, foreground, mirror, input, status and
 * ping, answered in ports/v0 JSON; moved out of console.c
 * (console_int.h: the state they share). */
#include <stdio.h>
#include <string.h>

#include <execrt/errors.h>
#include <execrt/rights.h>
#include <execrt/runtime.h>
#include <execrt/sys.h>

#include "cl_ports.h"
#include "console_int.h"

/* The pending (or reserved) line is taken from its caller. */
static void drop_line(const char *why)
{
	handle_t old = rl_reply;
	rl_reply = 0;
	if (old)
		reply_done(cl_reply_error(old, "BUSY", why), old);
	rl_done(&own);
	saved = false;
	if (ld.active)
		ld_cancel(&ld);
}

/* The foreground changed: a line of a session now in the background is
 * not its any more (what is typed next is the foreground's). */
static void foreground_changed(void)
{
	if ((own.pending || own.reserve_until) &&
	    sess_readline(&sess, own.badge) == SESS_RL_BG)
		drop_line("background");
}

static void do_readline(handle_t reply, uint64_t badge, uint64_t task,
			const char *prompt)
{
	enum sess_rl sr = sess_readline(&sess, badge);
	if (sr == SESS_RL_BG) {
		reply_done(cl_reply_error(reply, "BUSY", "background"), reply);
		return;
	}
	if (sr == SESS_RL_CONTROL) {
		/* The shell back at its prompt: the console is its again. */
		sess_set_fg(&sess, badge, 0);
		if ((own.pending || own.reserve_until) && own.badge != badge)
			drop_line("replaced");
	}
	uint64_t t = now();
	enum rl_verdict v = rl_decide(&own, badge, task, t);
	if (v == RL_PROBE) {
		/* Another task of the same badge: is the pending caller still
		 * there? Its answer tells it to ask again (the line stays). */
		handle_t old = rl_reply;
		rl_reply = 0;
		long r = cl_reply_error(old, "AGAIN", "ask again");
		reply_done(r, old);
		v = rl_probed(&own, r == ERR_PEER_CLOSED, badge, task, t);
	}
	if (v == RL_BUSY) {
		reply_done(
			cl_reply_error(reply, "BUSY", "a readline is pending"),
			reply);
		return;
	}
	if (v == RL_TAKEOVER) {
		/* The same task again (it gave up, or another thread). */
		handle_t old = rl_reply;
		rl_reply = 0;
		reply_done(cl_reply_error(old, "BUSY", "replaced"), old);
	}
	rl_reply = reply;
	rl_taken(&own, badge, task);
	if (v == RL_RESUME && (saved || ld.active)) {
		/* Its line goes on where it was (no new prompt). */
		if (saved) {
			saved = false;
			readline_end(saved_ev);
		}
		return;
	}
	saved = false;
	if (ld.active)
		ld_cancel(&ld);
	/* Events are for what runs between two prompts: a subscription
	 * held here keeps a dead program's port, and with it that program's
	 * whole memory quota, charged to its parent (sh) until an event to it
	 * fails. A foreground program's line ends none (sh's stays: Ctrl-C
	 * after it still stops the program; a session's go when it closes). */
	for (int i = 0; i < CON_SUBS_MAX && sr != SESS_RL_FG; i++)
		if (subs.s[i].h)
			sys_handle_close(subs_remove(&subs, subs.s[i].koid));
	pending_intr = false; /* back at a prompt: it was meant for nothing */
	enum ld_event ev = ld_begin(&ld, prompt);
	if (ev != LD_NONE)
		readline_end(ev);
}

/* The send handle at index q->port, if it is one with WRITE: its koid. */
static bool send_handle(const struct con_req *q, handle_t *h, uint64_t *koid)
{
	struct handle_info info;
	if (sys_handle_info(h[q->port], &info) < 0 ||
	    info.type != OBJ_PORT_SEND || !(info.rights & RIGHT_WRITE))
		return false;
	*koid = info.koid;
	return true;
}

static void do_subscribe(handle_t reply, uint64_t badge,
			 const struct con_req *q, handle_t *h)
{
	uint64_t koid;
	if (!send_handle(q, h, &koid)) {
		reply_done(cl_reply_error(reply, "BAD_ARG",
					  "port: a send handle with WRITE"),
			   reply);
		return;
	}
	handle_t old = subs_add(&subs, h[q->port], koid, q->events, badge,
				sess.control);
	if (old == h[q->port]) {
		reply_done(cl_reply_error(reply, "BUSY", "subscribers full"),
			   reply);
		return;
	}
	if (old)
		sys_handle_close(old);
	h[q->port] = 0; /* kept */
	reply_done(cl_reply_ok(reply, NULL, NULL, 0), reply);
	if (pending_intr && (q->events & CON_EV_INTERRUPT) &&
	    sess_gets_events(&sess, badge))
		pending_intr =
			!send_event(CON_EV_INTERRUPT, out,
				    con_interrupt_event_json(out, sizeof(out)));
}

static void do_unsubscribe(handle_t reply, const struct con_req *q, handle_t *h)
{
	uint64_t koid;
	handle_t old;
	if (!send_handle(q, h, &koid)) {
		reply_done(cl_reply_error(reply, "BAD_ARG",
					  "port: a send handle with WRITE"),
			   reply);
		return;
	}
	if ((old = subs_remove(&subs, koid)))
		sys_handle_close(old);
	reply_done(cl_reply_ok(reply, NULL, NULL, 0), reply);
}

/* control (the public endpoint while no shell holds it) or session (the
 * controlling session): a new endpoint with a badge of its own and a
 * no-senders notice (sess.h). */
static void do_session(handle_t reply, uint64_t badge, bool control,
		       uint64_t task)
{
	if (control ? !sess_may_control(&sess, badge)
		    : !sess.control || badge != sess.control) {
		reply_done(cl_reply_error(reply, "ACCESS_DENIED",
					  control ? "a shell holds the console"
						  : "only the controlling "
						    "session"),
			   reply);
		return;
	}
	uint64_t b = sess_badge(&sess);
	handle_t h;
	if (!b) {
		reply_done(cl_reply_error(reply, "BUSY", "too many sessions"),
			   reply);
		return;
	}
	if (sys_port_mint_ex(port, b, PORT_MINT_NOTIFY_CLOSED, &h) < 0) {
		reply_done(cl_reply_error(reply, "NO_MEMORY", "mint"), reply);
		return;
	}
	sess_add(&sess, b, control, control ? 0 : task);
	if (control)
		foreground_changed();
	snprintf(out, sizeof(out), "{\"port\":0,\"session\":%llu}",
		 (unsigned long long)b);
	long r = cl_reply_ok(reply, out, &h, 1);
	if (r < 0)
		sys_handle_close(h); /* its no-senders notice forgets it */
	reply_done(r, reply);
}

static void do_foreground(handle_t reply, uint64_t badge, uint64_t target)
{
	int r = sess_set_fg(&sess, badge, target);
	if (r == 0)
		foreground_changed();
	reply_done(r == 0    ? cl_reply_ok(reply, NULL, NULL, 0)
		   : r == -1 ? cl_reply_error(reply, "ACCESS_DENIED",
					      "only the controlling session")
			     : cl_reply_error(reply, "NOT_FOUND",
					      "no such session"),
		   reply);
}

/* A job session names one more task (a shell run as a program, for the
 * programs it starts). */
static void do_adopt(handle_t reply, uint64_t badge, uint64_t task)
{
	int r = sess_adopt(&sess, badge, task);
	reply_done(r == 0    ? cl_reply_ok(reply, NULL, NULL, 0)
		   : r == -1 ? cl_reply_error(reply, "ACCESS_DENIED",
					      "only a job session")
		   : r == -2 ? cl_reply_error(reply, "ALREADY_EXISTS",
					      "the task is named")
			     : cl_reply_error(reply, "BUSY", "too many tasks"),
		   reply);
}

void on_closed(uint64_t badge)
{
	bool control = badge == sess.control;
	if (!sess_closed(&sess, badge))
		return;
	/* Its subscriptions go with it (they keep its ports alive). */
	uint32_t hs[CON_SUBS_MAX];
	for (int i = subs_drop_sess(&subs, badge, hs); i > 0; i--)
		sys_handle_close(hs[i - 1]);
	if (control)
		own.owner = 0; /* the next shell's */
	foreground_changed();
}

/* Screen endpoint: the mirror handle replaces any earlier one. */
static void do_mirror(handle_t reply, const struct con_req *q, handle_t *h)
{
	uint64_t koid;
	if (!send_handle(q, h, &koid)) {
		reply_done(cl_reply_error(reply, "BAD_ARG",
					  "port: a send handle with WRITE"),
			   reply);
		return;
	}
	if (mirror)
		sys_handle_close(mirror);
	mirror = h[q->port];
	h[q->port] = 0; /* kept */
	mbuf.len = 0;
	reply_done(cl_reply_ok(reply, NULL, NULL, 0), reply);
}

/* Screen endpoint: bytes typed on the screen's keyboard, taken like the
 * UART's while there is room (rx_hold); the answer says how many. */
static void do_input(handle_t reply, const struct con_req *q)
{
	uint32_t i = 0;
	for (; i < q->ninput && !rx_hold(); i++)
		on_byte(q->input[i]);
	st.screen_in += i;
	int n = con_taken_json(i, out, sizeof(out));
	reply_done(cl_reply_ok(reply, n < 0 ? NULL : out, NULL, 0), reply);
}

static void stats_now(void)
{
	st.dropped_msgs = txq.dropped_msgs;
	st.dropped_bytes = txq.dropped_bytes;
	st.lines = ld.lines;
	st.queued = txq_used(&txq);
	st.readline = rl_reply != 0;
	st.subscribers = subs_count(&subs, 0);
	st.subscriber = st.subscribers > 0;
	st.screen = mirror != 0;
	st.mirror_bytes = mbuf.sent;
	st.mirror_dropped = mbuf.dropped;
	st.sessions = sess_count(&sess);
	st.control = sess.control != 0;
	st.foreground = sess.fg;
}

void on_call(handle_t reply, uint64_t badge, uint64_t task, uint32_t len,
	     handle_t *h, uint32_t nh)
{
	static struct con_req q;
	con_parse(buf, len, nh, &q);
	uint64_t raw = badge;
	/* The session it counts for (a session's task through the public
	 * endpoint: a program that looked the name up). */
	badge = sess_of(&sess, badge, task);
	int n;
	switch (q.cmd) {
	case CON_PING:
		n = con_ping_json(out, sizeof(out));
		reply_done(cl_reply_ok(reply, n < 0 ? NULL : out, NULL, 0),
			   reply);
		break;
	case CON_STATUS:
		stats_now();
		n = con_status_json(&st, out, sizeof(out));
		reply_done(cl_reply_ok(reply, n < 0 ? NULL : out, NULL, 0),
			   reply);
		break;
	case CON_READLINE:
		do_readline(reply, badge, task, q.prompt);
		break;
	case CON_SUBSCRIBE:
		do_subscribe(reply, badge, &q, h);
		break;
	case CON_CONTROL:
	case CON_SESSION:
		do_session(reply, badge, q.cmd == CON_CONTROL, q.task);
		break;
	case CON_FOREGROUND:
		do_foreground(reply, badge, q.session);
		break;
	case CON_ADOPT:
		do_adopt(reply, badge, q.task);
		break;
	case CON_UNSUBSCRIBE:
		do_unsubscribe(reply, &q, h);
		break;
	case CON_MIRROR:
	case CON_INPUT:
		if (raw != CON_SCREEN_BADGE)
			reply_done(
				cl_reply_error(reply, "ACCESS_DENIED",
					       "only on /svc/console-screen"),
				reply);
		else if (q.cmd == CON_MIRROR)
			do_mirror(reply, &q, h);
		else
			do_input(reply, &q);
		break;
	default:
		reply_done(cl_reply_error(reply,
					  q.cmd == CON_BAD_JSON	 ? "BAD_JSON"
					  : q.cmd == CON_BAD_CMD ? "BAD_CMD"
								 : "BAD_ARG",
					  q.err),
			   reply);
	}
}
