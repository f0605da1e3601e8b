/* iod's failure limit (servers/iod/iod_core.c, docs/devices.md "When a
 * driver dies"): a driver whose every start fails (no memory on a small
 * machine) or that dies before it is up a second is started again with
 * a doubling backoff, and after 10 failed starts within 60 s it is marked
 * failed: one log line, nothing due any more, `failed` in /svc/iod's
 * list and status, until a `restart` tries again. Ends that `restart`
 * asked for and deaths after a stable run are not failures; the window
 * is the last 10 failed starts' (sliding). */
#include <string.h>

#include <execrt/errors.h>

#include "harness.h"
#include "iod_core.h"
#include "json.h"

#define MS 1000000ull

static struct iod S;
static int starts, kills;
static bool no_memory;
static char log_[8192];

static bool f_have(void *ctx, const char *p)
{
	(void)ctx;
	(void)p;
	return true;
}

static long f_start(void *ctx, struct iod_dev *d, uint64_t badge)
{
	(void)ctx;
	(void)badge;
	starts++;
	if (no_memory)
		return ERR_NO_MEMORY;
	d->task = 1;
	return 0;
}

static bool f_kill(void *ctx, struct iod_dev *d, int64_t *st)
{
	(void)ctx;
	(void)d;
	kills++;
	*st = -9;
	return true;
}

static void f_log(void *ctx, const char *line)
{
	(void)ctx;
	size_t n = strlen(log_);
	snprintf(log_ + n, sizeof(log_) - n, "%s\n", line);
}

static const struct iod_plat plat = {
	.have_program = f_have, .start = f_start, .kill = f_kill, .log = f_log};

/* One virtio-gpu at 00:02.0, no _PRT, no framebuffer. */
static int setup(void)
{
	static struct pci_dev pd;
	static struct prt P;
	static struct iod_boot B;
	starts = kills = 0;
	no_memory = false;
	log_[0] = 0;
	iod_init(&S, &plat);
	memset(&pd, 0, sizeof(pd));
	pd.bdf = PCI_BDF(0, 2, 0);
	pd.vendor = 0x1af4;
	pd.device = 0x1050;
	pd.class_code = 3;
	pd.sized = true;
	memset(&B, 0, sizeof(B));
	B.has_8042 = 0;
	iod_build(&S, &pd, 1, &P, AML_UNSUPPORTED, &B);
	return iod_find_name(&S, "pci-00:02.0");
}

