/* init's supervision state machine (servers/init/supervise.c) against a
 * fake platform: dependency order, backoff doubling to its cap and back,
 * N failures in a window -> failed, generations, commands, and a crash
 * loop that does not hold the others back. */
#include <string.h>

#include <execrt/syscall.h>

#include "harness.h"
#include "manifest.h"
#include "supervise.h"

#define MS 1000000ull

static struct manifest m;
static struct sup sp;
static int starts[MAN_MAX_SVC], kills[MAN_MAX_SVC], notes[MAN_MAX_SVC];
static int order[64], norder;
static long start_result;
static uint64_t next_koid = 100;

static long fake_start(void *ctx, int i, uint64_t *koid)
{
	(void)ctx;
	if (start_result)
		return start_result;
	starts[i]++;
	if (norder < 64)
		order[norder++] = i;
	*koid = next_koid++;
	return 0;
}

static void fake_kill(void *ctx, int i)
{
	(void)ctx;
	kills[i]++;
}

static void fake_note(void *ctx, int i, const char *msg)
{
	(void)ctx;
	(void)msg;
	notes[i]++;
}

static const struct sup_ops ops = {fake_start, fake_kill, fake_note};

static int setup(const char *text)
{
	memset(starts, 0, sizeof(starts));
	memset(kills, 0, sizeof(kills));
	memset(notes, 0, sizeof(notes));
	norder = 0;
	start_result = 0;
	int e = man_parse(&m, text, strlen(text), "t.conf", NULL, NULL);
	sup_init(&sp, &m, &ops, NULL, 0);
	return e;
}

TEST(supervise_dependency_order)
{
	CHECK_EQ(setup("service sh\nprogram sh\nafter console test\n"
		       "service test\nprogram t\nafter names\n"
		       "service console\nprogram c\nafter names\n"
		       "service names\nprogram n\n"
		       "service broken\nprogram b\nbogus\n"),
		 1);
	CHECK_EQ(sup_step(&sp, 0), SUP_STABLE_NS);
	CHECK_EQ(norder, 4);
	/* names first, sh last; every dependency before its dependents. */
	CHECK_EQ(order[0], 3);
	CHECK_EQ(order[3], 0);
	CHECK_EQ(sp.s[4].state, SUP_BAD);
	CHECK_EQ(starts[4], 0);
	for (int i = 0; i < 4; i++) {
		CHECK_EQ(sp.s[i].state, SUP_STARTING);
		CHECK_EQ(sp.s[i].generation, 1);
	}
	/* After the stable time they are running. */
	CHECK_EQ(sup_step(&sp, SUP_STABLE_NS), SUP_NEVER);
	CHECK_EQ(sp.s[0].state, SUP_RUNNING);
	CHECK_EQ(sup_cmd(&sp, 4, SUP_CMD_START, 0), SUP_E_BAD);
}

TEST(supervise_waits_for_dependency)
{
	setup("service a\nprogram a\nafter b\nservice b\nprogram b\n");
	start_result = -5; /* b cannot start: a waits */
	sup_step(&sp, 0);
	CHECK_EQ(sp.s[1].state, SUP_BACKOFF);
	CHECK_EQ(sp.s[1].last_exit, -5);
	CHECK_EQ(sp.s[0].state, SUP_WAITING);
	start_result = 0;
	CHECK_EQ(sup_step(&sp, MAN_DEF_BACKOFF_MIN),
		 MAN_DEF_BACKOFF_MIN + SUP_STABLE_NS);
	CHECK_EQ(sp.s[1].state, SUP_STARTING);
	CHECK_EQ(sp.s[0].state, SUP_STARTING);
	CHECK_EQ(sp.s[1].generation, 2);
	CHECK_EQ(sp.s[1].restarts, 1);
}

