/* REVIEW-18 R4 (vmgr, docs/vmgr.md "a client may hold at most its
 * ledger limit ... of shared buffers at once"): VMGR_BUF_RELEASE took a
 * buffer off the ledger while the client still held its grant, and the
 * memory (charged to vmgr) lives as long as the grant does. One task
 * that allocated, released and kept the handle, again and again, held
 * shared memory far past its 16 MiB ledger (44 MiB of a 48 MiB pool on
 * the old code), so every other client's VMGR_BUF_ALLOC (and every
 * quota loan init asks vmgr for) failed.
 *
 * Fixed: vmgr puts a notice endpoint into each buffer's memory
 * (SYS_GRANT_NOTIFY) and keeps the buffer on the ledger until that
 * memory is gone. */
#include <string.h>

#include <execrt/vmgr_proto.h>

#include "gtest.h"
#include "gutil.h"
#include "vmgr_call.h"

#define POOL   (48ull << 20)
#define LEDGER (16ull << 20) /* vmgr's default ledger limit */
#define CHUNK  (4ull << 20)
#define NBUF   16

static handle_t bufs[NBUF];

static long call(handle_t ep, uint32_t op, uint64_t a, handle_t give,
		 struct vmgr_resp *rs, handle_t *h, uint32_t *nh)
{
	return gvmgr_call(ep, op, a, give, rs, NULL, 0, h, nh);
}

GTEST(review18_vmgr_released_buffers_still_held_pass_ledger)
{
	gtest_allow_growth();
	handle_t recv, send, h[PORT_HANDLES_MAX];
	struct child c;
	struct vmgr_resp rs;
	uint32_t nh;
	GCHECK_OK(sys_port_create(0, &recv, &send));
	g_spawn_sysinfo = g_sysinfo();
	long r = g_spawn_ex("vmgr", "@", POOL, 0, recv, RIGHT_SAME, &c);
	g_spawn_sysinfo = HANDLE_INVALID;
	GCHECK_OK(r);
	handle_t me = g_dup(g_self(), RIGHT_WAIT | RIGHT_TRANSFER);
	r = call(send, VMGR_CONNECT, 0, me, &rs, h, &nh);
	handle_t conn = r == 0 && nh == 2 ? h[0] : 0;
	if (conn)
		sys_handle_close(h[1]);
	uint32_t held = 0;
	long last = 0;
	while (conn && held < NBUF) {
		last = call(conn, VMGR_BUF_ALLOC, CHUNK, 0, &rs, h, &nh);
		if (last || nh != 1)
			break;
		bufs[held++] = h[0];
		/* off the ledger; the grant (and its memory) stays ours */
		if (call(conn, VMGR_BUF_RELEASE, rs.val, 0, &rs, h, &nh))
			break;
	}
	printf("    one task holds %u MiB of shared buffers (ledger %llu "
	       "MiB); the next alloc: %ld\n",
	       (unsigned)(held * (CHUNK >> 20)),
	       (unsigned long long)(LEDGER >> 20), last);
	long full = last;
	/* Letting go of the memory takes it off the ledger (the notices
	 * arrive ahead of our next call): the whole ledger again. */
	for (uint32_t i = 0; i < held; i++)
		sys_handle_close(bufs[i]);
	long info = conn ? call(conn, VMGR_INFO, 0, 0, &rs, h, &nh) : -1;
	uint64_t after = rs.val2;
	long again =
		conn ? call(conn, VMGR_BUF_ALLOC, LEDGER, 0, &rs, h, &nh) : -1;
	if (!again && nh == 1)
		sys_handle_close(h[0]);
	if (conn)
		sys_handle_close(conn);
	g_reap(&c, 0, NULL);
	sys_handle_close(send);
	GCHECK(conn);
	GCHECK(held * CHUNK <= LEDGER);
	GCHECK_EQ(full, ERR_NO_MEMORY);
	GCHECK_OK(info);
	GCHECK_EQ(after, 0);
	GCHECK_OK(again);
}

/* The holder (a thread of the client) unmaps and closes on one CPU while
 * vmgr, on the other, takes the release: whoever is last, the buffer
 * leaves the ledger once, and only when its memory is gone. */
static volatile uint64_t go, done;
static handle_t race_buf;
static int64_t holder(uint64_t rounds)
{
	for (uint64_t i = 1; i <= rounds; i++) {
		while (__atomic_load_n(&go, __ATOMIC_ACQUIRE) != i)
			;
		uint64_t a = 0;
		if (sys_grant_map(g_self(), race_buf, VM_PROT_READ, 0, &a) == 0)
			sys_grant_unmap(g_self(), a);
		sys_handle_close(race_buf);
		__atomic_store_n(&done, i, __ATOMIC_RELEASE);
	}
	return 0;
}

GTEST(review18_vmgr_release_races_the_last_unmap)
{
	enum { ROUNDS = 60 };
	gtest_allow_growth();
	handle_t recv, send, h[PORT_HANDLES_MAX];
	struct child c;
	struct vmgr_resp rs;
	uint32_t nh;
	GCHECK_OK(sys_port_create(0, &recv, &send));
	g_spawn_sysinfo = g_sysinfo();
	long r = g_spawn_ex("vmgr", "@", POOL, 0, recv, RIGHT_SAME, &c);
	g_spawn_sysinfo = HANDLE_INVALID;
	GCHECK_OK(r);
	handle_t me = g_dup(g_self(), RIGHT_WAIT | RIGHT_TRANSFER);
	r = call(send, VMGR_CONNECT, 0, me, &rs, h, &nh);
	handle_t conn = r == 0 && nh == 2 ? h[0] : 0;
	if (conn)
		sys_handle_close(h[1]);
	struct gthread t;
	go = done = 0;
	unsigned bad = 0, held_after_release = 0;
	GCHECK_OK(gthread_start(&t, holder, ROUNDS));
	for (uint64_t i = 1; i <= ROUNDS; i++) { /* the thread needs all */
		race_buf = 0;
		if (!conn ||
		    call(conn, VMGR_BUF_ALLOC, CHUNK, 0, &rs, h, &nh) ||
		    nh != 1)
			bad++;
		else
			race_buf = h[0];
		uint64_t id = rs.val;
		__atomic_store_n(&go, i, __ATOMIC_RELEASE);
		g_spin(i % 5 * 3000); /* vary who is last */
		bad += conn && call(conn, VMGR_BUF_RELEASE, id, 0, &rs, h, &nh);
		/* Still held by the thread: still charged. */
		if (__atomic_load_n(&done, __ATOMIC_ACQUIRE) != i && conn &&
		    !call(conn, VMGR_INFO, 0, 0, &rs, h, &nh) &&
		    rs.val2 == CHUNK)
			held_after_release++;
		while (__atomic_load_n(&done, __ATOMIC_ACQUIRE) != i)
			;
		bad += conn && (call(conn, VMGR_INFO, 0, 0, &rs, h, &nh) ||
				rs.val2 != 0);
	}
	GCHECK_OK(gthread_join(&t, g_now() + 5000 * MS, NULL));
	printf("    %u rounds, %u with the release first\n", ROUNDS,
	       held_after_release);
	if (conn)
		sys_handle_close(conn);
	g_reap(&c, 0, NULL);
	sys_handle_close(send);
	GCHECK(conn);
	GCHECK_EQ(bad, 0);
}
