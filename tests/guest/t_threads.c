/* Threads: create/start/exit/wait, thread-local storage per thread,
 * priorities, bad input. */
#include <string.h>

#include "gtest.h"
#include "gutil.h"

#define NT 4

static __thread int tls_init = 5; /* from the TLS image */
static __thread long tls_zero;	  /* .tbss */

static int64_t ret_triple(uint64_t arg)
{
	return (int64_t)(arg * 3);
}

GTEST(thread_start_exit_wait)
{
	struct gthread t;
	int64_t st = 0;
	GCHECK_OK(gthread_start(&t, ret_triple, 14));
	GCHECK_OK(gthread_join(&t, g_now() + 2000 * MS, &st));
	GCHECK_EQ(st, 42);
}

static int64_t ret_negative(uint64_t arg)
{
	return -(int64_t)arg;
}

GTEST(thread_exit_status_negative)
{
	struct gthread t;
	int64_t st = 0;
	GCHECK_OK(gthread_start(&t, ret_negative, 12345));
	GCHECK_OK(gthread_join(&t, g_now() + 2000 * MS, &st));
	GCHECK_EQ(st, -12345);
}

static struct {
	uint64_t addr, tp;
	int init_seen;
	long zero_seen;
} tls_seen[NT];

/* Status 0 when this thread's variables stayed its own. */
static int64_t tls_worker(uint64_t i)
{
	tls_seen[i].init_seen = tls_init;
	tls_seen[i].zero_seen = tls_zero;
	tls_seen[i].addr = (uint64_t)&tls_init;
	tls_seen[i].tp = g_tp();
	tls_init = 100 + (int)i;
	tls_zero = (long)i;
	for (int k = 0; k < 20; k++) {
		sys_yield();
		if (tls_init != 100 + (int)i || tls_zero != (long)i)
			return 1;
	}
	return 0;
}

GTEST(thread_tls_distinct)
{
	struct gthread t[NT];
	int64_t st[NT];
	tls_init = 7;
	for (unsigned i = 0; i < NT; i++)
		GCHECK_OK(gthread_start(&t[i], tls_worker, i));
	for (unsigned i = 0; i < NT; i++)
		GCHECK_OK(gthread_join(&t[i], g_now() + 5000 * MS, &st[i]));
	GCHECK_EQ(tls_init, 7);
	uint64_t off = (uint64_t)&tls_init - g_tp();
	for (unsigned i = 0; i < NT; i++) {
		GCHECK_EQ(st[i], 0);
		GCHECK_EQ(tls_seen[i].init_seen, 5);
		GCHECK_EQ(tls_seen[i].zero_seen, 0);
		GCHECK(tls_seen[i].addr != (uint64_t)&tls_init);
		GCHECK_EQ(tls_seen[i].addr - tls_seen[i].tp, off);
		for (unsigned j = 0; j < i; j++)
			GCHECK(tls_seen[i].addr != tls_seen[j].addr);
	}
}

/* SYS_THREAD_SET_TLS changes only the caller's %fs. */
static int64_t tls_switch(uint64_t other)
{
	uint64_t mine = g_tp();
	if (sys_thread_set_tls(other) < 0)
		return 1;
	uint64_t seen;
	__asm__ __volatile__("mov %%fs:0, %0" : "=r"(seen));
	if (sys_thread_set_tls(mine) < 0)
		return 2;
	return seen == other ? 0 : 3;
}

GTEST(thread_set_tls)
{
	uint64_t *blk = g_map(PAGE);
	GCHECK(blk);
	blk[0] = (uint64_t)blk; /* a self pointer, as a TCB has */
	blk[5] = 0;
	struct gthread t;
	int64_t st = -1;
	uint64_t main_tp = g_tp();
	long r = gthread_start(&t, tls_switch, (uint64_t)blk);
	if (r == 0)
		r = gthread_join(&t, g_now() + 2000 * MS, &st);
	g_unmap(blk, PAGE);
	GCHECK_OK(r);
	GCHECK_EQ(st, 0);
	GCHECK_EQ(g_tp(), main_tp);
	/* A non-canonical base would fault the kernel's return path. */
	GCHECK_ERR(sys_thread_set_tls(NONCANON_PTR), ERR_INVALID_ARGS);
	GCHECK_ERR(sys_thread_set_tls(0x0000800000000000ull), ERR_INVALID_ARGS);
	GCHECK_EQ(g_tp(), main_tp);
}