TEST(supervise_backoff_doubles_to_cap_and_resets)
{
	setup("service c\nprogram c\nbackoff 10ms..80ms\nlimit 32/1s\n"
	      "restart always\n");
	uint64_t t = 0;
	sup_step(&sp, t);
	static const uint64_t want[] = {10, 20, 40, 80, 80, 80};
	for (unsigned k = 0; k < 6; k++) {
		sup_exited(&sp, 0, -1, t);
		CHECK_EQ(sp.s[0].state, SUP_BACKOFF);
		CHECK_EQ(sp.s[0].due_ns - t, want[k] * MS);
		/* Not before its time. */
		CHECK_EQ(sup_step(&sp, sp.s[0].due_ns - 1), sp.s[0].due_ns);
		CHECK_EQ(sp.s[0].state, SUP_BACKOFF);
		t = sp.s[0].due_ns;
		sup_step(&sp, t);
		CHECK_EQ(sp.s[0].state, SUP_STARTING);
		CHECK_EQ(sp.s[0].generation, k + 2);
	}
	/* Up for the stable time: the next failure waits the minimum. */
	t += SUP_STABLE_NS;
	sup_step(&sp, t);
	CHECK_EQ(sp.s[0].state, SUP_RUNNING);
	sup_exited(&sp, 0, -1, t);
	CHECK_EQ(sp.s[0].due_ns - t, 10 * MS);
	/* A clean exit under "always" restarts too, without counting. */
	t = sp.s[0].due_ns;
	sup_step(&sp, t);
	sup_exited(&sp, 0, 0, t);
	CHECK_EQ(sp.s[0].state, SUP_BACKOFF);
}

TEST(supervise_limit_marks_failed)
{
	setup("service c\nprogram c\nbackoff 1ms..1ms\nlimit 3/100ms\n"
	      "service ok\nprogram o\n");
	uint64_t t = 0;
	sup_step(&sp, t);
	for (int k = 0; k < 2; k++) {
		sup_exited(&sp, 0, 139, t);
		t += MS;
		sup_step(&sp, t);
	}
	CHECK_EQ(sp.s[0].state, SUP_STARTING);
	sup_exited(&sp, 0, 139, t);
	CHECK_EQ(sp.s[0].state, SUP_FAILED);
	CHECK_EQ(notes[0], 1);
	CHECK_EQ(sp.s[0].last_exit, 139);
	CHECK_EQ(sup_step(&sp, t + 10 * SUP_STABLE_NS), SUP_NEVER);
	CHECK_EQ(starts[0], 3);
	CHECK_EQ(sp.s[1].state, SUP_RUNNING); /* the other one is fine */
	/* Failures spread wider than the window never make it failed. */
	setup("service c\nprogram c\nbackoff 1ms..1ms\nlimit 3/100ms\n");
	t = 0;
	sup_step(&sp, t);
	for (int k = 0; k < 50; k++) {
		sup_exited(&sp, 0, 1, t);
		t += 60 * MS;
		sup_step(&sp, t);
		CHECK_EQ(sp.s[0].state, SUP_STARTING);
	}
	/* start works again after failed, with a fresh count */
	setup("service c\nprogram c\nlimit 1/1s\n");
	sup_step(&sp, 0);
	sup_exited(&sp, 0, 1, 0);
	CHECK_EQ(sp.s[0].state, SUP_FAILED);
	CHECK_EQ(sup_cmd(&sp, 0, SUP_CMD_START, 5), 0);
	sup_step(&sp, 5);
	CHECK_EQ(sp.s[0].state, SUP_STARTING);
	CHECK_EQ(sp.s[0].generation, 2);
}

/* A service that crashes just after it counts as running (1 s) still
 * crashes N times in the window: being up for the stable time resets its
 * backoff, not its failure history (review-a: the history was wiped on
 * every STARTING -> RUNNING, so such a service was never failed and
 * restarted for ever at the minimum delay). */
TEST(supervise_limit_counts_failures_of_instances_that_ran)
{
	setup("service c\nprogram c\nbackoff 100ms..2s\nlimit 5/30s\n");
	uint64_t t = 0;
	sup_step(&sp, t);
	for (int k = 0; k < 4; k++) {
		t += SUP_STABLE_NS + 100 * MS; /* up 1.1 s, then it dies */
		sup_step(&sp, t);
		CHECK_EQ(sp.s[0].state, SUP_RUNNING);
		sup_exited(&sp, 0, 1, t);
		CHECK_EQ(sp.s[0].state, SUP_BACKOFF);
		CHECK_EQ(sp.s[0].due_ns - t, 100 * MS); /* it had been up */
		t = sp.s[0].due_ns;
		sup_step(&sp, t);
		CHECK_EQ(sp.s[0].state, SUP_STARTING);
	}
	t += SUP_STABLE_NS + 100 * MS;
	sup_step(&sp, t);
	sup_exited(&sp, 0, 1, t); /* the 5th within 30 s */
	CHECK_EQ(sp.s[0].state, SUP_FAILED);
	CHECK_EQ(notes[0], 1);
}

