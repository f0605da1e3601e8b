/* Grants (docs/ipc.md "## Grants"): zero-copy sharing in both directions,
 * read-only grants fault on write, the permission ceiling, revoke (a later
 * access is a fault report, not a kernel crash), bad input, and a map +
 * unmap benchmark. The harness leak-checks every test (objects, frames). */
#include <stdlib.h>
#include <string.h>

#include "gchild.h"
#include "gtest.h"
#include "gutil.h"

#define CHILD_GRANT "guest-child-grant"
#define WAIT_NS	    (5000 * MS)
#define RW	    (VM_PROT_READ | VM_PROT_WRITE)
#define RO	    VM_PROT_READ
/* What a receiver needs on its handle (no MANAGE: it cannot revoke). */
#define RX_RIGHTS (RIGHT_READ | RIGHT_WRITE | RIGHT_MAP | RIGHT_TRANSFER)

/* Giving a handle moves it: the child gets a duplicate (rights as given),
 * the creator keeps its own. */
static long spawn_with(const char *args, int handler, handle_t g,
		       uint32_t rights, struct child *c)
{
	handle_t d = g_dup(g, RIGHT_SAME);
	if (d == HANDLE_INVALID)
		return ERR_NO_RESOURCES;
	long r = g_spawn_ex(CHILD_GRANT, args, CHILD_QUOTA, handler, d, rights,
			    c);
	if (r < 0)
		sys_handle_close(d);
	return r;
}

/* Two mappings of one page in this task: a write through either is seen
 * through the other, both ways, without a copy. */
GTEST(grant_zero_copy_in_task)
{
	volatile uint64_t *a = g_map(PAGE);
	handle_t g;
	uint64_t b_addr = 0;
	GCHECK_OK(sys_grant_create(g_self(), (uint64_t)a, PAGE, RW, &g));
	GCHECK_OK(sys_grant_map(g_self(), g, RW, 0, &b_addr));
	volatile uint64_t *b = (volatile uint64_t *)b_addr;
	GCHECK(b != a);
	a[0] = 0x1234;
	GCHECK_EQ(b[0], 0x1234);
	b[511] = 0x5678;
	GCHECK_EQ(a[511], 0x5678);
	/* A read-only second view of the same frame sees later writes. */
	uint64_t c_addr = 0;
	GCHECK_OK(sys_grant_map(g_self(), g, RO, 0, &c_addr));
	a[1] = 77;
	GCHECK_EQ(((volatile uint64_t *)c_addr)[1], 77);
	GCHECK_OK(sys_grant_unmap(g_self(), c_addr));
	GCHECK_OK(sys_grant_unmap(g_self(), b_addr));
	GCHECK_ERR(sys_grant_unmap(g_self(), b_addr), ERR_NOT_FOUND);
	GCHECK_OK(sys_handle_close(g));
	g_unmap((void *)a, PAGE);
}

/* A grant of fresh memory (addr 0), mapped twice; the mappings outlive
 * the handle, and the memory goes with the last of them. */
GTEST(grant_fresh_memory)
{
	handle_t g;
	uint64_t x = 0, y = 0;
	GCHECK_OK(sys_grant_create(g_self(), 0, 4 * PAGE, RW, &g));
	GCHECK_OK(sys_grant_map(g_self(), g, RW, 0, &x));
	GCHECK_OK(sys_grant_map(g_self(), g, RO, 0, &y));
	volatile uint8_t *px = (volatile uint8_t *)x;
	volatile uint8_t *py = (volatile uint8_t *)y;
	GCHECK_EQ(py[3 * PAGE + 5], 0); /* zeroed */
	px[3 * PAGE + 5] = 0xab;
	GCHECK_EQ(py[3 * PAGE + 5], 0xab);
	GCHECK_OK(sys_handle_close(g));
	GCHECK_EQ(px[3 * PAGE + 5], 0xab);
	GCHECK_OK(sys_grant_unmap(g_self(), x));
	/* Plain unmap of the whole mapping works too. */
	GCHECK_OK(sys_vm_unmap(g_self(), y, 4 * PAGE));
	GCHECK_ERR(sys_grant_unmap(g_self(), y), ERR_NOT_FOUND);
}

