/* Console sessions and the foreground (docs/console.md "Sessions and the
 * foreground"). The console's public endpoint (/svc/console, badge 0) is
 * shared by everyone who may look the name up, so its badge cannot tell
 * the shell from the programs it runs. A session is an endpoint of its
 * own, minted with a fresh badge and a no-senders notice:
 *  - the controlling session: the first client to ask `control` on the
 *    public endpoint while none is alive (sh, at its start);
 *  - job sessions: only the controlling session makes them (`session`),
 *    one per program it starts, and hands the endpoint to the program;
 *  - the foreground: the controlling session names it (`foreground`).
 *    Only its readline gets typed lines; events go to the foreground's
 *    and the controlling session's subscribers. The controlling
 *    session's own readline takes the foreground back; the foreground's
 *    endpoint closed by every holder gives it back too.
 * A session may name its task (port_rx.sender; sh names the child it
 * made it for): that task's calls through the public endpoint count as
 * the session's, so a program that looks /svc/console up by name (every
 * program before sessions) keeps working in its session; a task named by
 * none is the public endpoint's (background while a controller lives).
 * A job session may `adopt` more tasks the same way (a shell run as a
 * program names its own children): at most CON_ADOPT_PER per session, a
 * task already named stays where it is, and the controller's naming of a
 * task wins over an adoption.
 * No controlling session alive: the console behaves as before sessions
 * (every badge may read a line, rlown.h decides). Badges are never
 * reused. Pure: host-tested in tests/host/test_console_sess.c. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#define CON_SESS_MAX	   16
#define CON_SESS_BADGE_MIN (1ull << 32) /* above 0 and the screen's */
#define CON_ADOPT_MAX	   32
#define CON_ADOPT_PER	   8

struct con_sess {
	uint64_t badge[CON_SESS_MAX]; /* 0: free slot */
	uint64_t task[CON_SESS_MAX];  /* its task's koid, or 0 */
	uint64_t next;		      /* the next badge to give */
	uint64_t control;	      /* the controlling session (0: none) */
	uint64_t fg;		      /* the foreground (0: none) */
	struct {
		uint64_t task, badge; /* badge 0: free */
	} adopt[CON_ADOPT_MAX];
};

/* Whose readline it is, for a call through `badge`. */
enum sess_rl {
	SESS_RL_ANY,	 /* no controlling session: rlown.h's rules only */
	SESS_RL_CONTROL, /* the controlling session: takes the console */
	SESS_RL_FG,	 /* the foreground session: rlown.h's rules */
	SESS_RL_BG,	 /* another: refused ("background") */
};

/* A badge for a new session (0: the table is full); the caller mints it
 * and calls sess_add, or forgets it. */
uint64_t sess_badge(struct con_sess *t);
/* Records a minted session for task (0: none); control: it becomes the
 * controlling one and the foreground. False when full (or control asked
 * while one lives). */
bool sess_add(struct con_sess *t, uint64_t badge, bool control, uint64_t task);
/* The session a call counts for: its badge, or through the public
 * endpoint (badge 0) the session naming the caller's task, else 0. */
uint64_t sess_of(const struct con_sess *t, uint64_t badge, uint64_t task);
bool sess_live(const struct con_sess *t, uint64_t badge);
/* Session `badge` (a job session, not the controller) adopts task: 0, -1
 * (not a job session), -2 (task 0, or already named), -3 (full). */
int sess_adopt(struct con_sess *t, uint64_t badge, uint64_t task);
/* Who may ask for a controlling session: the public endpoint while none
 * lives. */
bool sess_may_control(const struct con_sess *t, uint64_t caller);
/* The no-senders notice of `badge`: forgotten. The controlling session
 * gone: no control, no foreground. The foreground gone: it goes back to
 * the controlling session. True when it was a session. */
bool sess_closed(struct con_sess *t, uint64_t badge);
/* caller names the foreground (0: itself): 0, -1 (caller is not the
 * controlling session), -2 (no such session). */
int sess_set_fg(struct con_sess *t, uint64_t caller, uint64_t target);
enum sess_rl sess_readline(const struct con_sess *t, uint64_t caller);
/* Whether a subscriber of `badge` gets typed keys and Ctrl-C now. */
bool sess_gets_events(const struct con_sess *t, uint64_t badge);
int sess_count(const struct con_sess *t);