static volatile uint64_t counter;

static int64_t bump(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		__atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED);
		if (i % 16 == 0)
			sys_yield();
	}
	return (int64_t)n;
}

GTEST(thread_many)
{
	enum { N = 8 };
	struct gthread t[N];
	int64_t st;
	counter = 0;
	for (unsigned i = 0; i < N; i++)
		GCHECK_OK(gthread_start(&t[i], bump, 100 + i));
	for (unsigned i = 0; i < N; i++) {
		GCHECK_OK(gthread_join(&t[i], g_now() + 5000 * MS, &st));
		GCHECK_EQ(st, 100 + i);
	}
	GCHECK_EQ(counter, N * 100 + N * (N - 1) / 2);
}

static int64_t sleeper(uint64_t ms)
{
	sys_sleep_until(g_now() + ms * MS);
	return 0;
}

GTEST(thread_start_twice)
{
	struct gthread t;
	GCHECK_OK(gthread_start(&t, sleeper, 20));
	long r = sys_thread_start(t.h, 0x400000, t.map + PAGE, 0);
	GCHECK_OK(gthread_join(&t, DEADLINE_NONE, NULL));
	GCHECK_ERR(r, ERR_BAD_STATE);
}

GTEST(thread_create_bad_input)
{
	handle_t h, v;
	GCHECK_ERR(sys_thread_create(HANDLE_INVALID, "t", 1, &h),
		   ERR_BAD_HANDLE);
	GCHECK_OK(sys_vmo_create(PAGE, &v));
	long r = sys_thread_create(v, "t", 1, &h);
	sys_handle_close(v);
	GCHECK_ERR(r, ERR_WRONG_TYPE);
	handle_t weak = g_dup(g_self(), RIGHT_WAIT | RIGHT_DUPLICATE);
	r = sys_thread_create(weak, "t", 1, &h);
	sys_handle_close(weak);
	GCHECK_ERR(r, ERR_ACCESS_DENIED);
	GCHECK_ERR(sys_thread_create(g_self(), NULL, 4, &h), ERR_FAULT);
	GCHECK_ERR(sys_thread_create(g_self(), (const char *)KERNEL_PTR, 4, &h),
		   ERR_FAULT);
	/* No thread may be left behind by a failed copy-out. */
	GCHECK_ERR(sys_thread_create(g_self(), "t", 1, NULL), ERR_FAULT);
	GCHECK_ERR(sys_thread_create(g_self(), "t", 1, (handle_t *)&g_self),
		   ERR_FAULT);
}

/* Entry and stack must be user addresses; the thread stays startable. */
GTEST(thread_start_bad_addresses)
{
	handle_t h;
	uint64_t stk = 0x7f0000001000ull, code = 0x400000;
	GCHECK_OK(sys_thread_create(g_self(), "bad", 3, &h));
	long r[] = {
		sys_thread_start(h, KERNEL_PTR, stk, 0),
		sys_thread_start(h, NONCANON_PTR, stk, 0),
		sys_thread_start(h, code, KERNEL_PTR, 0),
		sys_thread_start(h, code, NONCANON_PTR, 0),
		sys_thread_start(h, USER_TOP, stk, 0),
	};
	/* Never started: closing the only handle frees the thread. */
	GCHECK_OK(sys_handle_close(h));
	for (unsigned i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		if (r[i] != ERR_INVALID_ARGS)
			printf("    start %u: %s\n", i, err_name(r[i]));
		GCHECK_ERR(r[i], ERR_INVALID_ARGS);
	}
	GCHECK_ERR(sys_thread_start(h, code, stk, 0), ERR_BAD_HANDLE);
}

