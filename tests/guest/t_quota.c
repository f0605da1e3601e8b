/* Memory quotas as accounts (docs/tasks.md "Memory quotas"): an
 * unprivileged child exhausts one resource at a time and gets a clean
 * error; everything the kernel allocated for it meanwhile is charged to the
 * quota chain (ours) up to a small slab slack; killing it gives every
 * counter back. Memory that outlives its task stays charged to the parent
 * until it goes. */
#include <stdbool.h>
#include <string.h>

#include "gchild.h"
#include "gtest.h"
#include "gutil.h"

#define CHILD_QUOTA_PROG "guest-child-quota"
/* Frames the kernel may take beyond what is charged: at most one partly
 * used slab (<= 32 KiB) for each kmalloc size class and object cache a
 * child can reach (docs/tasks.md). */
#define SLAB_SLACK (256ull << 10)

static long stats(struct kernel_stats *s)
{
	return g_stats(s);
}

/* Our quota use back to `want` (freeing may finish late: up to 1 s). */
static uint64_t used_settles(uint64_t want)
{
	struct kernel_stats s = {0};
	for (int i = 0; i < 1000; i++) {
		stats(&s);
		if (s.mem_used == want)
			break;
		sys_sleep_until(g_now() + MS);
	}
	return s.mem_used;
}

/* Starts the child on `mode` with a status object (*v, ours). */
static long spawn_q(const char *mode, uint64_t quota, struct child *c,
		    handle_t *v)
{
	long r = sys_vmo_create(PAGE, v);
	if (r < 0)
		return r;
	handle_t vd = g_dup(*v, RIGHT_SAME);
	char args[32];
	snprintf(args, sizeof(args), "%s:@", mode);
	r = g_spawn_ex(CHILD_QUOTA_PROG, args, quota, 0, vd,
		       RIGHT_READ | RIGHT_WRITE, c);
	if (r < 0) {
		sys_handle_close(vd);
		sys_handle_close(*v);
	}
	return r;
}

/* Waits up to 20 s for the child's QS_DONE; its count and error. */
static bool wait_done(handle_t v, int64_t *count, int64_t *why)
{
	int64_t done = 0;
	for (int i = 0; i < 20000 && !done; i++) {
		sys_vmo_read(v, &done, QS_DONE * 8, 8);
		if (!done)
			sys_sleep_until(g_now() + MS);
	}
	sys_vmo_read(v, count, QS_COUNT * 8, 8);
	sys_vmo_read(v, why, QS_ERR * 8, 8);
	return done;
}

static void kill_q(struct child *c, handle_t v)
{
	int64_t st;
	sys_task_kill(c->task, -1);
	g_reap(c, 5000 * MS, &st);
	sys_handle_close(v);
}

/* What exhausting `mode` in a child with `quota` gave: the count, or
 * -1000 + an unexpected error, and the error that stopped it. Checks the
 * kernel's frames against the charges while the child holds everything,
 * then kills it. */
static long run_exhaust(const char *mode, uint64_t quota, int64_t *count,
			int64_t *why)
{
	handle_t v;
	struct kernel_stats s0, s1;
	struct child c;
	stats(&s0);
	long r = spawn_q(mode, quota, &c, &v);
	if (r < 0)
		return r;
	bool done = wait_done(v, count, why);
	stats(&s1);
	kill_q(&c, v);
	uint64_t taken = (s0.frames_free - s1.frames_free) * PAGE;
	uint64_t charged = s1.mem_used - s0.mem_used;
	printf("    %s: %lld taken, then %s; kernel took %llu KiB, %llu KiB "
	       "charged to us (quota %llu KiB)\n",
	       mode, (long long)*count, err_name(*why),
	       (unsigned long long)(taken >> 10),
	       (unsigned long long)(charged >> 10),
	       (unsigned long long)(quota >> 10));
	if (!done)
		return ERR_TIMED_OUT;
	if (s0.frames_free > s1.frames_free && taken > charged + SLAB_SLACK)
		return ERR_NO_MEMORY; /* the kernel spent uncharged memory */
	uint64_t back = used_settles(s0.mem_used);
	if (back != s0.mem_used) {
		printf("    quota use %llu, was %llu\n",
		       (unsigned long long)back,
		       (unsigned long long)s0.mem_used);
		return ERR_BAD_STATE; /* quota not back */
	}
	return 0;
}

