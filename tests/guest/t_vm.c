/* Address space: map / unmap / protect, fixed addresses, memory objects'
 * rights bounding mappings, W^X, bad ranges and pointers. Tests that map
 * into this task allow page-table growth (frames); objects stay exact. */
#include <string.h>

#include "gtest.h"
#include "gutil.h"

static long map_req(handle_t task, handle_t vmo, uint64_t addr, uint64_t len,
		    uint64_t off, uint32_t prot, uint32_t flags, uint64_t *out)
{
	struct vm_map_req req = {addr, len, off, prot, flags};
	return sys_vm_map(task, vmo, &req, out);
}

GTEST(vm_map_fresh_zeroed_rw)
{
	gtest_allow_growth();
	uint64_t a = 0;
	GCHECK_OK(map_req(g_self(), HANDLE_INVALID, 0, 4 * PAGE, 0,
			  VM_PROT_READ | VM_PROT_WRITE, 0, &a));
	GCHECK(a >= USER_BASE && a < USER_TOP && a % PAGE == 0);
	uint8_t *p = (uint8_t *)a;
	int zero = 1;
	for (uint64_t i = 0; i < 4 * PAGE; i++)
		zero &= p[i] == 0;
	memset(p, 0x77, 4 * PAGE);
	int kept = p[4 * PAGE - 1] == 0x77 && p[0] == 0x77;
	GCHECK_OK(sys_vm_unmap(g_self(), a, 4 * PAGE));
	GCHECK(zero);
	GCHECK(kept);
}

GTEST(vm_frames_come_back)
{
	gtest_allow_growth();
	struct kernel_stats a, b, c;
	const uint64_t n = 256;
	GCHECK_OK(g_stats(&a));
	uint8_t *p = g_map(n * PAGE);
	GCHECK(p);
	for (uint64_t i = 0; i < n; i++)
		p[i * PAGE] = 1;
	g_stats(&b);
	g_unmap(p, n * PAGE);
	sys_sleep_until(g_now() + 10 * MS);
	g_stats(&c);
	GCHECK(b.frames_free + n <= a.frames_free);
	/* Page tables may stay; the 256 pages must not. */
	GCHECK(c.frames_free + 8 >= a.frames_free);
}

GTEST(vm_map_fixed)
{
	gtest_allow_growth();
	uint64_t at = g_unmapped_addr(), got = 0, got2 = 0;
	GCHECK_OK(map_req(g_self(), HANDLE_INVALID, at, PAGE, 0, VM_PROT_READ,
			  VM_MAP_FIXED, &got));
	GCHECK_EQ(got, at);
	/* Occupied: refused, not replaced. */
	long r = map_req(g_self(), HANDLE_INVALID, at, PAGE, 0, VM_PROT_READ,
			 VM_MAP_FIXED, &got2);
	/* A hint that is taken is only a hint. */
	long h = map_req(g_self(), HANDLE_INVALID, at, PAGE, 0, VM_PROT_READ, 0,
			 &got2);
	if (h == 0)
		sys_vm_unmap(g_self(), got2, PAGE);
	GCHECK_OK(sys_vm_unmap(g_self(), at, PAGE));
	GCHECK_ERR(r, ERR_ALREADY_EXISTS);
	GCHECK_OK(h);
	GCHECK(got2 != at);
}

