/* The in-guest system-call fuzzer's driver (docs/testing.md, "Guest
 * fuzzer"). Batches: one guest-fuzz task each (a child with a small quota
 * and no authority), its worker threads placed on every CPU; a watchdog
 * kills a batch that does not end; after each batch the kernel's counters
 * must be back where they were.
 *
 * Root task arguments (make fuzz sets them): fuzz_calls=N (total),
 * fuzz_seed=S (default: from the clock; batch b runs seed S + b * GOLDEN,
 * so a batch's printed seed, given as S, replays it as batch 0),
 * fuzz_batch=N (calls per batch), fuzz_threads=N (workers, 1..4),
 * fuzz_keep_going=1 (count failed batches and go on, to hunt for more). */
#include <stdlib.h>
#include <string.h>

#include <execrt/cpio.h>
#include <execrt/spawn.h>

#include "fuzz.h"
#include "gtest.h"
#include "gutil.h"

#define DEFAULT_CALLS 200000ull /* the slice in make check */
#define DEFAULT_BATCH 40000ull
#define FUZZ_QUOTA    (4ull << 20)
#define GOLDEN	      0x9e3779b97f4a7c15ull
#define CHILD_TIMEOUT 60 /* s: the task gives up on its workers */
#define WATCHDOG_NS   ((CHILD_TIMEOUT + 20) * 1000 * MS)
#define SETTLE_NS     (2000 * MS)

/* Calls that need an authority the fuzzing task never has. */
static const unsigned needs_authority[] = {
	SYS_DEBUG_WRITE,	SYS_SCHED_SET,	      SYS_KERNEL_STATS,
	SYS_IRQ_CREATE,		SYS_IRQ_ACK,	      SYS_IOPORT_IO,
	SYS_SCHED_AUTH_DERIVE,	SYS_SCHED_AUTH_INFO,  SYS_SCHED_CONFIG,
	SYS_TASK_SET_CPU_QUOTA, SYS_SCHED_TRACE_READ, SYS_SCHED_STATS,
	SYS_SCHED_CPU_INFO,	SYS_RESOURCE_DERIVE,  SYS_TASK_STATS,
	SYS_VMO_CREATE_DMA,	SYS_VMO_PHYS,	      SYS_VMO_CREATE_PHYS,
	SYS_PCI_CFG_READ,	SYS_PCI_CFG_WRITE,    SYS_IRQ_CREATE_MSI};

static uint64_t arg_u64(const char *key, uint64_t dflt)
{
	const char *v = g_arg(key);
	return v ? strtoull(v, NULL, 0) : dflt;
}

struct batch {
	uint64_t seed, per_worker;
	unsigned workers;
	int64_t status;
	int hung; /* the watchdog killed it */
	struct fuzz_report rep;
};

/* Workers made here so they can be placed: thread i on CPU i % ncpus. */
static long make_workers(handle_t task, unsigned n, handle_t *th)
{
	unsigned ncpus = g_ncpus();
	for (unsigned i = 0; i < n; i++) {
		long r = sys_thread_create(task, "fuzz", 4, &th[i]);
		if (r < 0)
			return r;
		struct sched_params p = {.cls = SCHED_CLASS_BE,
					 .cpu = (int32_t)(i % ncpus)};
		if ((r = sys_sched_set(g_sched(), th[i], &p)) < 0)
			return r;
	}
	return 0;
}