GTEST(thread_sched_params)
{
	handle_t h;
	GCHECK_OK(sys_thread_create(g_self(), "prio", 4, &h));
	long r[] = {
		g_set_rt(h, SCHED_RT_PRIO_MIN, 0, 0),
		g_set_rt(h, SCHED_RT_PRIO_MAX, 1, 0),
		g_set_be(h, 0),
		g_set_rt(h, 0, 0, 0),
		g_set_rt(h, SCHED_RT_PRIO_MAX + 1, 0, 0),
		g_set_rt(h, UINT32_MAX, 0, 0),
	};
	struct sched_params got;
	long get = sys_sched_get(h, &got);
	handle_t weak = g_dup(h, RIGHT_WAIT | RIGHT_READ);
	struct sched_params be = {.cls = SCHED_CLASS_BE, .cpu = SCHED_CPU_KEEP};
	long denied = sys_sched_set(g_sched(), weak, &be);
	handle_t weak_auth = g_dup(g_sched(), RIGHT_READ);
	long denied2 = sys_sched_set(weak_auth, h, &be);
	sys_handle_close(weak_auth);
	sys_handle_close(weak);
	sys_handle_close(h);
	GCHECK_OK(r[0]);
	GCHECK_OK(r[1]);
	GCHECK_OK(r[2]);
	GCHECK_ERR(r[3], ERR_INVALID_ARGS);
	GCHECK_ERR(r[4], ERR_INVALID_ARGS);
	GCHECK_ERR(r[5], ERR_INVALID_ARGS);
	GCHECK_OK(get);
	GCHECK_EQ(got.cls, SCHED_CLASS_BE);
	GCHECK_EQ(got.weight, SCHED_BE_WEIGHT_DEFAULT);
	GCHECK_ERR(denied, ERR_ACCESS_DENIED);
	GCHECK_ERR(denied2, ERR_ACCESS_DENIED);
}

GTEST(thread_wait_bad_input)
{
	struct gthread t;
	int64_t st;
	GCHECK_OK(gthread_start(&t, ret_triple, 1));
	handle_t weak = g_dup(t.h, RIGHT_DUPLICATE);
	long denied = sys_object_wait(weak, DEADLINE_NONE, &st);
	sys_handle_close(weak);
	/* Ended: only the status pointer can be wrong now. */
	long ok = sys_object_wait(t.h, DEADLINE_NONE, &st);
	long f1 = sys_object_wait(t.h, DEADLINE_NONE, (int64_t *)KERNEL_PTR);
	long f2 = sys_object_wait(t.h, DEADLINE_NONE, (int64_t *)&g_self);
	GCHECK_OK(gthread_join(&t, DEADLINE_NONE, NULL));
	GCHECK_ERR(denied, ERR_ACCESS_DENIED);
	GCHECK_OK(ok);
	GCHECK_EQ(st, 3);
	GCHECK_ERR(f1, ERR_FAULT);
	GCHECK_ERR(f2, ERR_FAULT);
}

/* Threads of another task, created and started from here. */
static const uint8_t spin_code[] = {0xf3, 0x90, 0xeb, 0xfc}; /* pause; jmp */

GTEST(thread_in_other_task)
{
	handle_t task, th, vmo;
	int64_t st = 0;
	GCHECK_OK(sys_task_create(g_self(), "other", 5, 1 << 20, &task));
	GCHECK_OK(sys_vmo_create(PAGE, &vmo));
	GCHECK_OK(sys_vmo_write(vmo, spin_code, 0, sizeof(spin_code)));
	struct vm_map_req req = {.len = PAGE,
				 .prot = VM_PROT_READ | VM_PROT_EXEC};
	uint64_t code = 0;
	long r = sys_vm_map(task, vmo, &req, &code);
	sys_handle_close(vmo);
	struct vm_map_req sreq = {.len = PAGE,
				  .prot = VM_PROT_READ | VM_PROT_WRITE};
	uint64_t stack = 0;
	if (r == 0)
		r = sys_vm_map(task, HANDLE_INVALID, &sreq, &stack);
	if (r == 0)
		r = sys_thread_create(task, "spin", 4, &th);
	if (r == 0) {
		r = sys_thread_start(th, code, stack + PAGE - 8, 0);
		sys_handle_close(th);
	}
	long w = sys_object_wait(task, g_now() + 20 * MS, &st);
	sys_task_kill(task, 9);
	long k = sys_object_wait(task, DEADLINE_NONE, &st);
	sys_handle_close(task);
	GCHECK_OK(r);
	GCHECK_ERR(w, ERR_TIMED_OUT);
	GCHECK_OK(k);
	GCHECK_EQ(st, 9);
}