GTEST(vm_map_bad_args)
{
	uint64_t out, at = g_unmapped_addr();
	const uint32_t rw = VM_PROT_READ | VM_PROT_WRITE;
	handle_t v;
	GCHECK_OK(sys_vmo_create(4 * PAGE, &v));
	long r[] = {
		map_req(g_self(), HANDLE_INVALID, 0, 0, 0, rw, 0, &out),
		map_req(g_self(), HANDLE_INVALID, 0, 100, 0, rw, 0, &out),
		map_req(g_self(), HANDLE_INVALID, at + 8, PAGE, 0, rw,
			VM_MAP_FIXED, &out),
		map_req(g_self(), v, 0, PAGE, 8, rw, 0, &out),
		map_req(g_self(), HANDLE_INVALID, 0, PAGE, 0, 8, 0, &out),
		map_req(g_self(), HANDLE_INVALID, 0, PAGE, 0, rw, 0x80, &out),
		/* W^X */
		map_req(g_self(), HANDLE_INVALID, 0, PAGE, 0, rw | VM_PROT_EXEC,
			0, &out),
		map_req(g_self(), v, 0, PAGE, 0, rw | VM_PROT_EXEC, 0, &out),
		/* Outside [USER_BASE, USER_TOP), or wrapping. */
		map_req(g_self(), HANDLE_INVALID, 0, PAGE, 0, rw, VM_MAP_FIXED,
			&out),
		map_req(g_self(), HANDLE_INVALID, USER_BASE - PAGE, PAGE, 0, rw,
			VM_MAP_FIXED, &out),
		map_req(g_self(), HANDLE_INVALID, USER_TOP - PAGE, 2 * PAGE, 0,
			rw, VM_MAP_FIXED, &out),
		map_req(g_self(), HANDLE_INVALID, KERNEL_PTR, PAGE, 0, rw,
			VM_MAP_FIXED, &out),
		map_req(g_self(), HANDLE_INVALID, 0 - PAGE, 2 * PAGE, 0, rw,
			VM_MAP_FIXED, &out),
		map_req(g_self(), HANDLE_INVALID, 0, USER_TOP, 0, rw, 0, &out),
		map_req(g_self(), HANDLE_INVALID, 0, 0 - PAGE, 0, rw, 0, &out),
	};
	sys_handle_close(v);
	/* Malformed requests are ERR_INVALID_ARGS; well-formed ones naming
	 * addresses outside user space are ERR_OUT_OF_RANGE. */
	for (unsigned i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		long want = i < 8 ? ERR_INVALID_ARGS : ERR_OUT_OF_RANGE;
		if (r[i] != want)
			printf("    map %u: %s\n", i, err_name(r[i]));
		GCHECK_ERR(r[i], want);
	}
}

/* Beyond the quota, but a possible size: ERR_NO_MEMORY, still usable. */
GTEST(vm_map_over_quota)
{
	uint64_t out;
	GCHECK_ERR(map_req(g_self(), HANDLE_INVALID, 0, 1ull << 35, 0,
			   VM_PROT_READ, 0, &out),
		   ERR_NO_MEMORY);
	void *p = g_map(PAGE);
	GCHECK(p);
	g_unmap(p, PAGE);
}

GTEST(vm_map_bad_pointers)
{
	struct vm_map_req req = {.len = PAGE, .prot = VM_PROT_READ};
	uint64_t out;
	handle_t v;
	GCHECK_ERR(sys_vm_map(g_self(), HANDLE_INVALID, NULL, &out), ERR_FAULT);
	GCHECK_ERR(
		sys_vm_map(g_self(), HANDLE_INVALID, (void *)KERNEL_PTR, &out),
		ERR_FAULT);
	GCHECK_ERR(sys_vm_map(g_self(), HANDLE_INVALID,
			      (void *)g_unmapped_addr(), &out),
		   ERR_FAULT);
	/* A failed copy-out leaves no mapping: the object must die with
	 * its handle (the leak check sees a mapping that stayed). */
	GCHECK_OK(sys_vmo_create(PAGE, &v));
	long r1 = sys_vm_map(g_self(), v, &req, NULL);
	long r2 = sys_vm_map(g_self(), v, &req, (uint64_t *)KERNEL_PTR);
	long r3 = sys_vm_map(g_self(), v, &req, (uint64_t *)&g_map);
	sys_handle_close(v);
	GCHECK_ERR(r1, ERR_FAULT);
	GCHECK_ERR(r2, ERR_FAULT);
	GCHECK_ERR(r3, ERR_FAULT);
}