static int count(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static char out[2048];
static struct json_doc jd;

static const char *js(const char *req, uint64_t now)
{
	size_t n = iod_json(&S, req, strlen(req), out, sizeof(out), now, true);
	if (!(n > 0 && n < sizeof(out)) || json_parse(&jd, out, n) < 0)
		return "";
	return out;
}

/* Ticks iod as its loop does, at each time it asks for, for span ns
 * from *now; returns the last answer of iod_tick. */
static uint64_t run_for(uint64_t *now, uint64_t span)
{
	uint64_t end = *now + span, next = iod_tick(&S, *now);
	for (int guard = 0; next <= end && guard < 100000; guard++) {
		*now = next;
		next = iod_tick(&S, *now);
	}
	*now = end;
	return next;
}

TEST(iod_fail_never_fits_is_marked_failed)
{
	int gi = setup();
	CHECK(gi >= 0);
	struct iod_dev *g = &S.dev[gi];
	no_memory = true;
	uint64_t now = 1000 * MS;
	/* ten minutes of a driver that never fits: 10 starts, then none */
	uint64_t next = run_for(&now, 600000 * MS);
	CHECK_EQ(starts, 10);
	CHECK_EQ(next, IOD_NEVER);
	CHECK_EQ(g->state, IOD_ST_FAILED);
	CHECK_EQ(g->last_status, ERR_NO_MEMORY);
	CHECK_EQ(count(log_, "marked failed"), 1);
	CHECK(strstr(log_, "pci-00:02.0: driver virtio-gpu failed 10 starts "
			   "in 3270 ms (last status -5)"));
	/* the backoff doubled in between: 10+20+...+1000+1000 ms, not a
	 * busy loop */
	CHECK_EQ(count(log_, "restart in 1000 ms"), 2);
	CHECK(strstr(js("{\"cmd\":\"list\"}", now), "\"state\":\"failed\""));
	CHECK(strstr(js("{\"cmd\":\"status\"}", now), "\"failed\":1"));
	/* an explicit restart tries again (and counts afresh) */
	CHECK(strstr(js("{\"cmd\":\"restart\",\"dev\":\"pci-00:02.0\"}", now),
		     "\"ok\":true"));
	CHECK_EQ(starts, 11);
	CHECK_EQ(g->state, IOD_ST_BACKOFF);
	/* now it fits: it runs, and status no longer counts it failed */
	no_memory = false;
	run_for(&now, 20 * MS);
	CHECK_EQ(starts, 12);
	CHECK_EQ(g->state, IOD_ST_STARTING);
	CHECK(strstr(js("{\"cmd\":\"status\"}", now), "\"failed\":0"));
}

TEST(iod_fail_quick_deaths_counted_restarts_not)
{
	int gi = setup();
	struct iod_dev *g = &S.dev[gi];
	uint64_t now = 1000 * MS;
	iod_tick(&S, now);
	/* 30 `restart`s in a row are not failures */
	for (int i = 0; i < 30; i++)
		CHECK_EQ(iod_restart(&S, gi, now), 0);
	CHECK_EQ(g->state, IOD_ST_STARTING);
	/* 9 deaths before a stable second: still restarted */
	for (int i = 0; i < 9; i++) {
		iod_exited(&S, gi, -1, now + 1);
		CHECK_EQ(g->state, IOD_ST_BACKOFF);
		now = g->due_ns;
		iod_tick(&S, now);
		CHECK_EQ(g->state, IOD_ST_STARTING);
	}
	/* a stable run ends in a death: not a failed start */
	now += IOD_STABLE_NS;
	iod_tick(&S, now);
	CHECK_EQ(g->state, IOD_ST_RUNNING);
	iod_exited(&S, gi, -1, now);
	CHECK_EQ(g->state, IOD_ST_BACKOFF);
	now = g->due_ns;
	iod_tick(&S, now);
	/* the 10th quick death within 60 s of the first: failed */
	iod_exited(&S, gi, -1, now + 1);
	CHECK_EQ(g->state, IOD_ST_FAILED);
	CHECK_EQ(iod_tick(&S, now + 3600000 * MS), IOD_NEVER);
	CHECK_EQ(count(log_, "marked failed"), 1);
}

TEST(iod_fail_window_forgets_old_failures)
{
	int gi = setup();
	struct iod_dev *g = &S.dev[gi];
	uint64_t now = 1000 * MS;
	iod_tick(&S, now);
	/* 30 times: a quick death, then a 61 s run that ends too (not a
	 * failed start): each quick death is the first of a new window */
	for (int i = 0; i < 30; i++) {
		iod_exited(&S, gi, -1, now + 1);
		CHECK_EQ(g->state, IOD_ST_BACKOFF);
		now = g->due_ns;
		iod_tick(&S, now);
		now += 61000 * MS;
		iod_tick(&S, now);
		CHECK_EQ(g->state, IOD_ST_RUNNING);
		iod_exited(&S, gi, -1, now);
		now = g->due_ns;
		iod_tick(&S, now);
		CHECK_EQ(g->state, IOD_ST_STARTING);
	}
	CHECK_EQ(g->state, IOD_ST_STARTING);
	CHECK_EQ(count(log_, "marked failed"), 0);
}

TEST(iod_fail_window_slides)
{
	int gi = setup();
	struct iod_dev *g = &S.dev[gi];
	uint64_t now = 1000 * MS;
	iod_tick(&S, now);
	/* one quick death, then a run of 58 s that ends */
	iod_exited(&S, gi, -1, now + 1);
	now = g->due_ns;
	iod_tick(&S, now);
	now += 58000 * MS;
	iod_tick(&S, now);
	iod_exited(&S, gi, -1, now);
	now = g->due_ns;
	iod_tick(&S, now);
	/* then quick deaths: the 10 last within 60 s, counted from the
	 * last 10 (the first is too old by then), not from the first */
	int n = 0;
	while (g->state != IOD_ST_FAILED && n < 20) {
		iod_exited(&S, gi, -1, now + 1);
		n++;
		if (g->state == IOD_ST_FAILED)
			break;
		now = g->due_ns;
		iod_tick(&S, now);
	}
	CHECK_EQ(g->state, IOD_ST_FAILED);
	CHECK_EQ(n, 10); /* a window from the first: 17 */
}
