/* Console sessions and the foreground (servers/console/sess.c): only the
 * foreground session's readline gets typed lines, only the controlling
 * session names the foreground, and the foreground comes back to it when
 * the foreground's endpoint is closed by every holder. Before sessions
 * every client of the console shared one badge: a background program's
 * pending readline got the line typed for the foreground one. */
#include "harness.h"
#include "proto.h"
#include "sess.h"
#include "subs.h"

TEST(console_sess_foreground_rule)
{
	static struct con_sess t;
	/* No controlling session: everyone as before (rlown.h decides). */
	CHECK_EQ(sess_readline(&t, 0), SESS_RL_ANY);
	CHECK(sess_gets_events(&t, 0));
	CHECK(sess_may_control(&t, 0));
	uint64_t sh = sess_badge(&t);
	CHECK(sh >= CON_SESS_BADGE_MIN);
	CHECK(sess_add(&t, sh, true, 0));
	/* Only one controller; a session cannot ask for control. */
	CHECK(!sess_may_control(&t, 0));
	CHECK(!sess_add(&t, sess_badge(&t), true, 0));
	uint64_t bg = sess_badge(&t), fg = sess_badge(&t);
	CHECK(bg != fg && bg != sh);
	CHECK(sess_add(&t, bg, false, 0));
	CHECK(sess_add(&t, fg, false, 0));
	CHECK_EQ(sess_readline(&t, sh), SESS_RL_CONTROL);
	CHECK_EQ(sess_readline(&t, bg), SESS_RL_BG);
	CHECK_EQ(sess_readline(&t, 0), SESS_RL_BG); /* the public endpoint */
	/* Only the controller names the foreground. */
	CHECK_EQ(sess_set_fg(&t, bg, bg), -1);
	CHECK_EQ(sess_set_fg(&t, 0, bg), -1);
	CHECK_EQ(sess_set_fg(&t, sh, 12345), -2);
	CHECK_EQ(sess_set_fg(&t, sh, fg), 0);
	CHECK_EQ(sess_readline(&t, fg), SESS_RL_FG);
	CHECK_EQ(sess_readline(&t, bg), SESS_RL_BG);
	CHECK_EQ(sess_readline(&t, 0), SESS_RL_BG);
	CHECK(sess_gets_events(&t, fg) && sess_gets_events(&t, sh));
	CHECK(!sess_gets_events(&t, bg) && !sess_gets_events(&t, 0));
	/* A background session ending changes nothing. */
	CHECK(sess_closed(&t, bg));
	CHECK(!sess_closed(&t, bg));
	CHECK_EQ(sess_readline(&t, fg), SESS_RL_FG);
	/* The foreground ends: back to the controller. */
	CHECK(sess_closed(&t, fg));
	CHECK_EQ(t.fg, sh);
	CHECK_EQ(sess_readline(&t, fg), SESS_RL_BG); /* a stale badge */
	/* sh names itself (0) again. */
	CHECK_EQ(sess_set_fg(&t, sh, 0), 0);
	CHECK_EQ(t.fg, sh);
	/* The controller gone (sh killed while running a command): found at
	 * once, and the next shell takes control. */
	CHECK(sess_closed(&t, sh));
	CHECK_EQ(sess_readline(&t, 0), SESS_RL_ANY);
	CHECK(sess_may_control(&t, 0));
	uint64_t sh2 = sess_badge(&t);
	CHECK(sh2 != sh && sh2 != bg && sh2 != fg); /* never reused */
	CHECK(sess_add(&t, sh2, true, 0));
	CHECK_EQ(sess_readline(&t, sh2), SESS_RL_CONTROL);
	CHECK_EQ(sess_readline(&t, sh), SESS_RL_BG);
}

TEST(console_sess_table_full)
{
	static struct con_sess t;
	for (int i = 0; i < CON_SESS_MAX; i++)
		CHECK(sess_add(&t, sess_badge(&t), i == 0, 0));
	CHECK_EQ(sess_count(&t), CON_SESS_MAX);
	CHECK_EQ(sess_badge(&t), 0);
	uint64_t one = t.badge[3];
	CHECK(sess_closed(&t, one));
	uint64_t b = sess_badge(&t);
	CHECK(b > one);
	CHECK(sess_add(&t, b, false, 0));
	CHECK(!sess_add(&t, 7, false, 0)); /* not a session badge */
}

/* A program with many ports subscribes through its own session (or the
 * public endpoint) until the table is full: the shell's interrupt
 * subscription stays (before: the oldest entry went, the shell's). */