/* Parent -> child and child -> parent through one page, no copy. */
GTEST(grant_zero_copy_with_child)
{
	volatile uint64_t *p = g_map(PAGE);
	p[0] = GRANT_MAGIC_P;
	handle_t g;
	GCHECK_OK(sys_grant_create(g_self(), (uint64_t)p, PAGE, RW, &g));
	struct child c;
	int64_t st = -1;
	GCHECK_OK(spawn_with("rw @", 0, g, RX_RIGHTS, &c));
	GCHECK_OK(g_reap(&c, WAIT_NS, &st));
	GCHECK_EQ(st, 0);
	GCHECK_EQ(p[1], GRANT_MAGIC_C);
	GCHECK_OK(sys_handle_close(g));
	g_unmap((void *)p, PAGE);
}

/* A read-only grant: mapping it writable is refused, and a write through
 * the read-only mapping faults (no handler: the child just ends). */
GTEST(grant_read_only_write_faults)
{
	volatile uint64_t *p = g_map(PAGE);
	p[0] = GRANT_MAGIC_P;
	handle_t g;
	GCHECK_OK(sys_grant_create(g_self(), (uint64_t)p, PAGE, RO, &g));
	struct child c;
	int64_t st = -1;
	GCHECK_OK(spawn_with("ro @", 0, g, RIGHT_READ | RIGHT_MAP, &c));
	GCHECK_OK(g_reap(&c, WAIT_NS, &st));
	GCHECK(st < 100 || st > 255); /* not one of its own exit codes */
	GCHECK_EQ(p[1], 0);
	GCHECK_OK(sys_handle_close(g));
	g_unmap((void *)p, PAGE);
}

/* Revoke while the child has it mapped: its next access is a page-fault
 * report at the revoked address; the kernel carries on. */
GTEST(grant_revoke_while_mapped)
{
	volatile uint64_t *p = g_map(PAGE);
	p[0] = GRANT_MAGIC_P;
	handle_t g;
	GCHECK_OK(sys_grant_create(g_self(), (uint64_t)p, PAGE, RW, &g));
	/* A mapping in this task too: revoke removes every one. */
	uint64_t mine = 0;
	GCHECK_OK(sys_grant_map(g_self(), g, RW, 0, &mine));
	struct child c;
	GCHECK_OK(spawn_with("wait @", 1, g, RX_RIGHTS, &c));
	uint64_t end = g_now() + WAIT_NS;
	while (p[1] != GRANT_MAGIC_C && g_now() < end)
		sys_sleep_until(g_now() + MS);
	long ready = p[1] == GRANT_MAGIC_C;
	uint64_t child_addr = p[2];
	GCHECK_OK(sys_grant_revoke(g));
	struct fault_report rep;
	memset(&rep, 0, sizeof(rep));
	long w = sys_fault_wait(c.task, g_now() + WAIT_NS, &rep);
	g_reap(&c, 0, NULL);
	GCHECK(ready);
	GCHECK_OK(w);
	GCHECK_EQ(rep.vector, 14);
	GCHECK_EQ(rep.addr & ~(PAGE - 1), child_addr);
	/* Gone here too; the creator's own pages stay. */
	GCHECK_ERR(sys_grant_unmap(g_self(), mine), ERR_NOT_FOUND);
	GCHECK_EQ(p[0], GRANT_MAGIC_P);
	uint64_t again = 0;
	GCHECK_ERR(sys_grant_map(g_self(), g, RO, 0, &again), ERR_BAD_STATE);
	GCHECK_OK(sys_grant_revoke(g)); /* twice is fine */
	GCHECK_OK(sys_handle_close(g));
	g_unmap((void *)p, PAGE);
}

/* A child that dies with a grant mapped leaves nothing behind, and the
 * grant can still be revoked afterwards. */
GTEST(grant_receiver_dies_mapped)
{
	volatile uint64_t *p = g_map(PAGE);
	p[0] = GRANT_MAGIC_P;
	handle_t g;
	GCHECK_OK(sys_grant_create(g_self(), (uint64_t)p, PAGE, RW, &g));
	struct child c;
	GCHECK_OK(spawn_with("wait @", 0, g, RX_RIGHTS, &c));
	uint64_t end = g_now() + WAIT_NS;
	while (p[1] != GRANT_MAGIC_C && g_now() < end)
		sys_sleep_until(g_now() + MS);
	GCHECK_EQ(p[1], GRANT_MAGIC_C);
	GCHECK_OK(sys_task_kill(c.task, -1));
	g_reap(&c, WAIT_NS, NULL);
	GCHECK_OK(sys_grant_revoke(g));
	GCHECK_OK(sys_handle_close(g));
	g_unmap((void *)p, PAGE);
}