static long run_batch(struct batch *b)
{
	handle_t rv = HANDLE_INVALID, rv_child = HANDLE_INVALID, d;
	handle_t th[FUZZ_MAX_WORKERS] = {0};
	struct execrt_child ch;
	struct cpio_file f;
	long r = sys_vmo_create(PAGE, &rv);
	if (r < 0)
		return r;
	if (cpio_find(g_initrd_buf, g_initrd_len, "bin/" FUZZ_PROG, &f) != CPIO_OK) {
		sys_handle_close(rv);
		return ERR_NOT_FOUND;
	}
	if ((r = execrt_spawn_create(FUZZ_PROG, FUZZ_QUOTA, &ch)) < 0) {
		sys_handle_close(rv);
		return r;
	}
	if ((r = make_workers(ch.task, b->workers, th)) < 0)
		goto out;
	d = g_dup(rv, RIGHT_READ | RIGHT_WRITE | RIGHT_MAP | RIGHT_TRANSFER);
	if ((r = sys_task_give_handle(ch.task, d, RIGHT_SAME, &rv_child)) < 0) {
		sys_handle_close(d);
		goto out;
	}
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "%s %#llx %llu %u %u", FUZZ_PROG,
		 (unsigned long long)b->seed, (unsigned long long)b->per_worker,
		 rv_child, CHILD_TIMEOUT);
	struct execrt_spawn_args a = {.image = f.data,
				      .image_len = f.size,
				      .cmdline = cmd,
				      .quota = FUZZ_QUOTA};
	for (unsigned i = 0; i < b->workers; i++)
		a.give[FUZZ_H_WORKER0 + i] = th[i];
	if ((r = execrt_spawn_start(&ch, &a, NULL)) < 0)
		goto out;
	r = sys_object_wait(ch.task, g_now() + WATCHDOG_NS, &b->status);
	if (r == ERR_TIMED_OUT) {
		b->hung = 1;
		r = 0;
	}
	sys_vmo_read(rv, &b->rep, 0, sizeof(b->rep));
out:
	for (unsigned i = 0; i < b->workers; i++)
		sys_handle_close(th[i]);
	execrt_spawn_abort(&ch); /* kills it if it still runs */
	sys_handle_close(rv);
	return r;
}

static void print_stuck(const struct batch *b)
{
	for (unsigned i = 0; i < b->workers; i++) {
		const struct fuzz_worker_state *w = &b->rep.w[i];
		if (w->done)
			continue;
		printf("    worker %u: %llu calls done, %s call %llu(%#llx, "
		       "%#llx, %#llx, %#llx, %#llx, %#llx)\n",
		       i, (unsigned long long)w->calls,
		       w->in_call ? "inside" : "after",
		       (unsigned long long)w->nr, (unsigned long long)w->a[0],
		       (unsigned long long)w->a[1], (unsigned long long)w->a[2],
		       (unsigned long long)w->a[3], (unsigned long long)w->a[4],
		       (unsigned long long)w->a[5]);
	}
}

/* Threads of other tasks than this one: what a leak left running. */
static void print_threads(void)
{
	static struct sched_thread_stats ts[16];
	uint64_t self = g_koid(g_self()), after = 0;
	long n;
	while ((n = sys_sched_stats(g_telemetry(), after, ts, 16)) > 0) {
		for (long i = 0; i < n; i++) {
			after = ts[i].koid;
			if (ts[i].task_koid && ts[i].task_koid != self)
				printf("    left: thread %llu \"%s\" of task "
				       "%llu, "
				       "state %u\n",
				       (unsigned long long)ts[i].koid,
				       ts[i].name,
				       (unsigned long long)ts[i].task_koid,
				       ts[i].state);
		}
	}
}

static int counters_back(const struct kernel_stats *a)
{
	struct kernel_stats s;
	uint64_t end = g_now() + SETTLE_NS;
	for (;;) {
		if (g_stats(&s) < 0)
			return 0;
		if (a->kobjects_live == s.kobjects_live &&
		    a->tasks == s.tasks && a->threads == s.threads &&
		    a->slab_objects == s.slab_objects &&
		    a->frames_free + a->frames_cached ==
			    s.frames_free + s.frames_cached)
			return 1;
		if (g_now() >= end)
			break;
		sys_sleep_until(g_now() + 5 * MS);
	}
	printf("    leak after the batch: kobjects %llu -> %llu, tasks %llu -> "
	       "%llu, threads %llu -> %llu, slab %llu -> %llu, frames free "
	       "%llu -> %llu\n",
	       (unsigned long long)a->kobjects_live,
	       (unsigned long long)s.kobjects_live,
	       (unsigned long long)a->tasks, (unsigned long long)s.tasks,
	       (unsigned long long)a->threads, (unsigned long long)s.threads,
	       (unsigned long long)a->slab_objects,
	       (unsigned long long)s.slab_objects,
	       (unsigned long long)(a->frames_free + a->frames_cached),
	       (unsigned long long)(s.frames_free + s.frames_cached));
	print_threads();
	return 0;
}