/* The handle's rights bound what a mapping may do. */
GTEST(vm_map_needs_rights)
{
	gtest_allow_growth();
	handle_t v;
	uint64_t a = 0;
	GCHECK_OK(sys_vmo_create(PAGE, &v));
	handle_t no_map = g_dup(v, RIGHT_READ | RIGHT_WRITE);
	handle_t ro = g_dup(v, RIGHT_READ | RIGHT_MAP);
	handle_t weak_task = g_dup(g_self(), RIGHT_WAIT);
	/* MAP alone allows no access: not even a PROT_NONE reservation,
	 * which vm_protect could otherwise open up (review finding R4). */
	handle_t map_only = g_dup(v, RIGHT_MAP);
	long r[] = {
		map_req(g_self(), map_only, 0, PAGE, 0, 0, 0, &a),
		map_req(g_self(), map_only, 0, PAGE, 0, VM_PROT_READ, 0, &a),
		map_req(g_self(), no_map, 0, PAGE, 0, VM_PROT_READ, 0, &a),
		map_req(g_self(), ro, 0, PAGE, 0, VM_PROT_READ | VM_PROT_WRITE,
			0, &a),
		map_req(g_self(), ro, 0, PAGE, 0, VM_PROT_READ | VM_PROT_EXEC,
			0, &a),
		map_req(weak_task, v, 0, PAGE, 0, VM_PROT_READ, 0, &a),
		map_req(weak_task, HANDLE_INVALID, 0, PAGE, 0, VM_PROT_READ, 0,
			&a),
		sys_vm_unmap(weak_task, 0x10000000, PAGE),
		sys_vm_protect(weak_task, 0x10000000, PAGE, VM_PROT_READ),
	};
	long ok = map_req(g_self(), ro, 0, PAGE, 0, VM_PROT_READ, 0, &a);
	if (ok == 0)
		sys_vm_unmap(g_self(), a, PAGE);
	/* Nor can a reservation made through a read-only handle. */
	long resv = -100;
	if (map_req(g_self(), ro, 0, PAGE, 0, 0, 0, &a) == 0) {
		resv = sys_vm_protect(g_self(), a, PAGE,
				      VM_PROT_READ | VM_PROT_WRITE);
		sys_vm_unmap(g_self(), a, PAGE);
	}
	/* A read-only mapping cannot be made writable later either. */
	long prot = -100;
	if (map_req(g_self(), ro, 0, PAGE, 0, VM_PROT_READ, 0, &a) == 0) {
		prot = sys_vm_protect(g_self(), a, PAGE,
				      VM_PROT_READ | VM_PROT_WRITE);
		sys_vm_unmap(g_self(), a, PAGE);
	}
	sys_handle_close(weak_task);
	sys_handle_close(map_only);
	sys_handle_close(ro);
	sys_handle_close(no_map);
	sys_handle_close(v);
	for (unsigned i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		if (r[i] != ERR_ACCESS_DENIED)
			printf("    call %u: %s\n", i, err_name(r[i]));
		GCHECK_ERR(r[i], ERR_ACCESS_DENIED);
	}
	GCHECK_OK(ok);
	GCHECK_ERR(resv, ERR_ACCESS_DENIED);
	GCHECK_ERR(prot, ERR_ACCESS_DENIED);
}

/* A mapping shows the object itself (no copy), at the given offset, and
 * keeps it alive after its handle is closed. */
GTEST(vm_map_vmo_shared)
{
	gtest_allow_growth();
	handle_t v;
	uint64_t a = 0, b = 0;
	GCHECK_OK(sys_vmo_create(2 * PAGE, &v));
	GCHECK_OK(sys_vmo_write(v, "first", 0, 5));
	GCHECK_OK(sys_vmo_write(v, "second", PAGE, 6));
	GCHECK_OK(map_req(g_self(), v, 0, 2 * PAGE, 0,
			  VM_PROT_READ | VM_PROT_WRITE, 0, &a));
	GCHECK_OK(map_req(g_self(), v, 0, PAGE, PAGE, VM_PROT_READ, 0, &b));
	char *p = (char *)a, *q = (char *)b;
	int first = !memcmp(p, "first", 5), second = !memcmp(q, "second", 6);
	sys_vmo_write(v, "X", 0, 1);
	int seen = p[0] == 'X';
	p[PAGE + 1] = 'E';
	char back[2] = {0};
	sys_vmo_read(v, back, PAGE, 2);
	long off_past =
		map_req(g_self(), v, 0, PAGE, 2 * PAGE, VM_PROT_READ, 0, &b);
	long len_past =
		map_req(g_self(), v, 0, 2 * PAGE, PAGE, VM_PROT_READ, 0, &b);
	sys_handle_close(v);
	int alive = p[0] == 'X' && q[1] == 'E';
	sys_vm_unmap(g_self(), a, 2 * PAGE);
	sys_vm_unmap(g_self(), (uint64_t)q, PAGE);
	GCHECK(first && second);
	GCHECK(seen);
	GCHECK(back[0] == 's' && back[1] == 'E');
	GCHECK_ERR(off_past, ERR_OUT_OF_RANGE);
	GCHECK_ERR(len_past, ERR_OUT_OF_RANGE);
	GCHECK(alive);
}