/* Permissions: never wider than the source mapping, the grant or the
 * handle; revoking needs MANAGE. */
GTEST(grant_permission_ceiling)
{
	uint8_t *p = g_map(2 * PAGE);
	handle_t self = g_self(), rw, ro;
	uint64_t a = 0;
	GCHECK_OK(sys_vm_protect(self, (uint64_t)p + PAGE, PAGE, RO));
	GCHECK_ERR(sys_grant_create(self, (uint64_t)p + PAGE, PAGE, RW, &ro),
		   ERR_ACCESS_DENIED);
	GCHECK_ERR(sys_grant_create(self, (uint64_t)p, 2 * PAGE, RO, &ro),
		   ERR_NOT_FOUND); /* two mappings now */
	GCHECK_OK(sys_grant_create(self, (uint64_t)p + PAGE, PAGE, RO, &ro));
	GCHECK_ERR(sys_grant_map(self, ro, RW, 0, &a), ERR_ACCESS_DENIED);
	GCHECK_OK(sys_grant_create(self, (uint64_t)p, PAGE, RW, &rw));
	handle_t weak = g_dup(rw, RIGHT_READ | RIGHT_MAP);
	GCHECK(weak != HANDLE_INVALID);
	GCHECK_ERR(sys_grant_map(self, weak, RW, 0, &a), ERR_ACCESS_DENIED);
	GCHECK_ERR(sys_grant_revoke(weak), ERR_ACCESS_DENIED);
	GCHECK_OK(sys_grant_map(self, weak, RO, 0, &a));
	/* A read-only mapping cannot be protected writable later. */
	GCHECK_ERR(sys_vm_protect(self, a, PAGE, RW), ERR_ACCESS_DENIED);
	/* A grant mapping cannot be granted again (revoke stays complete). */
	handle_t again;
	GCHECK_ERR(sys_grant_create(self, a, PAGE, RO, &again),
		   ERR_ACCESS_DENIED);
	GCHECK_OK(sys_grant_revoke(rw));
	GCHECK_ERR(sys_grant_unmap(self, a), ERR_NOT_FOUND);
	GCHECK_OK(sys_handle_close(weak));
	GCHECK_OK(sys_handle_close(rw));
	GCHECK_OK(sys_handle_close(ro));
	g_unmap(p, 2 * PAGE);
}

