/* Notifications: signal ORs bits in, wait returns and clears the bits of
 * its mask; poll, timeout, cross-thread wake, rights; and the
 * signal-to-wake latency figure. */
#include "gtest.h"
#include "gutil.h"

#define RIGHTS_NOTIF_ALL                                                       \
	(RIGHT_SIGNAL | RIGHT_WAIT | RIGHT_DUPLICATE | RIGHT_TRANSFER)

GTEST(notif_create_rights)
{
	handle_t n;
	struct handle_info info;
	GCHECK_OK(sys_notif_create(&n));
	GCHECK_OK(sys_handle_info(n, &info));
	GCHECK_OK(sys_handle_close(n));
	GCHECK_EQ(info.type, OBJ_NOTIFICATION);
	GCHECK_EQ(info.rights, RIGHTS_NOTIF_ALL);
	GCHECK_ERR(sys_notif_create((handle_t *)KERNEL_PTR), ERR_FAULT);
	GCHECK_ERR(sys_notif_create(NULL), ERR_FAULT);
}

GTEST(notif_wait_returns_and_clears_mask_bits)
{
	handle_t n;
	uint64_t bits = 0, b2 = 0, b3 = 0;
	GCHECK_OK(sys_notif_create(&n));
	long s1 = sys_notif_signal(n, 0x5);
	long s2 = sys_notif_signal(n, 0x100);
	long w1 = sys_notif_wait(n, 0x1, DEADLINE_POLL, &bits);
	long w2 = sys_notif_wait(n, 0xff, DEADLINE_POLL, &b2);
	long w3 = sys_notif_wait(n, 0xff, DEADLINE_POLL, &b3);
	long w4 = sys_notif_wait(n, ~0ull, DEADLINE_POLL, &b3);
	long w5 = sys_notif_wait(n, ~0ull, DEADLINE_POLL, &b3);
	GCHECK_OK(sys_handle_close(n));
	GCHECK_OK(s1);
	GCHECK_OK(s2);
	GCHECK_OK(w1);
	GCHECK_EQ(bits, 0x1);
	GCHECK_OK(w2);
	GCHECK_EQ(b2, 0x4);
	GCHECK_ERR(w3, ERR_SHOULD_WAIT);
	GCHECK_OK(w4);
	GCHECK_EQ(b3, 0x100);
	GCHECK_ERR(w5, ERR_SHOULD_WAIT);
}

GTEST(notif_bad_args_and_rights)
{
	handle_t n, sig_only, wait_only;
	uint64_t bits = 0;
	GCHECK_OK(sys_notif_create(&n));
	sig_only = g_dup(n, RIGHT_SIGNAL);
	wait_only = g_dup(n, RIGHT_WAIT);
	long e_mask = sys_notif_wait(n, 0, DEADLINE_POLL, &bits);
	long e_bits = sys_notif_signal(n, 0);
	long e_wait = sys_notif_wait(sig_only, 1, DEADLINE_POLL, &bits);
	long e_sig = sys_notif_signal(wait_only, 1);
	long ok_sig = sys_notif_signal(sig_only, 0x10);
	/* A bad out pointer: ERR_FAULT and the bits stay pending. */
	long e_fault =
		sys_notif_wait(n, 0x10, DEADLINE_POLL, (uint64_t *)KERNEL_PTR);
	long ok_wait = sys_notif_wait(wait_only, 0x10, DEADLINE_POLL, &bits);
	long e_type_s = sys_notif_signal(g_self(), 1);
	long e_type_w = sys_notif_wait(g_console(), 1, DEADLINE_POLL, &bits);
	GCHECK_OK(sys_handle_close(sig_only));
	GCHECK_OK(sys_handle_close(wait_only));
	GCHECK_OK(sys_handle_close(n));
	GCHECK(sig_only != HANDLE_INVALID && wait_only != HANDLE_INVALID);
	GCHECK_ERR(e_mask, ERR_INVALID_ARGS);
	GCHECK_ERR(e_bits, ERR_INVALID_ARGS);
	GCHECK_ERR(e_wait, ERR_ACCESS_DENIED);
	GCHECK_ERR(e_sig, ERR_ACCESS_DENIED);
	GCHECK_OK(ok_sig);
	GCHECK_ERR(e_fault, ERR_FAULT);
	GCHECK_OK(ok_wait);
	GCHECK_EQ(bits, 0x10);
	GCHECK_ERR(e_type_s, ERR_WRONG_TYPE);
	GCHECK_ERR(e_type_w, ERR_WRONG_TYPE);
	GCHECK_ERR(sys_notif_signal(n, 1), ERR_BAD_HANDLE);
	GCHECK_ERR(sys_notif_wait(n, 1, DEADLINE_POLL, &bits), ERR_BAD_HANDLE);
}

