/* Guest test runner: registration, the per-test leak check and the final
 * "N passed, N failed" line. */
#include <string.h>

#include "gtest.h"
#include "gutil.h"

#define GTEST_MAX   512
#define SETTLE_NS   (1000 * MS) /* freeing may finish on another CPU */
#define SETTLE_STEP (5 * MS)

struct gtest {
	const char *name, *file;
	gtest_fn fn;
};

static struct gtest tests[GTEST_MAX];
static unsigned ntests, dropped;
static int cur_failed, cur_growth;

void gtest_register(const char *name, const char *file, gtest_fn fn)
{
	if (ntests < GTEST_MAX)
		tests[ntests++] = (struct gtest){name, file, fn};
	else
		dropped++; /* fails the run: a test must never go missing */
}

void gtest_fail(const char *file, int line, const char *expr)
{
	printf("    %s:%d: %s\n", file, line, expr);
	cur_failed = 1;
}

void gtest_allow_growth(void)
{
	cur_growth = 1;
}

/* Counters that must be back; frames and slab objects may only stay
 * lower (less free / more objects) when the test allowed growth. */
static int stats_differ(const struct kernel_stats *a,
			const struct kernel_stats *b, int growth)
{
	if (a->kobjects_live != b->kobjects_live || a->tasks != b->tasks ||
	    a->threads != b->threads)
		return 1;
	if (growth)
		return 0;
	/* Frames in slabs are counted with the free ones: the slab objects
	 * are compared by number, and how they sit in slabs (a spare kept,
	 * two partly used slabs merged into one) is not a leak. A double
	 * free of a frame or object panics in the kernel, so "more free"
	 * cannot hide one. */
	return a->frames_free + a->frames_slab !=
		       b->frames_free + b->frames_slab ||
	       a->slab_objects != b->slab_objects;
}

static void print_diff(const char *what, uint64_t a, uint64_t b)
{
	if (a != b)
		printf("    leak: %s %llu -> %llu\n", what,
		       (unsigned long long)a, (unsigned long long)b);
}

static void leak_check(const struct kernel_stats *before)
{
	struct kernel_stats now;
	uint64_t end = g_now() + SETTLE_NS;
	for (;;) {
		if (g_stats(&now) < 0) {
			gtest_fail(__FILE__, __LINE__, "kernel_stats failed");
			return;
		}
		if (!stats_differ(before, &now, cur_growth))
			return;
		if (g_now() >= end)
			break;
		sys_sleep_until(g_now() + SETTLE_STEP);
	}
	print_diff("frames_free + frames_slab",
		   before->frames_free + before->frames_slab,
		   now.frames_free + now.frames_slab);
	print_diff("frames_free + frames_cached",
		   before->frames_free + before->frames_cached,
		   now.frames_free + now.frames_cached);
	print_diff("kobjects_live", before->kobjects_live, now.kobjects_live);
	print_diff("slab_objects", before->slab_objects, now.slab_objects);
	print_diff("tasks", before->tasks, now.tasks);
	print_diff("threads", before->threads, now.threads);
	gtest_fail(__FILE__, __LINE__, "kernel counters did not come back");
}

/* After every test the task must still be able to make objects. */
static void usable_check(void)
{
	handle_t v = HANDLE_INVALID;
	if (sys_vmo_create(PAGE, &v) < 0 || sys_handle_close(v) < 0)
		gtest_fail(__FILE__, __LINE__, "task not usable afterwards");
}

/* filter: substrings separated by commas; a test matching any runs, but
 * none matching a word that starts with '!' (with only '!' words, every
 * other test runs). */
static int selected(const char *name, const char *filter)
{
	if (!filter)
		return 1;
	char buf[128];
	int want = 0, any_plain = 0;
	for (const char *p = filter; *p;) {
		size_t n = strcspn(p, ",");
		if (n && n < sizeof(buf)) {
			memcpy(buf, p, n);
			buf[n] = 0;
			if (buf[0] == '!' && buf[1] && strstr(name, buf + 1))
				return 0;
			if (buf[0] != '!') {
				any_plain = 1;
				want |= strstr(name, buf) != NULL;
			}
		}
		p += n + (p[n] == ',');
	}
	return want || !any_plain;
}

int gtest_run(const char *filter)
{
	unsigned passed = 0, failed = dropped;
	if (dropped)
		printf("FAIL %u tests not registered: raise GTEST_MAX (%u)\n",
		       dropped, GTEST_MAX);
	for (unsigned i = 0; i < ntests; i++) {
		const struct gtest *t = &tests[i];
		if (!selected(t->name, filter))
			continue;
		struct kernel_stats before;
		int have = g_stats(&before) == 0;
		cur_failed = 0;
		cur_growth = 0;
		/* Each test starts on CPU 0 with the threads it creates
		 * (they inherit the affinity), as most were written for; the
		 * SMP tests (t_smp_sched.c) widen their threads' masks.
		 * "pin=0" on the command line leaves them unpinned. */
		const char *pin = g_arg("pin");
		if (!pin || strcmp(pin, "0"))
			g_pin_self();
		t->fn();
		usable_check();
		if (have)
			leak_check(&before);
		if (cur_failed) {
			printf("FAIL %s\n", t->name);
			failed++;
		} else {
			printf("ok   %s\n", t->name);
			passed++;
		}
	}
	printf("%u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