GTEST(fuzz_syscalls)
{
	uint64_t calls = arg_u64("fuzz_calls", DEFAULT_CALLS);
	uint64_t per_batch = arg_u64("fuzz_batch", DEFAULT_BATCH);
	uint64_t seed = arg_u64("fuzz_seed", g_now() * GOLDEN);
	unsigned workers = (unsigned)arg_u64("fuzz_threads", FUZZ_MAX_WORKERS);
	if (workers < 1 || workers > FUZZ_MAX_WORKERS)
		workers = FUZZ_MAX_WORKERS;
	if (!per_batch)
		per_batch = DEFAULT_BATCH;
	printf("fuzz: seed %#llx, %llu calls, batches of %llu, %u threads on "
	       "%u CPUs\n",
	       (unsigned long long)seed, (unsigned long long)calls,
	       (unsigned long long)per_batch, workers, g_ncpus());

	static uint64_t ok[SYS_COUNT];
	memset(ok, 0, sizeof(ok));
	uint64_t done = 0, hostile = 0, t0 = g_now();
	unsigned hangs = 0, leaks = 0, other = 0;
	int keep_going = arg_u64("fuzz_keep_going", 0) != 0, failed = 0;
	uint64_t max_batches = 2 * (calls / per_batch) + 10;
	for (unsigned n = 0;
	     done < calls && n < max_batches && (keep_going || !failed); n++) {
		static struct batch b;
		memset(&b, 0, sizeof(b));
		b.seed = seed + n * GOLDEN;
		b.workers = workers;
		uint64_t want =
			calls - done < per_batch ? calls - done : per_batch;
		b.per_worker = (want + workers - 1) / workers;
		printf("fuzz: batch %u seed %#llx\n", n,
		       (unsigned long long)b.seed);
		struct kernel_stats before;
		GCHECK_OK(g_stats(&before));
		long r = run_batch(&b);
		int bad = 1;
		if (r < 0) {
			printf("    batch not run: %s\n", err_name(r));
			other++;
		} else if (b.hung || b.status <= FUZZ_ST_HANG) {
			printf("    HANG: %s\n",
			       b.hung ? "watchdog killed the task"
				      : "workers did not finish");
			print_stuck(&b);
			hangs++;
		} else if (b.status < 0) {
			printf("    fuzzing task ended with status %lld\n",
			       (long long)b.status);
			other++;
		} else {
			bad = 0;
		}
		if (!counters_back(&before)) {
			leaks++;
			bad = 1;
		}
		if (bad) {
			failed = 1;
			printf("    replay: make fuzz SEED=%#llx CALLS=%llu "
			       "THREADS=%u\n",
			       (unsigned long long)b.seed,
			       (unsigned long long)(b.per_worker * workers),
			       workers);
			if (r < 0 || b.hung || b.status <= 0)
				continue;
		}
		done += (uint64_t)b.status;
		hostile += b.rep.hostile;
		for (unsigned i = 0; i < SYS_COUNT; i++)
			ok[i] += b.rep.ok[i];
	}
	uint64_t ms = (g_now() - t0) / MS;
	printf("fuzz: %llu calls in %llu ms (%llu calls/s), %llu with a number "
	       "out of range; %u hangs, %u leaks, %u other failures\n",
	       (unsigned long long)done, (unsigned long long)ms,
	       (unsigned long long)(ms ? done * 1000 / ms : 0),
	       (unsigned long long)hostile, hangs, leaks, other);
	unsigned kinds = 0;
	for (unsigned i = 0; i < SYS_COUNT; i++)
		kinds += ok[i] != 0;
	printf("fuzz: %u of %u calls succeeded at least once; never:", kinds,
	       (unsigned)SYS_COUNT);
	for (unsigned i = 0; i < SYS_COUNT; i++)
		if (!ok[i])
			printf(" %u", i);
	printf("\n");
	GCHECK(!failed);
	GCHECK_EQ(done >= calls, 1);
	for (unsigned i = 0; i < sizeof(needs_authority) / sizeof(unsigned);
	     i++)
		GCHECK_EQ(ok[needs_authority[i]], 0);
}
