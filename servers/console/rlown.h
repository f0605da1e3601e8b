/* Who may have the console's one pending readline (REVIEW-18 R6). Tasks
 * may share a badge (a session's programs, or everyone without a
 * controlling session), so the badge alone cannot tell them apart. The
 * rule, by the caller's task
 * (port_rx.sender, set by the kernel):
 *  - the owner is the first task that read a line (sh); it keeps that
 *    until it is found gone. Its readline always gets the console: a
 *    pending readline of another task is answered BUSY ("replaced");
 *  - nothing pending (and no reservation): the caller gets it;
 *  - the same task again (it gave up, or a thread of it): takes over;
 *  - another task of the same badge: the pending caller is asked to ask
 *    again (answer AGAIN). If that reply finds it gone (ERR_PEER_CLOSED: a
 *    restarted sh's predecessor) the newcomer gets it (and owns, if the
 *    gone one owned); if it is alive the newcomer gets BUSY and the line
 *    being typed stays reserved for the pending task for RL_RESERVE_NS
 *    (its next readline continues it, no new prompt, nothing typed lost);
 *  - another badge: BUSY (a second shell on its own endpoint).
 * At most one probe per RL_PROBE_GAP_NS: a looping program costs the
 * owner one extra round trip per gap. These rules apply inside one
 * session (sess.h): the foreground decides which session may read first,
 * and a shell that died away from its prompt is found by its controlling
 * session's no-senders notice (the owner is then forgotten). Pure:
 * host-tested in tests/host/test_console_rlown.c. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#define RL_RESERVE_NS	(1000ull * 1000000) /* owner's time to ask again */
#define RL_PROBE_GAP_NS (100ull * 1000000)

struct rl_own {
	bool pending;		/* a readline waits for a line */
	uint64_t badge, task;	/* its caller (or the reservation's) */
	uint64_t reserve_until; /* no call pending: still the owner's line */
	uint64_t next_probe;
	uint64_t owner, owner_badge; /* the shell's task (0: none yet) */
};

enum rl_verdict {
	RL_FRESH,    /* the caller gets it: cancel any old line, new prompt */
	RL_TAKEOVER, /* same task: answer the old call BUSY, new prompt */
	RL_PROBE,    /* answer the old call AGAIN, then rl_probed() */
	RL_RESUME,   /* the reserved owner asks again: continue its line */
	RL_BUSY,     /* refuse the caller */
};

enum rl_verdict rl_decide(struct rl_own *o, uint64_t badge, uint64_t task,
			  uint64_t now);

/* After RL_PROBE: gone (the reply found the caller gone) or not. Returns
 * RL_FRESH (the newcomer gets it) or RL_BUSY (refuse it). */
enum rl_verdict rl_probed(struct rl_own *o, bool gone, uint64_t badge,
			  uint64_t task, uint64_t now);

/* The caller got its readline (badge, task now pending). */
void rl_taken(struct rl_own *o, uint64_t badge, uint64_t task);

/* The pending readline was answered (line, ^C, too long). */
void rl_done(struct rl_own *o);