GTEST(grant_bad_input)
{
	uint8_t *p = g_map(2 * PAGE);
	handle_t self = g_self(), g, v;
	uint64_t a = 0, u = (uint64_t)p;
	GCHECK_OK(sys_vmo_create(PAGE, &v));
	/* create */
	GCHECK_ERR(sys_grant_create(HANDLE_INVALID, u, PAGE, RW, &g),
		   ERR_BAD_HANDLE);
	GCHECK_ERR(sys_grant_create(v, u, PAGE, RW, &g), ERR_WRONG_TYPE);
	GCHECK_ERR(sys_grant_create(self, u + 1, PAGE, RW, &g),
		   ERR_INVALID_ARGS);
	GCHECK_ERR(sys_grant_create(self, u, 100, RW, &g), ERR_INVALID_ARGS);
	GCHECK_ERR(sys_grant_create(self, u, 0, RW, &g), ERR_INVALID_ARGS);
	GCHECK_ERR(sys_grant_create(self, u, PAGE, VM_PROT_EXEC, &g),
		   ERR_INVALID_ARGS);
	GCHECK_ERR(sys_grant_create(self, u, PAGE, RO | VM_PROT_EXEC, &g),
		   ERR_INVALID_ARGS);
	GCHECK_ERR(sys_grant_create(self, u, PAGE, VM_PROT_WRITE, &g),
		   ERR_INVALID_ARGS);
	GCHECK_ERR(sys_grant_create(self, u, PAGE, 0, &g), ERR_INVALID_ARGS);
	GCHECK_ERR(sys_grant_create(self, g_unmapped_addr(), PAGE, RO, &g),
		   ERR_NOT_FOUND);
	GCHECK_ERR(sys_grant_create(self, u, 3 * PAGE, RO, &g), ERR_NOT_FOUND);
	GCHECK_ERR(sys_grant_create(self, KERNEL_PTR, PAGE, RO, &g),
		   ERR_OUT_OF_RANGE);
	GCHECK_ERR(sys_grant_create(self, u, PAGE, RO, (handle_t *)KERNEL_PTR),
		   ERR_FAULT);
	GCHECK_ERR(sys_grant_create(self, 0, 1ull << 40, RW, &g),
		   ERR_OUT_OF_RANGE);
	/* map */
	GCHECK_OK(sys_grant_create(self, u, 2 * PAGE, RW, &g));
	GCHECK_ERR(sys_grant_map(self, HANDLE_INVALID, RO, 0, &a),
		   ERR_BAD_HANDLE);
	GCHECK_ERR(sys_grant_map(self, v, RO, 0, &a), ERR_WRONG_TYPE);
	GCHECK_ERR(sys_grant_map(g, g, RO, 0, &a), ERR_WRONG_TYPE);
	GCHECK_ERR(sys_grant_map(self, g, VM_PROT_EXEC, 0, &a),
		   ERR_INVALID_ARGS);
	GCHECK_ERR(sys_grant_map(self, g, 0, 0, &a), ERR_INVALID_ARGS);
	GCHECK_ERR(sys_grant_map(self, g, RO, 123, &a), ERR_INVALID_ARGS);
	GCHECK_ERR(sys_grant_map(self, g, RO, 0, (uint64_t *)KERNEL_PTR),
		   ERR_FAULT);
	GCHECK_OK(sys_grant_map(self, g, RW, 0, &a));
	/* A grant mapping goes whole: no partial unmap or protect. */
	GCHECK_ERR(sys_vm_unmap(self, a, PAGE), ERR_INVALID_ARGS);
	GCHECK_ERR(sys_vm_protect(self, a + PAGE, PAGE, RO), ERR_INVALID_ARGS);
	GCHECK_OK(sys_vm_protect(self, a, 2 * PAGE, RO));
	/* unmap */
	GCHECK_ERR(sys_grant_unmap(self, a + 1), ERR_INVALID_ARGS);
	GCHECK_ERR(sys_grant_unmap(self, a + PAGE), ERR_NOT_FOUND);
	GCHECK_ERR(sys_grant_unmap(self, u), ERR_NOT_FOUND); /* not a grant */
	GCHECK_ERR(sys_grant_unmap(v, a), ERR_WRONG_TYPE);
	GCHECK_OK(sys_grant_unmap(self, a));
	/* revoke */
	GCHECK_ERR(sys_grant_revoke(HANDLE_INVALID), ERR_BAD_HANDLE);
	GCHECK_ERR(sys_grant_revoke(v), ERR_WRONG_TYPE);
	GCHECK_OK(sys_grant_revoke(g));
	GCHECK_ERR(sys_grant_map(self, g, RO, 0, &a), ERR_BAD_STATE);
	GCHECK_OK(sys_handle_close(g));
	GCHECK_OK(sys_handle_close(v));
	g_unmap(p, 2 * PAGE);
}

/* Revoke racing map + unmap on two CPUs. A mapper thread on the other CPU
 * maps the current grant at a fixed hint and unmaps it, in a loop; this
 * thread revokes at varying moments. Once revoke has returned no mapping
 * of the grant may exist: the hint holds no grant mapping (a grant_create
 * there would say ERR_ACCESS_DENIED) and every later map is refused. A map
 * caught between the kernel linking its record and inserting its mapping
 * used to survive the revoke for a moment. 1 MiB widens that window. */
#define RACE_ROUNDS 1000
#define RACE_PAGES  256
struct grant_race {
	volatile handle_t g;
	volatile uint32_t round, seen, stop;
	volatile uint64_t hint, maps, refused;
};

static int64_t race_mapper(uint64_t arg)
{
	struct grant_race *r = (struct grant_race *)arg;
	while (!r->stop) {
		uint32_t round = r->round;
		uint64_t a = 0;
		long e = sys_grant_map(g_self(), r->g, RW, r->hint, &a);
		r->seen = round;
		if (!e) {
			r->maps++;
			e = sys_grant_unmap(g_self(), a);
			if (e == ERR_NOT_FOUND)
				e = 0; /* the revoke took it first */
		} else if (e == ERR_BAD_STATE || e == ERR_BAD_HANDLE) {
			r->refused++; /* revoked, or closed after it */
			e = 0;
		}
		if (e)
			return e;
	}
	return 0;
}