GTEST(vm_map_initrd_readonly)
{
	gtest_allow_growth();
	uint64_t a = 0, b;
	GCHECK(g_initrd_buf && g_initrd_len >= 6);
	GCHECK_OK(
		map_req(g_self(), g_initrd(), 0, PAGE, 0, VM_PROT_READ, 0, &a));
	int same = !memcmp((void *)a, g_initrd_buf, 6);
	sys_vm_unmap(g_self(), a, PAGE);
	GCHECK(same);
	GCHECK_ERR(map_req(g_self(), g_initrd(), 0, PAGE, 0,
			   VM_PROT_READ | VM_PROT_WRITE, 0, &b),
		   ERR_ACCESS_DENIED);
	GCHECK_ERR(map_req(g_self(), g_initrd(), 0, PAGE, 0,
			   VM_PROT_READ | VM_PROT_EXEC, 0, &b),
		   ERR_ACCESS_DENIED);
}

/* Code written into RW memory runs only after it became R+X; W+X never. */
GTEST(vm_wx_enforced)
{
	gtest_allow_growth();
	static const uint8_t ret42[] = {0xb8, 0x2a, 0, 0, 0, 0xc3};
	uint8_t *p = g_map(PAGE);
	GCHECK(p);
	memcpy(p, ret42, sizeof(ret42));
	uint64_t a = (uint64_t)p;
	long wx = sys_vm_protect(g_self(), a, PAGE,
				 VM_PROT_READ | VM_PROT_WRITE | VM_PROT_EXEC);
	long rx =
		sys_vm_protect(g_self(), a, PAGE, VM_PROT_READ | VM_PROT_EXEC);
	int got = rx == 0 ? ((int (*)(void))(uintptr_t)a)() : -1;
	g_unmap(p, PAGE);
	GCHECK_ERR(wx, ERR_INVALID_ARGS);
	GCHECK_OK(rx);
	GCHECK_EQ(got, 42);
}

GTEST(vm_unmap_protect_bad_args)
{
	gtest_allow_growth();
	uint8_t *p = g_map(PAGE);
	GCHECK(p);
	uint64_t a = (uint64_t)p;
	long r[] = {
		sys_vm_unmap(g_self(), a + 8, PAGE),
		sys_vm_unmap(g_self(), a, 100),
		sys_vm_unmap(g_self(), a, 0),
		sys_vm_unmap(g_self(), KERNEL_PTR, PAGE),
		sys_vm_unmap(g_self(), USER_TOP - PAGE, 2 * PAGE),
		sys_vm_unmap(g_self(), 0 - PAGE, 2 * PAGE),
		sys_vm_protect(g_self(), a + 8, PAGE, VM_PROT_READ),
		sys_vm_protect(g_self(), a, 0, VM_PROT_READ),
		sys_vm_protect(g_self(), a, PAGE, 0x10),
		sys_vm_protect(g_self(), KERNEL_PTR, PAGE, VM_PROT_READ),
		sys_vm_protect(g_self(), 0 - PAGE, 2 * PAGE, VM_PROT_READ),
	};
	/* Protecting memory that is not mapped. */
	long hole =
		sys_vm_protect(g_self(), g_unmapped_addr(), PAGE, VM_PROT_READ);
	p[0] = 1; /* still mapped and writable after all that */
	g_unmap(p, PAGE);
	/* Outside user space: ERR_OUT_OF_RANGE; malformed: ERR_INVALID_ARGS. */
	static const long want[] = {
		ERR_INVALID_ARGS, ERR_INVALID_ARGS, ERR_INVALID_ARGS,
		ERR_OUT_OF_RANGE, ERR_OUT_OF_RANGE, ERR_OUT_OF_RANGE,
		ERR_INVALID_ARGS, ERR_INVALID_ARGS, ERR_INVALID_ARGS,
		ERR_OUT_OF_RANGE, ERR_OUT_OF_RANGE};
	for (unsigned i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		if (r[i] != want[i])
			printf("    call %u: %s\n", i, err_name(r[i]));
		GCHECK_ERR(r[i], want[i]);
	}
	GCHECK_ERR(hole, ERR_NOT_FOUND);
}