/* A service that dies because its dependency went away (the shell when
 * its console restarts) is not failing itself: no failure counted, it
 * starts again once the dependency is up. Its own deaths still count. */
TEST(supervise_dependency_restart_is_not_a_failure)
{
	setup("service c\nprogram c\nrestart always\nbackoff 10ms..10ms\n"
	      "limit 32/1s\n"
	      "service s\nprogram s\nafter c\nlimit 2/30s\n"
	      "backoff 100ms..1s\n");
	uint64_t t = 0;
	sup_step(&sp, t);
	for (int k = 0; k < 5; k++) {
		t += 2 * SUP_STABLE_NS;
		sup_step(&sp, t);
		sup_exited(&sp, 0, 1, t); /* the console dies ... */
		sup_exited(&sp, 1, 1, t); /* ... and the shell with it */
		CHECK_EQ(sp.s[1].state, SUP_WAITING);
		CHECK_EQ(sp.s[1].nfails, 0);
		CHECK_EQ(sup_step(&sp, t + 5 * MS), t + 10 * MS);
		CHECK_EQ(sp.s[1].state, SUP_WAITING); /* c not up yet */
		t += 10 * MS;
		sup_step(&sp, t);
		CHECK_EQ(sp.s[0].state, SUP_STARTING);
		CHECK_EQ(sp.s[1].state, SUP_STARTING);
	}
	CHECK_EQ(sp.s[1].generation, 6);
	/* Restarted by a command, the dependency also ends the instances
	 * started before it. */
	t += 2 * SUP_STABLE_NS;
	sup_step(&sp, t);
	CHECK_EQ(sup_cmd(&sp, 0, SUP_CMD_RESTART, t), 0);
	sup_exited(&sp, 0, -1, t);
	sup_step(&sp, t);
	CHECK_EQ(sp.s[0].state, SUP_STARTING);
	sup_exited(&sp, 1, 1, t + MS);
	CHECK_EQ(sp.s[1].state, SUP_WAITING);
	sup_step(&sp, t + MS);
	CHECK_EQ(sp.s[1].state, SUP_STARTING);
	/* Its own crashes count: 2 in the window and it is failed. */
	sup_exited(&sp, 1, 1, t + 2 * MS);
	CHECK_EQ(sp.s[1].state, SUP_BACKOFF);
	t = sp.s[1].due_ns;
	sup_step(&sp, t);
	sup_exited(&sp, 1, 1, t);
	CHECK_EQ(sp.s[1].state, SUP_FAILED);
}

TEST(supervise_policies)
{
	setup("service n\nprogram n\nrestart never\n"
	      "service o\nprogram o\n"
	      "service p\nprogram p\nrestart never\n");
	sup_step(&sp, 0);
	sup_exited(&sp, 0, 0, 1);
	CHECK_EQ(sp.s[0].state, SUP_STOPPED);
	sup_exited(&sp, 1, 0, 1); /* on-failure, clean exit */
	CHECK_EQ(sp.s[1].state, SUP_STOPPED);
	sup_exited(&sp, 2, 3, 1);
	CHECK_EQ(sp.s[2].state, SUP_FAILED);
	CHECK_EQ(sup_step(&sp, 10 * SUP_STABLE_NS), SUP_NEVER);
	CHECK_EQ(starts[0] + starts[1] + starts[2], 3);
	/* A death of something not running is ignored. */
	sup_exited(&sp, 0, 1, 2);
	CHECK_EQ(sp.s[0].state, SUP_STOPPED);
}