#define EXHAUST_TEST(name, mode, quota, lo, hi, err)                           \
	GTEST(quota_exhaust_##name)                                            \
	{                                                                      \
		int64_t n = -1, why = 0;                                       \
		GCHECK_OK(run_exhaust(mode, quota, &n, &why));                 \
		GCHECK_ERR(why, err);                                          \
		GCHECK(n >= (lo) && n <= (hi));                                \
	}

/* The child's page tables, stack and heap come out of its quota too
 * (about 44 KiB). The bounds are what the quota or the per-task limits
 * allow; with a small quota every kernel object runs into the memory
 * quota long before the 1,024 handles. */
EXHAUST_TEST(mem, "mem", 256ull << 10, 8, 64, ERR_NO_MEMORY)
EXHAUST_TEST(handles, "handles", 256ull << 10, 1000, 1024, ERR_NO_RESOURCES)
EXHAUST_TEST(handle_table_memory, "handles", 48ull << 10, 16, 1000,
	     ERR_NO_MEMORY)
EXHAUST_TEST(threads, "threads", 4ull << 20, 63, 63,
	     ERR_NO_RESOURCES) /* TASK_THREAD_QUOTA - 1 */
EXHAUST_TEST(thread_memory, "threads", 160ull << 10, 1, 10, ERR_NO_MEMORY)
EXHAUST_TEST(ports, "ports", 96ull << 10, 10, 400, ERR_NO_MEMORY)
EXHAUST_TEST(msgs, "msgs", 256ull << 10, 4, 31, ERR_NO_MEMORY) /* 8 KiB */
EXHAUST_TEST(notifs, "notifs", 96ull << 10, 10, 1000, ERR_NO_MEMORY)
/* Review findings: page tables made by vm_protect were not charged (a
 * 1 MiB child got ~128 MiB of them); unmapping a whole mapping needed
 * free quota for spare records. */
EXHAUST_TEST(page_tables, "tables", 256ull << 10, 4, 40, ERR_NO_MEMORY)
EXHAUST_TEST(reservations_then_unmap, "resv", 96ull << 10, 10, 1500,
	     ERR_NO_MEMORY)

/* A child with a one-page quota: its root table takes it all, so nothing
 * more is ever charged to it, and the kernel spends no more than what we
 * were charged for it. */
GTEST(quota_one_page_child_is_bounded)
{
	struct kernel_stats s0, s1;
	handle_t t, th;
	stats(&s0);
	GCHECK_OK(sys_task_create(g_self(), "one", 3, PAGE, &t));
	struct vm_map_req req = {.len = PAGE, .prot = VM_PROT_READ};
	uint64_t a;
	long rmap = sys_vm_map(t, HANDLE_INVALID, &req, &a);
	long rth = sys_thread_create(t, "t", 1, &th); /* charged to us */
	int given = 0;
	long rgive = 0;
	for (int i = 0; i < 64 && rgive >= 0; i++) {
		handle_t d = g_dup(g_console(), RIGHT_SAME), in;
		rgive = sys_task_give_handle(t, d, RIGHT_SAME, &in);
		if (rgive < 0)
			sys_handle_close(d);
		else
			given++;
	}
	stats(&s1);
	if (rth >= 0)
		sys_handle_close(th);
	sys_task_kill(t, 0);
	sys_object_wait(t, DEADLINE_NONE, NULL);
	sys_handle_close(t);
	uint64_t taken = (s0.frames_free - s1.frames_free) * PAGE;
	uint64_t charged = s1.mem_used - s0.mem_used;
	printf("    one-page child: %d handles given; kernel took %llu KiB, "
	       "%llu KiB charged to us\n",
	       given, (unsigned long long)(taken >> 10),
	       (unsigned long long)(charged >> 10));
	GCHECK_ERR(rmap, ERR_NO_MEMORY);
	GCHECK_OK(rth);
	GCHECK_EQ(given, 16); /* the first table is paid for at creation */
	GCHECK_ERR(rgive, ERR_NO_MEMORY);
	/* Quota, task record, one thread (stack and record): */
	GCHECK(charged <= PAGE + 4 * PAGE + 6 * PAGE);
	GCHECK(s0.frames_free <= s1.frames_free ||
	       taken <= charged + SLAB_SLACK);
	GCHECK_EQ(used_settles(s0.mem_used), s0.mem_used);
}

/* Short-lived children each leave a memory object behind with us: their
 * accounts live on, retired (docs/tasks.md "Retirement"): each keeps
 * only what the object holds charged to us, not its whole quota, until
 * the object goes. No quota is ever counted twice. */
GTEST(quota_orphaned_vmo_stays_charged)
{
	enum { N = 4 };
	const uint64_t quota = 1ull << 20;
	handle_t r, s, v[N];
	struct kernel_stats s0, s1;
	int got = 0;
	stats(&s0);
	GCHECK_OK(sys_port_create(0, &r, &s));
	long err = 0;
	uint64_t magic = 0;
	for (int i = 0; i < N && !err; i++) {
		struct child c;
		int64_t st = -1;
		handle_t sd = g_dup(s, RIGHT_SAME);
		err = g_spawn_ex(CHILD_QUOTA_PROG, "give:@", quota, 0, sd,
				 RIGHT_SAME, &c);
		if (err < 0) {
			sys_handle_close(sd);
			break;
		}
		g_reap(&c, 5000 * MS, &st);
		struct port_rx rx = {
			.buf = &magic, .cap = 8, .handles = &v[i], .hcap = 1};
		if (st != 0 || (err = sys_port_recv(r, &rx, DEADLINE_POLL)) < 0)
			err = err ? err : -1;
		else
			got++;
		stats(&s1);
		if (!err && (s1.accounts != s0.accounts + (uint64_t)got ||
			     s1.mem_used < s0.mem_used + got * QS_GIVE_SIZE ||
			     s1.mem_used >= s0.mem_used + got * quota / 2))
			err = ERR_BAD_STATE;
	}
	printf("    %d orphans: %llu accounts more, %llu KiB charged to us\n",
	       got, (unsigned long long)(s1.accounts - s0.accounts),
	       (unsigned long long)((s1.mem_used - s0.mem_used) >> 10));
	uint64_t m = 0;
	long rr = got ? sys_vmo_read(v[got - 1], &m, 0, 8) : -1;
	for (int i = 0; i < got; i++)
		sys_handle_close(v[i]);
	sys_handle_close(s);
	sys_handle_close(r);
	GCHECK_OK(err);
	GCHECK_EQ(got, N);
	GCHECK_OK(rr);
	GCHECK_EQ(m, QS_MAGIC);
	GCHECK_EQ(used_settles(s0.mem_used), s0.mem_used);
	stats(&s1);
	GCHECK_EQ(s1.accounts, s0.accounts);
}

/* A 64 GiB object is refused before the kernel allocates anything. */
GTEST(quota_vmo_create_huge_fails_fast)
{
	struct kernel_stats s0, s1;
	handle_t v;
	stats(&s0);
	uint64_t t0 = g_now();
	long r = sys_vmo_create(64ull << 30, &v);
	uint64_t dt = g_now() - t0;
	stats(&s1);
	if (r == 0)
		sys_handle_close(v);
	printf("    64 GiB vmo_create: %s in %llu us\n", err_name(r),
	       (unsigned long long)(dt / 1000));
	GCHECK_ERR(r, ERR_NO_MEMORY);
	GCHECK_EQ(s1.frames_free, s0.frames_free);
	GCHECK_EQ(s1.slab_objects, s0.slab_objects);
	GCHECK_EQ(s1.mem_used, s0.mem_used);
	GCHECK(dt < 20 * MS);
}

/* ---- under -icount (timing_*): the others' deadlines ---- */

#define DL_JOBS 1000

static int64_t dl_job(uint64_t arg)
{
	(void)arg;
	for (int i = 0; i < DL_JOBS; i++) {
		g_spin(200000); /* 200 us of a 300 us budget per 1 ms */
		sys_yield();
	}
	return 0;
}

/* While children exhaust messages, threads and CPU time (9 spinning
 * threads under a 20% task quota), a 1 kHz DL thread of ours meets every
 * deadline and we can still create objects. */
GTEST(timing_quota_exhaustion_spares_deadlines)
{
	GCHECK_OK(g_set_rt(execrt_handle(START_H_SELF_THREAD), 99, 0, 0));
	struct child c[3];
	handle_t v[3];
	static const char *const modes[3] = {"cpu", "msgs", "threads"};
	static const uint64_t quotas[3] = {1ull << 20, 256ull << 10,
					   4ull << 20};
	int n = 0;
	long err = 0;
	for (; n < 3 && !err; n++)
		if ((err = spawn_q(modes[n], quotas[n], &c[n], &v[n])) < 0)
			break;
	if (!err)
		err = sys_task_set_cpu_quota(g_sched(), c[0].task, 20 * MS,
					     100 * MS);
	struct gthread dl;
	struct sched_params p = g_dl(300000, MS, MS);
	if (!err)
		err = gthread_start_sched(&dl, dl_job, 0, &p);
	struct sched_thread_stats s = {0};
	long jerr = -1, rcreate = -1;
	int64_t cnt[3] = {0}, why[3] = {0};
	bool done[3] = {false};
	if (!err) {
		for (int i = 0; i < n; i++)
			done[i] = wait_done(v[i], &cnt[i], &why[i]);
		handle_t x;
		if ((rcreate = sys_vmo_create(PAGE, &x)) == 0)
			sys_handle_close(x);
		jerr = sys_object_wait(dl.h, g_now() + 10000 * MS, NULL);
		g_thread_stats(dl.h, &s);
		gthread_join(&dl, g_now() + 1000 * MS, NULL);
	}
	for (int i = 0; i < n; i++)
		kill_q(&c[i], v[i]);
	GCHECK_OK(g_set_be(execrt_handle(START_H_SELF_THREAD), 0));
	printf("    DL 1 kHz beside exhausting children: %llu met, %llu "
	       "missed, max release latency %llu us; children: %lld spinners, "
	       "%lld messages (%s), %lld threads (%s)\n",
	       (unsigned long long)s.dl_met, (unsigned long long)s.dl_missed,
	       (unsigned long long)(s.lat_max_ns / 1000), (long long)cnt[0],
	       (long long)cnt[1], err_name(why[1]), (long long)cnt[2],
	       err_name(why[2]));
	GCHECK_OK(err);
	GCHECK_OK(jerr);
	GCHECK_OK(rcreate);
	GCHECK(done[0] && done[1] && done[2]);
	GCHECK_EQ(cnt[0], QS_SPINNERS);
	GCHECK_ERR(why[1], ERR_NO_MEMORY);
	GCHECK_ERR(why[2], ERR_NO_RESOURCES);
	GCHECK_EQ(s.dl_missed, 0);
	GCHECK(s.dl_met >= DL_JOBS - 1);
	GCHECK(s.lat_max_ns < 200000);
}

/* Chains of objects that each hold their parent (tasks, derived
 * scheduling authorities) are freed in a loop when the last one goes,
 * however deep: a recursive free would run off the kernel stack. */
GTEST(quota_deep_authority_chain_is_freed)
{
	enum { DEPTH = 3000 };
	struct sched_auth_limits lim = {
		.classes = SCHED_CLASS_MASK(SCHED_CLASS_BE)};
	struct kernel_stats s0, s1;
	stats(&s0);
	handle_t cur = g_sched(), next;
	long r = 0;
	int n = 0;
	for (; n < DEPTH && !(r = sys_sched_auth_derive(cur, &lim, &next));
	     n++) {
		if (cur != g_sched())
			sys_handle_close(cur);
		cur = next;
	}
	stats(&s1);
	if (cur != g_sched())
		sys_handle_close(cur); /* frees the whole chain */
	GCHECK_OK(r);
	GCHECK_EQ(n, DEPTH);
	GCHECK(s1.mem_used > s0.mem_used); /* each one was charged */
	GCHECK_EQ(used_settles(s0.mem_used), s0.mem_used);
}