/* Unmapping the middle of a mapping leaves both ends working. */
GTEST(vm_partial_unmap)
{
	gtest_allow_growth();
	uint8_t *p = g_map(3 * PAGE);
	GCHECK(p);
	p[0] = 1;
	p[2 * PAGE] = 2;
	GCHECK_OK(sys_vm_unmap(g_self(), (uint64_t)p + PAGE, PAGE));
	p[1] = 3;
	p[2 * PAGE + 1] = 4;
	int ok = p[0] == 1 && p[1] == 3 && p[2 * PAGE] == 2;
	/* The hole can be mapped again exactly. */
	uint64_t got = 0;
	long r = map_req(g_self(), HANDLE_INVALID, (uint64_t)p + PAGE, PAGE, 0,
			 VM_PROT_READ, VM_MAP_FIXED, &got);
	GCHECK_OK(
		sys_vm_unmap(g_self(), (uint64_t)p, 3 * PAGE - (r ? PAGE : 0)));
	if (r)
		sys_vm_unmap(g_self(), (uint64_t)p + 2 * PAGE, PAGE);
	GCHECK(ok);
	GCHECK_OK(r);
	GCHECK_EQ(got, (uint64_t)p + PAGE);
}

/* Memory mapped into another task goes when that task dies. */
GTEST(vm_map_into_other_task)
{
	handle_t t;
	int64_t st;
	uint64_t a = 0;
	GCHECK_OK(sys_task_create(g_self(), "mapped", 6, 2 << 20, &t));
	long r = map_req(t, HANDLE_INVALID, 0, 64 * PAGE, 0,
			 VM_PROT_READ | VM_PROT_WRITE, 0, &a);
	/* Over the child's quota. */
	long big =
		map_req(t, HANDLE_INVALID, 0, 4 << 20, 0, VM_PROT_READ, 0, &a);
	sys_task_kill(t, 0);
	sys_object_wait(t, DEADLINE_NONE, &st);
	sys_handle_close(t);
	GCHECK_OK(r);
	GCHECK_ERR(big, ERR_NO_MEMORY);
}

/* Review finding N3: unmapping a reservation (prot 0) walked every page
 * of it in the page tables, with interrupts off, although none is ever
 * mapped: a small quota could make that last a second (1 TiB reserved
 * from a 16 MiB quota). Here 256 reservations of an 8 MiB object (2 GiB,
 * 512k pages) must go in well under 5 ms of guest time (under -icount:
 * instructions; the walk took about 25M). */
GTEST(timing_vm_reservations_unmap_cheaply)
{
	gtest_allow_growth();
	enum { N = 256 };
	const uint64_t len = 8ull << 20;
	static uint64_t at[N];
	handle_t v;
	GCHECK_OK(sys_vmo_create(len, &v));
	int made = 0;
	for (; made < N; made++)
		if (map_req(g_self(), v, 0, len, 0, 0, 0, &at[made]) < 0)
			break;
	uint64_t t0 = g_now();
	for (int i = 0; i < made; i++)
		sys_vm_unmap(g_self(), at[i], len);
	uint64_t took = g_now() - t0;
	sys_handle_close(v);
	printf("    %d reservations of 8 MiB unmapped in %llu us\n", made,
	       (unsigned long long)(took / 1000));
	GCHECK_EQ(made, N);
	GCHECK(took < 5 * MS);
}