GTEST(grant_revoke_races_map)
{
	static struct grant_race r;
	memset((void *)&r, 0, sizeof(r));
	uint8_t *src = g_map(RACE_PAGES * PAGE);
	void *hole = g_map(RACE_PAGES * PAGE);
	r.hint = (uint64_t)hole;
	g_unmap(hole, RACE_PAGES * PAGE);
	GCHECK_OK(sys_grant_create(g_self(), (uint64_t)src, RACE_PAGES * PAGE,
				   RW, (handle_t *)&r.g));
	struct sched_params me, other = {.cls = SCHED_CLASS_BE};
	GCHECK_OK(sys_sched_get(execrt_handle(START_H_SELF_THREAD), &me));
	other.cpu = g_ncpus() > 1 ? me.cpu == 0 : 0;
	struct gthread t;
	GCHECK_OK(gthread_start_sched(&t, race_mapper, (uint64_t)&r, &other));
	unsigned live = 0, mapped_after = 0, bad = 0, seed = 12345;
	/* Bounded in time too: a loaded host stretches every round. */
	uint64_t stop_at = g_now() + 3000 * MS;
	uint32_t i;
	for (i = 1; i <= RACE_ROUNDS && g_now() < stop_at; i++) {
		/* Let the mapper try this grant at least once, then revoke
		 * after a pseudo-random delay. */
		uint64_t end = g_now() + 1000 * MS, m0 = r.maps;
		while ((r.seen != i - 1 || r.maps == m0) && g_now() < end)
			;
		seed = seed * 1103515245 + 12345;
		for (volatile unsigned d = (seed >> 16) % 20000; d; d--)
			;
		handle_t g = r.g;
		if (sys_grant_revoke(g))
			bad++;
		handle_t probe;
		long e = sys_grant_create(g_self(), r.hint, PAGE, RO, &probe);
		if (e == ERR_ACCESS_DENIED)
			live++; /* a grant mapping outlived the revoke */
		else if (!e)
			sys_handle_close(probe);
		uint64_t a = 0;
		if (sys_grant_map(g_self(), g, RO, 0, &a) != ERR_BAD_STATE)
			mapped_after++;
		/* The next round's grant; the mapper may see the closed
		 * handle in between (ERR_BAD_HANDLE). */
		handle_t next;
		GCHECK_OK(sys_grant_create(g_self(), (uint64_t)src,
					   RACE_PAGES * PAGE, RW, &next));
		r.g = next;
		sys_handle_close(g);
		r.round = i;
	}
	r.stop = 1;
	int64_t st = -1;
	GCHECK_OK(gthread_join(&t, g_now() + 5000 * MS, &st));
	GCHECK_OK(st);
	GCHECK_EQ(bad, 0);
	GCHECK_EQ(live, 0);
	GCHECK_EQ(mapped_after, 0);
	GCHECK(r.maps > 0);
	GCHECK(i > 20);
	GCHECK(r.refused > 0);
	printf("    %u rounds: %llu maps, %llu refused, %u mappings outlived "
	       "the revoke\n",
	       i - 1, (unsigned long long)r.maps, (unsigned long long)r.refused,
	       live);
	GCHECK_OK(sys_handle_close(r.g));
	g_unmap(src, RACE_PAGES * PAGE);
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ __volatile__("lfence; rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
	return a < b ? -1 : a > b;
}

/* Benchmark: map + unmap of a 1 MiB grant, median of 200. */
GTEST(grant_bench_map_unmap_1mib)
{
	enum { N = 200 };
	static uint64_t t[N];
	handle_t g;
	GCHECK_OK(sys_grant_create(g_self(), 0, 1ull << 20, RW, &g));
	for (int i = 0; i < N; i++) {
		uint64_t a = 0, t0 = rdtsc();
		long r = sys_grant_map(g_self(), g, RW, 0, &a);
		long u = r ? r : sys_grant_unmap(g_self(), a);
		t[i] = rdtsc() - t0;
		GCHECK_OK(r);
		GCHECK_OK(u);
	}
	qsort(t, N, sizeof(t[0]), cmp_u64);
	printf("    bench: grant map+unmap 1 MiB: median %llu cycles "
	       "(min %llu, max %llu, %d runs)\n",
	       (unsigned long long)t[N / 2], (unsigned long long)t[0],
	       (unsigned long long)t[N - 1], N);
	GCHECK_OK(sys_handle_close(g));
}
