/* Who gets the console's readline (servers/console/rlown.c, REVIEW-18
 * R6): a background program sharing sh's badge cannot take sh's pending
 * readline; a restarted sh (its predecessor gone) still gets in. The old
 * rule ("a readline from the same badge takes over") failed the first
 * case. */
#include "harness.h"
#include "rlown.h"

#define MS 1000000ull
enum { SH = 100, PROG = 200, SH2 = 300, PROG2 = 400 };

TEST(console_rlown_another_task_cannot_take_a_live_readline)
{
	struct rl_own o = {0};
	CHECK_EQ(rl_decide(&o, 0, SH, 1 * MS), RL_FRESH);
	rl_taken(&o, 0, SH);
	/* A program of the same badge: the pending caller is asked. */
	CHECK_EQ(rl_decide(&o, 0, PROG, 2 * MS), RL_PROBE);
	/* sh is alive: the program is refused, the line stays sh's. */
	CHECK_EQ(rl_probed(&o, false, 0, PROG, 2 * MS), RL_BUSY);
	CHECK_EQ(rl_decide(&o, 0, PROG, 3 * MS), RL_BUSY);
	/* sh asks again: its line goes on. */
	CHECK_EQ(rl_decide(&o, 0, SH, 4 * MS), RL_RESUME);
	rl_taken(&o, 0, SH);
	/* The program loops: no second probe within the gap. */
	CHECK_EQ(rl_decide(&o, 0, PROG, 5 * MS), RL_BUSY);
	CHECK_EQ(rl_decide(&o, 0, PROG, 2 * MS + RL_PROBE_GAP_NS), RL_PROBE);
	CHECK_EQ(rl_probed(&o, false, 0, PROG, 2 * MS + RL_PROBE_GAP_NS),
		 RL_BUSY);
	/* Never RL_TAKEOVER or RL_FRESH for the program while sh lives. */
	CHECK_EQ(rl_decide(&o, 0, SH, 3 * MS + RL_PROBE_GAP_NS), RL_RESUME);
	rl_taken(&o, 0, SH);
	for (uint64_t t = 4 * MS + RL_PROBE_GAP_NS; t < 3000 * MS; t += MS) {
		enum rl_verdict v = rl_decide(&o, 0, PROG, t);
		CHECK(v == RL_BUSY || v == RL_PROBE);
		if (v == RL_PROBE) {
			CHECK_EQ(rl_probed(&o, false, 0, PROG, t), RL_BUSY);
			CHECK_EQ(rl_decide(&o, 0, SH, t), RL_RESUME);
			rl_taken(&o, 0, SH);
		}
	}
}

TEST(console_rlown_restarted_shell_gets_in)
{
	struct rl_own o = {0};
	rl_taken(&o, 0, SH);
	/* The old sh died with its readline pending; the new one asks. */
	CHECK_EQ(rl_decide(&o, 0, SH2, 10 * MS), RL_PROBE);
	CHECK_EQ(rl_probed(&o, true, 0, SH2, 10 * MS), RL_FRESH);
	rl_taken(&o, 0, SH2);
	CHECK_EQ(rl_decide(&o, 0, SH2, 11 * MS), RL_TAKEOVER);
	/* ... and owns: a program that got in between its lines loses it. */
	rl_done(&o);
	CHECK_EQ(rl_decide(&o, 0, PROG, 12 * MS), RL_FRESH);
	rl_taken(&o, 0, PROG);
	CHECK_EQ(rl_decide(&o, 0, SH2, 13 * MS), RL_TAKEOVER);
}

/* A program that asks while sh runs a command (nothing pending) gets the
 * readline, but sh's next readline takes it back; the program asking
 * again is refused while sh lives. */
TEST(console_rlown_owner_takes_the_readline_back)
{
	struct rl_own o = {0};
	rl_taken(&o, 0, SH);
	rl_done(&o); /* sh got its line, runs a command */
	CHECK_EQ(rl_decide(&o, 0, PROG, 1 * MS), RL_FRESH);
	rl_taken(&o, 0, PROG);
	CHECK_EQ(rl_decide(&o, 0, SH, 2 * MS), RL_TAKEOVER);
	rl_taken(&o, 0, SH);
	CHECK_EQ(rl_decide(&o, 0, PROG, 3 * MS), RL_PROBE);
	CHECK_EQ(rl_probed(&o, false, 0, PROG, 3 * MS), RL_BUSY);
	CHECK_EQ(rl_decide(&o, 0, SH, 4 * MS), RL_RESUME);
	rl_taken(&o, 0, SH);
	/* A program holding a reservation does not keep the owner out. */
	rl_done(&o);
	CHECK_EQ(rl_decide(&o, 0, PROG, 5 * MS), RL_FRESH);
	rl_taken(&o, 0, PROG);
	CHECK_EQ(rl_decide(&o, 0, PROG2, 500 * MS), RL_PROBE);
	CHECK_EQ(rl_probed(&o, false, 0, PROG2, 500 * MS), RL_BUSY);
	CHECK_EQ(rl_decide(&o, 0, SH, 501 * MS), RL_FRESH);
}

TEST(console_rlown_same_task_other_badge_reservation_ends)
{
	struct rl_own o = {0};
	rl_taken(&o, 0, SH);
	/* The same task again (gave up, or another thread): takes over. */
	CHECK_EQ(rl_decide(&o, 0, SH, 1 * MS), RL_TAKEOVER);
	/* Another badge (a second shell's endpoint): busy, no probe. */
	CHECK_EQ(rl_decide(&o, 7, PROG, 1 * MS), RL_BUSY);
	/* Answered: the next caller gets it. */
	rl_done(&o);
	CHECK_EQ(rl_decide(&o, 0, PROG, 2 * MS), RL_FRESH);
	rl_taken(&o, 0, PROG);
	/* Two programs: neither takes the other's live readline. */
	CHECK_EQ(rl_decide(&o, 0, PROG2, 3 * MS), RL_PROBE);
	CHECK_EQ(rl_probed(&o, false, 0, PROG2, 3 * MS), RL_BUSY);
	/* The probed one never came back: after the reservation, anyone. */
	CHECK_EQ(rl_decide(&o, 0, PROG2, 3 * MS + RL_RESERVE_NS - 1), RL_BUSY);
	CHECK_EQ(rl_decide(&o, 0, PROG2, 3 * MS + RL_RESERVE_NS), RL_FRESH);
}