GTEST(notif_wait_times_out)
{
	handle_t n;
	uint64_t bits = 0;
	GCHECK_OK(sys_notif_create(&n));
	GCHECK_OK(sys_notif_signal(n, 0x2)); /* not in the mask */
	uint64_t t0 = g_now();
	long r = sys_notif_wait(n, 0x1, t0 + 20 * MS, &bits);
	uint64_t waited = g_now() - t0;
	long r2 = sys_notif_wait(n, 0x1, t0 - 1, &bits); /* past deadline */
	long r3 = sys_notif_wait(n, 0x3, DEADLINE_POLL, &bits);
	GCHECK_OK(sys_handle_close(n));
	GCHECK_ERR(r, ERR_TIMED_OUT);
	GCHECK(waited >= 20 * MS);
	GCHECK(waited < 500 * MS);
	GCHECK_ERR(r2, ERR_TIMED_OUT);
	GCHECK_OK(r3);
	GCHECK_EQ(bits, 0x2);
}

static int64_t signal_later(uint64_t h)
{
	sys_sleep_until(g_now() + 20 * MS);
	sys_notif_signal((handle_t)h, 0x8001);
	return 0;
}

GTEST(notif_signal_from_thread_wakes_waiter)
{
	handle_t n;
	uint64_t bits = 0, rest = 0;
	struct gthread t;
	GCHECK_OK(sys_notif_create(&n));
	GCHECK_OK(gthread_start(&t, signal_later, n));
	uint64_t t0 = g_now();
	long r = sys_notif_wait(n, 0x1, t0 + 2000 * MS, &bits);
	uint64_t waited = g_now() - t0;
	long r2 = sys_notif_wait(n, ~0ull, DEADLINE_POLL, &rest);
	GCHECK_OK(gthread_join(&t, DEADLINE_NONE, NULL));
	GCHECK_OK(sys_handle_close(n));
	GCHECK_OK(r);
	GCHECK_EQ(bits, 0x1); /* only the mask's bits... */
	GCHECK_OK(r2);
	GCHECK_EQ(rest, 0x8000); /* ...the rest stay pending */
	GCHECK(waited >= 15 * MS);
	GCHECK(waited < 1000 * MS);
}

/* Two waiters with disjoint masks each get their own bits. */
static int64_t wait_bit(uint64_t arg)
{
	handle_t h = (handle_t)(arg >> 8);
	uint64_t bits = 0;
	long r = sys_notif_wait(h, 1ull << (arg & 0x3f), g_now() + 2000 * MS,
				&bits);
	return r ? r : (int64_t)bits;
}

GTEST(notif_two_waiters_disjoint_masks)
{
	handle_t n;
	struct gthread a, b;
	int64_t sa = -1, sb = -1;
	GCHECK_OK(sys_notif_create(&n));
	GCHECK_OK(gthread_start(&a, wait_bit, ((uint64_t)n << 8) | 3));
	GCHECK_OK(gthread_start(&b, wait_bit, ((uint64_t)n << 8) | 5));
	sys_sleep_until(g_now() + 10 * MS);
	GCHECK_OK(sys_notif_signal(n, (1u << 5) | (1u << 3)));
	GCHECK_OK(gthread_join(&a, DEADLINE_NONE, &sa));
	GCHECK_OK(gthread_join(&b, DEADLINE_NONE, &sb));
	GCHECK_OK(sys_handle_close(n));
	GCHECK_EQ(sa, 1 << 3);
	GCHECK_EQ(sb, 1 << 5);
}

/* Latency: the signaller stamps the TSC just before signalling; the waiter
 * reads it right after waking and answers on a second notification. */
#define BENCH_N 1000
static volatile uint64_t stamp;
static uint64_t deltas[BENCH_N];
static handle_t bench_ping, bench_pong;

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static int64_t bench_waiter(uint64_t arg)
{
	(void)arg;
	for (int i = 0; i < BENCH_N; i++) {
		uint64_t bits;
		if (sys_notif_wait(bench_ping, 1, DEADLINE_NONE, &bits))
			return -1;
		deltas[i] = rdtsc() - stamp;
		sys_notif_signal(bench_pong, 1);
	}
	return 0;
}

GTEST(notif_bench_signal_to_wake)
{
	struct gthread t;
	int64_t st = -1;
	GCHECK_OK(sys_notif_create(&bench_ping));
	GCHECK_OK(sys_notif_create(&bench_pong));
	GCHECK_OK(gthread_start(&t, bench_waiter, 0));
	long err = 0;
	for (int i = 0; i < BENCH_N && !err; i++) {
		uint64_t bits;
		stamp = rdtsc();
		err = sys_notif_signal(bench_ping, 1);
		if (!err)
			err = sys_notif_wait(bench_pong, 1, g_now() + 2000 * MS,
					     &bits);
	}
	GCHECK_OK(gthread_join(&t, g_now() + 2000 * MS, &st));
	GCHECK_OK(sys_handle_close(bench_ping));
	GCHECK_OK(sys_handle_close(bench_pong));
	GCHECK_OK(err);
	GCHECK_EQ(st, 0);
	for (int i = 1; i < BENCH_N; i++) /* insertion sort */
		for (int j = i; j > 0 && deltas[j - 1] > deltas[j]; j--) {
			uint64_t x = deltas[j];
			deltas[j] = deltas[j - 1];
			deltas[j - 1] = x;
		}
	printf("    bench: notification signal-to-wake median %llu TSC cycles "
	       "(p10 %llu, p90 %llu, N=%d)\n",
	       (unsigned long long)deltas[BENCH_N / 2],
	       (unsigned long long)deltas[BENCH_N / 10],
	       (unsigned long long)deltas[BENCH_N * 9 / 10], BENCH_N);
}