TEST(supervise_commands)
{
	setup("service a\nprogram a\n");
	sup_step(&sp, 0);
	uint64_t koid = sp.s[0].koid;
	CHECK_EQ(sup_find_koid(&sp, koid), 0);
	CHECK_EQ(sup_find_koid(&sp, 0), -1);
	CHECK_EQ(sup_cmd(&sp, 0, SUP_CMD_START, 1), SUP_E_STATE);
	/* stop: killed, stopped when the death arrives, never restarted */
	CHECK_EQ(sup_cmd(&sp, 0, SUP_CMD_STOP, 1), 0);
	CHECK_EQ(kills[0], 1);
	sup_exited(&sp, 0, -1, 2);
	CHECK_EQ(sp.s[0].state, SUP_STOPPED);
	CHECK_EQ(sup_find_koid(&sp, koid), -1);
	CHECK_EQ(sup_step(&sp, 10 * SUP_STABLE_NS), SUP_NEVER);
	CHECK_EQ(starts[0], 1);
	CHECK_EQ(sup_cmd(&sp, 0, SUP_CMD_STOP, 3), 0); /* idempotent */
	/* start */
	CHECK_EQ(sup_cmd(&sp, 0, SUP_CMD_START, 3), 0);
	sup_step(&sp, 3);
	CHECK_EQ(sp.s[0].state, SUP_STARTING);
	CHECK_EQ(sp.s[0].generation, 2);
	/* restart: killed, started again at once, no failure counted */
	CHECK_EQ(sup_cmd(&sp, 0, SUP_CMD_RESTART, 4), 0);
	CHECK_EQ(kills[0], 2);
	CHECK_EQ(sp.s[0].state, SUP_STARTING); /* until the death */
	sup_exited(&sp, 0, -1, 5);
	CHECK_EQ(sp.s[0].state, SUP_WAITING);
	sup_step(&sp, 5);
	CHECK_EQ(sp.s[0].state, SUP_STARTING);
	CHECK_EQ(sp.s[0].generation, 3);
	CHECK_EQ(sp.s[0].nfails, 0);
	/* stop during backoff: stopped at once, no kill */
	sup_exited(&sp, 0, 1, 6);
	CHECK_EQ(sp.s[0].state, SUP_BACKOFF);
	CHECK_EQ(sup_cmd(&sp, 0, SUP_CMD_STOP, 7), 0);
	CHECK_EQ(kills[0], 2);
	CHECK_EQ(sp.s[0].state, SUP_STOPPED);
	/* restart of a stopped one starts it */
	CHECK_EQ(sup_cmd(&sp, 0, SUP_CMD_RESTART, 8), 0);
	sup_step(&sp, 8);
	CHECK_EQ(sp.s[0].state, SUP_STARTING);
}

/* A service crashing as soon as it starts, 1000 times, next to others:
 * they are started once and never wait for its restarts; its restart
 * rate is bounded by its backoff. */
TEST(supervise_crash_loop_costs_only_itself)
{
	setup("service loop\nprogram l\nbackoff 1ms..8ms\nlimit 32/1ms\n"
	      "restart always\n"
	      "service a\nprogram a\n"
	      "service b\nprogram b\nafter a\n");
	uint64_t t = 0, next = sup_step(&sp, t);
	for (int k = 0; k < 1000; k++) {
		sup_exited(&sp, 0, TASK_STATUS_FAULT(14), t);
		/* Run the clock from deadline to deadline until it starts. */
		for (int n = 0; sp.s[0].state == SUP_BACKOFF; n++) {
			next = sup_step(&sp, t);
			CHECK(next > t && n < 3);
			t = next;
			sup_step(&sp, t);
		}
		CHECK_EQ(sp.s[0].state, SUP_STARTING);
	}
	CHECK_EQ(starts[0], 1001);
	CHECK_EQ(sp.s[0].generation, 1001);
	CHECK_EQ(sp.s[0].restarts, 1000);
	CHECK_EQ(starts[1], 1);
	CHECK_EQ(starts[2], 1);
	CHECK(t >= 990 * 8 * MS); /* at most one start per 8 ms at the cap */
	CHECK_EQ(sp.s[1].state, SUP_RUNNING);
	CHECK_EQ(sp.s[2].state, SUP_RUNNING);
}