TEST(console_subs_many_ports_cannot_push_the_shell_out)
{
	static struct con_subs t;
	static struct con_sess ss;
	uint64_t sh = sess_badge(&ss), prog = sess_badge(&ss);
	CHECK(sess_add(&ss, sh, true, 0));
	CHECK(sess_add(&ss, prog, false, 0));
	CHECK_EQ(sess_set_fg(&ss, sh, prog), 0);
	CHECK_EQ(subs_add(&t, 10, 100, CON_EV_INTERRUPT, sh, sh), 0);
	for (uint32_t i = 0; i < 3 * CON_SUBS_MAX; i++) {
		uint32_t h = 20 + i;
		uint32_t old = subs_add(&t, h, 200 + i, CON_EV_INTERRUPT,
					i % 2 ? prog : 0, sh);
		CHECK(old != 10);
	}
	int order[CON_SUBS_MAX];
	int n = subs_order(&t, CON_EV_INTERRUPT, &ss, order);
	bool found = false;
	for (int i = 0; i < n; i++)
		found |= t.s[order[i]].h == 10;
	CHECK(found);
	/* The public endpoint's entries get nothing while sessions rule. */
	for (int i = 0; i < n; i++)
		CHECK(t.s[order[i]].sess != 0);
	/* The shell's own subscribe may replace its own oldest. */
	CHECK_EQ(subs_count(&t, 0), CON_SUBS_MAX);
	CHECK_EQ(subs_add(&t, 11, 101, CON_EV_INTERRUPT, sh, sh), 10);
	/* The program's session ends: its entries go, handed back. */
	uint32_t out[CON_SUBS_MAX];
	int k = subs_drop_sess(&t, prog, out);
	CHECK(k > 0);
	for (int i = 0; i < k; i++)
		CHECK(out[i] >= 20);
	CHECK_EQ(subs_drop_sess(&t, prog, out), 0);
}

/* Every entry the controlling session's: another cannot add. */
TEST(console_subs_all_kept_refuses_another)
{
	static struct con_subs t;
	for (uint32_t i = 0; i < CON_SUBS_MAX; i++)
		CHECK_EQ(subs_add(&t, 10 + i, 100 + i, CON_EV_KEY, 77, 77), 0);
	CHECK_EQ(subs_add(&t, 50, 500, CON_EV_KEY, 88, 77), 50);
	CHECK_EQ(subs_add(&t, 51, 501, CON_EV_KEY, 77, 77), 10);
}

/* A program looking /svc/console up by name calls through the public
 * endpoint: its task, named when sh made its session, makes the call its
 * session's; any other task stays the public endpoint's. */
TEST(console_sess_task_through_the_public_endpoint)
{
	static struct con_sess t;
	uint64_t sh = sess_badge(&t), job = sess_badge(&t);
	CHECK(sess_add(&t, sh, true, 0));
	CHECK(sess_add(&t, job, false, 4242));
	CHECK_EQ(sess_of(&t, 0, 4242), job);
	CHECK_EQ(sess_of(&t, 0, 4343), 0);
	CHECK_EQ(sess_of(&t, 0, 0), 0);
	CHECK_EQ(sess_of(&t, sh, 4242), sh); /* an endpoint is what it is */
	CHECK_EQ(sess_set_fg(&t, sh, job), 0);
	CHECK_EQ(sess_readline(&t, sess_of(&t, 0, 4242)), SESS_RL_FG);
	CHECK_EQ(sess_readline(&t, sess_of(&t, 0, 4343)), SESS_RL_BG);
	/* The task cannot claim control through the public endpoint. */
	CHECK(sess_closed(&t, sh));
	CHECK(!sess_may_control(&t, sess_of(&t, 0, 4242)));
	CHECK(sess_may_control(&t, sess_of(&t, 0, 4343)));
	CHECK(sess_closed(&t, job));
	CHECK_EQ(sess_of(&t, 0, 4242), 0);
}

/* A shell run as a program (in a job session) names its own children:
 * their public calls count as its session's. The controller's naming
 * wins over an adoption; an adopted task stays put; bounded per session;
 * the session's end forgets them. */
TEST(console_sess_adopt)
{
	static struct con_sess t;
	uint64_t sh = sess_badge(&t), job = sess_badge(&t),
		 bad = sess_badge(&t);
	CHECK(sess_add(&t, sh, true, 0));
	CHECK(sess_add(&t, job, false, 500));
	CHECK(sess_add(&t, bad, false, 600));
	CHECK_EQ(sess_adopt(&t, sh, 501), -1); /* the controller names */
	CHECK_EQ(sess_adopt(&t, 0, 501), -1);
	CHECK_EQ(sess_adopt(&t, 12345, 501), -1);
	CHECK_EQ(sess_adopt(&t, job, 501), 0);
	CHECK_EQ(sess_of(&t, 0, 501), job);
	/* Named already: by a session, or adopted. */
	CHECK_EQ(sess_adopt(&t, bad, 501), -2);
	CHECK_EQ(sess_adopt(&t, bad, 500), -2);
	CHECK_EQ(sess_adopt(&t, bad, 0), -2);
	CHECK_EQ(sess_of(&t, 0, 501), job);
	/* A task adopted early by another session: the controller's
	 * session for it wins. */
	CHECK_EQ(sess_adopt(&t, bad, 700), 0);
	uint64_t fg = sess_badge(&t);
	CHECK(sess_add(&t, fg, false, 700));
	CHECK_EQ(sess_of(&t, 0, 700), fg);
	/* Bounded per session. */
	for (uint64_t k = 0; k < CON_ADOPT_PER - 1; k++)
		CHECK_EQ(sess_adopt(&t, job, 800 + k), 0);
	CHECK_EQ(sess_adopt(&t, job, 900), -3);
	/* The session ends: its tasks are nobody's. */
	CHECK(sess_closed(&t, job));
	CHECK_EQ(sess_of(&t, 0, 501), 0);
	CHECK_EQ(sess_of(&t, 0, 800), 0);
	CHECK_EQ(sess_adopt(&t, bad, 501), 0);
}
