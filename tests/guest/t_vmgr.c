/* vmgr, the memory server (docs/vmgr.md), run as a child serving a port
 * of this test (argv[1]): connect, shared buffers on the ledger, lazily
 * committed memory paged in by vmgr, the usage report, and vmgr killed
 * while a client holds its endpoints (the next call fails cleanly, a new
 * instance takes a new connection). */
#include <string.h>

#include <execrt/fs_proto.h>
#include <execrt/vmgr_proto.h>

#include "fsd_env.h"
#include "vmgr_client.h"
#include "gtest.h"
#include "gutil.h"

#define VMGR_PROG  "vmgr"
#define VMGR_QUOTA (4ull << 20)
#define WAIT_NS	   (5000 * MS)

struct vm {
	struct child c;
	handle_t send;	      /* the service endpoint */
	handle_t conn, pager; /* after vm_connect */
	uint64_t id;
	uint8_t ans[PORT_MSG_MAX];
	handle_t h[PORT_HANDLES_MAX];
	uint32_t nh;
};

static long vm_start(struct vm *m)
{
	memset(m, 0, sizeof(*m));
	handle_t recv;
	long r = sys_port_create(0, &recv, &m->send);
	if (r < 0)
		return r;
	g_spawn_sysinfo = g_sysinfo();
	r = g_spawn_ex(VMGR_PROG, "@", VMGR_QUOTA, 0, recv, RIGHT_SAME, &m->c);
	g_spawn_sysinfo = HANDLE_INVALID;
	if (r < 0)
		sys_handle_close(recv);
	return r;
}

static void vm_stop(struct vm *m)
{
	if (m->c.task)
		g_reap(&m->c, 0, NULL); /* kills it */
	sys_handle_close(m->send);
	sys_handle_close(m->conn);
	sys_handle_close(m->pager);
	m->c.task = m->send = m->conn = m->pager = 0;
}

/* One call: the answer's header in *rs, its handles in m->h. */
static long vm_call(struct vm *m, handle_t ep, uint32_t op, uint64_t a,
		    handle_t give, struct vmgr_resp *rs)
{
	struct vmgr_req rq = {.op = op, .a = a};
	struct port_msg msg = {.data = &rq,
			       .len = sizeof(rq),
			       .nhandles = give ? 1 : 0,
			       .handles = &give};
	struct port_rx rx = {.buf = m->ans,
			     .cap = sizeof(m->ans),
			     .handles = m->h,
			     .hcap = PORT_HANDLES_MAX};
	long r = sys_port_call(ep, &msg, &rx, g_now() + WAIT_NS);
	m->nh = r ? 0 : rx.nhandles;
	if (r < 0)
		return r;
	if (rx.len < sizeof(*rs))
		return -1000;
	memcpy(rs, m->ans, sizeof(*rs));
	return rs->err;
}

static long vm_connect(struct vm *m)
{
	struct vmgr_resp rs;
	handle_t me = g_dup(g_self(), RIGHT_WAIT | RIGHT_TRANSFER);
	long r = vm_call(m, m->send, VMGR_CONNECT, 0, me, &rs);
	if (r)
		return r;
	if (m->nh != 2)
		return -1001;
	m->conn = m->h[0];
	m->pager = m->h[1];
	m->id = rs.val;
	return 0;
}

/* This task's record in the usage report. */
static long my_usage(struct vm *m, struct vmgr_usage *out)
{
	uint64_t me = g_koid(g_self()), after = 0;
	for (;;) {
		struct vmgr_resp rs;
		long r = vm_call(m, m->send, VMGR_USAGE, after, 0, &rs);
		if (r)
			return r;
		const struct vmgr_usage *u =
			(const struct vmgr_usage *)(m->ans + sizeof(rs));
		for (uint32_t i = 0; i < rs.count; i++) {
			if (u[i].koid == me) {
				*out = u[i];
				return 0;
			}
			after = u[i].koid;
		}
		if (rs.count < VMGR_USAGE_MAX)
			return ERR_NOT_FOUND;
	}
}

GTEST(vmgr_shared_buffers_on_the_ledger)
{
	gtest_allow_growth(); /* maps into this task */
	struct vm m;
	GCHECK_OK(vm_start(&m));
	long r = vm_connect(&m);
	struct vmgr_resp rs = {0};
	long a = r ? r : vm_call(&m, m.conn, VMGR_BUF_ALLOC, 3 * PAGE, 0, &rs);
	handle_t buf = a == 0 && m.nh == 1 ? m.h[0] : 0;
	uint64_t id = rs.val;
	struct vmgr_resp info = {0};
	long i1 = vm_call(&m, m.conn, VMGR_INFO, 0, 0, &info);
	/* The buffer is a grant: mapped twice here, written through one
	 * mapping, read through the other; no MANAGE, so no revoke. */
	uint64_t addr = 0, addr2 = 0, seen = 0;
	long revoke = 0;
	if (buf) {
		uint32_t rw = VM_PROT_READ | VM_PROT_WRITE;
		if (sys_grant_map(g_self(), buf, rw, 0, &addr) == 0 &&
		    sys_grant_map(g_self(), buf, VM_PROT_READ, 0, &addr2) ==
			    0) {
			*(volatile uint64_t *)(addr + 2 * PAGE) = 0x5eed;
			seen = *(volatile uint64_t *)(addr2 + 2 * PAGE);
		}
		revoke = sys_grant_revoke(buf);
	}
	struct vmgr_usage u = {0};
	long ur = my_usage(&m, &u);
	/* Over the ledger: 16 MiB by default. */
	struct vmgr_resp big;
	long over = vm_call(&m, m.conn, VMGR_BUF_ALLOC, 17ull << 20, 0, &big);
	long rel = vm_call(&m, m.conn, VMGR_BUF_RELEASE, id, 0, &rs);
	long rel2 = vm_call(&m, m.conn, VMGR_BUF_RELEASE, id, 0, &rs);
	/* Released, still ours while we hold it (and on the ledger). */
	uint64_t after = 0;
	if (addr) {
		*(volatile uint64_t *)(addr + PAGE) = 0xa11;
		after = *(volatile uint64_t *)(addr2 + PAGE);
		sys_grant_unmap(g_self(), addr);
		sys_grant_unmap(g_self(), addr2);
	}
	struct vmgr_resp info2 = {0};
	vm_call(&m, m.conn, VMGR_INFO, 0, 0, &info2);
	/* On the service endpoint (no connection): refused. */
	long noconn = vm_call(&m, m.send, VMGR_BUF_ALLOC, PAGE, 0, &rs);
	/* Our handle was the last hold on the memory: off the ledger. */
	struct vmgr_resp info3 = {0};
	if (buf)
		sys_handle_close(buf);
	vm_call(&m, m.conn, VMGR_INFO, 0, 0, &info3);
	vm_stop(&m);
	GCHECK_OK(r);
	GCHECK_OK(a);
	GCHECK(buf);
	GCHECK_OK(i1);
	GCHECK_EQ(info.val2, 3 * PAGE);
	GCHECK_EQ(seen, 0x5eed);
	GCHECK_ERR(revoke, ERR_ACCESS_DENIED);
	GCHECK_EQ(after, 0xa11);
	GCHECK_OK(ur);
	GCHECK_EQ(u.shared, 3 * PAGE);
	GCHECK(u.quota > 0 && u.used > 0);
	GCHECK_ERR(over, ERR_NO_MEMORY);
	GCHECK_OK(rel);
	GCHECK_ERR(rel2, ERR_NOT_FOUND);
	GCHECK_EQ(info2.val2, 3 * PAGE);
	GCHECK_EQ(info3.val2, 0);
	GCHECK_ERR(noconn, ERR_BAD_STATE);
}

/* Lazily committed memory: a 64-page pager object on vmgr's pager
 * endpoint; touched pages arrive zeroed (and writable), each charged to
 * this task's own quota, counted in the usage report. */
#define LAZY_PAGES 64
GTEST(vmgr_lazy_memory_zero_filled_on_touch)
{
	gtest_allow_growth();
	struct vm m;
	GCHECK_OK(vm_start(&m));
	long r = vm_connect(&m);
	handle_t v = 0, give = 0;
	if (!r)
		r = sys_pager_vmo_create(m.pager, 42, LAZY_PAGES * PAGE, &v);
	if (!r)
		give = g_dup(v, RIGHT_SAME);
	struct vmgr_resp rs;
	long lz = r ? r : vm_call(&m, m.conn, VMGR_LAZY, 42, give, &rs);
	long dup = r ? r
		     : vm_call(&m, m.conn, VMGR_LAZY, 42, g_dup(v, RIGHT_SAME),
			       &rs);
	struct kernel_stats k0, k1;
	g_stats(&k0);
	uint64_t addr = 0;
	long mp = -1, zero = 1;
	if (!lz) {
		struct vm_map_req req = {.len = LAZY_PAGES * PAGE,
					 .prot = VM_PROT_READ | VM_PROT_WRITE};
		mp = sys_vm_map(g_self(), v, &req, &addr);
	}
	/* Touch 4 pages 20 apart: 4 faults, each supplied with 15 more
	 * pages ahead (the last one cut at the end of the object). */
	if (!mp)
		for (int i = 0; i < 4; i++) {
			volatile uint64_t *p =
				(volatile uint64_t *)(addr + i * 20 * PAGE);
			zero &= p[7] == 0;
			p[7] = (uint64_t)i + 1;
			zero &= p[7] == (uint64_t)i + 1;
		}
	g_stats(&k1);
	struct vmgr_usage u = {0};
	long ur = my_usage(&m, &u);
	long relz = vm_call(&m, m.conn, VMGR_LAZY_RELEASE, 42, 0, &rs);
	if (!mp)
		sys_vm_unmap(g_self(), addr, LAZY_PAGES * PAGE);
	if (v)
		sys_handle_close(v);
	vm_stop(&m);
	GCHECK_OK(r);
	GCHECK_OK(lz);
	GCHECK_ERR(dup, ERR_ALREADY_EXISTS);
	GCHECK_OK(mp);
	GCHECK(zero);
	GCHECK_OK(ur);
	GCHECK_EQ(u.lazy_pages, 16 + 16 + 16 + 4);
	/* 52 pages (plus page tables) charged to us, not the 64. */
	GCHECK(k1.mem_used >= k0.mem_used + 52 * PAGE);
	GCHECK(k1.mem_used < k0.mem_used + 60 * PAGE);
	GCHECK_OK(relz);
}

/* vmgr killed (as the supervisor would) while we hold its endpoints: the
 * next call fails at once with ERR_PEER_CLOSED (a fault on its lazy
 * memory would fail the same way: t_pager.c's pager_death test), and a
 * new instance serves a new connection. */
GTEST(vmgr_restart_while_a_client_runs)
{
	gtest_allow_growth();
	struct vm m;
	GCHECK_OK(vm_start(&m));
	GCHECK_OK(vm_connect(&m));
	struct vmgr_resp br;
	GCHECK_OK(vm_call(&m, m.conn, VMGR_BUF_ALLOC, PAGE, 0, &br));
	handle_t buf = m.h[0];
	GCHECK_OK(sys_task_kill(m.c.task, -1));
	int64_t st;
	GCHECK_OK(sys_object_wait(m.c.task, g_now() + WAIT_NS, &st));
	struct vmgr_resp rs;
	uint64_t t0 = g_now();
	long dead = vm_call(&m, m.conn, VMGR_INFO, 0, 0, &rs);
	long dead2 = vm_call(&m, m.send, VMGR_USAGE, 0, 0, &rs);
	uint64_t took = g_now() - t0;
	handle_t v = 0;
	long pv = sys_pager_vmo_create(m.pager, 1, PAGE, &v);
	if (!pv)
		sys_handle_close(v);
	/* A shared buffer outlives the vmgr that made it. */
	uint64_t addr = 0, got = 0;
	long gm = sys_grant_map(g_self(), buf, VM_PROT_READ | VM_PROT_WRITE, 0,
				&addr);
	if (!gm) {
		*(volatile uint64_t *)addr = 77;
		got = *(volatile uint64_t *)addr;
		sys_grant_unmap(g_self(), addr);
	}
	sys_handle_close(buf);
	vm_stop(&m);
	GCHECK_OK(gm);
	GCHECK_EQ(got, 77);
	GCHECK_ERR(dead, ERR_PEER_CLOSED);
	GCHECK_ERR(dead2, ERR_PEER_CLOSED);
	GCHECK(took < 100 * MS);
	GCHECK_OK(pv);
	/* The new instance. */
	GCHECK_OK(vm_start(&m));
	long c = vm_connect(&m);
	long i = c ? c : vm_call(&m, m.conn, VMGR_INFO, 0, 0, &rs);
	vm_stop(&m);
	GCHECK_OK(c);
	GCHECK_OK(i);
}

/* Bad requests get clean errors; handles sent with them come back
 * closed, never kept. */
GTEST(vmgr_bad_requests)
{
	struct vm m;
	GCHECK_OK(vm_start(&m));
	struct vmgr_resp rs;
	/* connect without a task handle, with a non-task handle */
	long c0 = vm_call(&m, m.send, VMGR_CONNECT, 0, 0, &rs);
	handle_t n;
	sys_notif_create(&n);
	long c1 = vm_call(&m, m.send, VMGR_CONNECT, 0, n, &rs);
	/* Another task's handle: vmgr checks it against port_rx.sender. */
	handle_t other = HANDLE_INVALID;
	long cot = sys_task_create(g_self(), "other", 5, 1ull << 16, &other);
	if (!cot)
		cot = vm_call(&m, m.send, VMGR_CONNECT, 0, other, &rs);
	long c2 = vm_connect(&m);
	long op = vm_call(&m, m.conn, 99, 0, 0, &rs);
	long z = vm_call(&m, m.conn, VMGR_BUF_ALLOC, 0, 0, &rs);
	long lz = vm_call(&m, m.conn, VMGR_LAZY, 1, 0, &rs);
	handle_t plain;
	sys_vmo_create(PAGE, &plain);
	long lz2 = vm_call(&m, m.conn, VMGR_LAZY, 1, plain, &rs);
	/* A quota loan only for init's control endpoint, never a client. */
	long gq = vm_call(&m, m.conn, VMGR_GIVE_QUOTA, 0,
			  g_dup(g_self(), RIGHT_MANAGE | RIGHT_TRANSFER), &rs);
	long gq2 = vm_call(&m, m.send, VMGR_GIVE_QUOTA, 0,
			   g_dup(g_self(), RIGHT_MANAGE | RIGHT_TRANSFER), &rs);
	/* A message of the wrong size. */
	uint8_t junk[3] = {1, 2, 3};
	struct port_msg msg = {.data = junk, .len = 3};
	struct port_rx rx = {.buf = m.ans, .cap = sizeof(m.ans)};
	long j = sys_port_call(m.conn, &msg, &rx, g_now() + WAIT_NS);
	int32_t jerr = 0;
	memcpy(&jerr, m.ans, 4);
	vm_stop(&m);
	GCHECK_ERR(c0, ERR_INVALID_ARGS);
	GCHECK_ERR(c1, ERR_INVALID_ARGS);
	GCHECK_ERR(cot, ERR_ACCESS_DENIED);
	GCHECK_OK(c2);
	GCHECK_ERR(op, ERR_NOT_SUPPORTED);
	GCHECK_ERR(z, ERR_INVALID_ARGS);
	GCHECK_ERR(lz, ERR_INVALID_ARGS);
	GCHECK_ERR(lz2, ERR_INVALID_ARGS);
	GCHECK_ERR(gq, ERR_NOT_SUPPORTED);
	GCHECK_ERR(gq2, ERR_NOT_SUPPORTED);
	GCHECK_OK(j);
	GCHECK_EQ(jerr, ERR_INVALID_ARGS);
}

/* A stand-in for one fsd open file (fs_proto.h: FS_FSTAT, FS_PREAD) of
 * FILE_SIZE pattern bytes, served by a thread of this task until a plain
 * message arrives. */
#define FILE_SIZE (2 * PAGE + 100)
static handle_t ff_recv;
static int ff_preads, ff_bulk; /* ff_bulk: it offers bulk windows */
static handle_t ff_grant;
static uint64_t ff_win; /* the window, as mapped here */

static uint8_t file_byte(uint64_t off)
{
	return (uint8_t)(off * 7 + 3);
}

static int64_t fake_file(uint64_t arg)
{
	(void)arg;
	static uint8_t in[PORT_MSG_MAX], outb[PORT_MSG_MAX];
	const uint32_t rw = VM_PROT_READ | VM_PROT_WRITE;
	for (;;) {
		struct port_rx rx = {.buf = in, .cap = sizeof(in)};
		if (sys_port_recv(ff_recv, &rx, g_now() + WAIT_NS) < 0 ||
		    !rx.reply)
			return 0;
		struct fs_req rq;
		struct fs_resp rs = {.err = -FS_ENOSYS};
		uint32_t n = 0;
		handle_t give = 0;
		memcpy(&rq, in, sizeof(rq));
		if (rq.op == FS_FSTAT) {
			struct fs_stat st = {.size = FILE_SIZE,
					     .mode = FS_MODE_REG | 0444};
			memcpy(outb + sizeof(rs), &st, sizeof(st));
			n = sizeof(st);
			rs.err = 0;
		} else if (rq.op == FS_BULK_SETUP && ff_bulk && !ff_grant &&
			   rq.c == 16 * PAGE &&
			   sys_grant_create(g_self(), 0, rq.c, rw, &ff_grant) ==
				   0 &&
			   sys_grant_map(g_self(), ff_grant, rw, 0, &ff_win) ==
				   0) {
			rs.err = 0; /* slot 0; the grant without MANAGE */
			give = g_dup(ff_grant, RIGHT_READ | RIGHT_WRITE |
						       RIGHT_MAP |
						       RIGHT_TRANSFER);
		} else if (rq.op == FS_PREAD && (rq.flags & FS_IO_BULK)) {
			ff_preads++;
			uint64_t k = 0;
			for (; ff_win && rq.b == 0 && k < rq.c &&
			       k < 16 * PAGE && rq.a + k < FILE_SIZE;
			     k++)
				((uint8_t *)ff_win)[k] = file_byte(rq.a + k);
			rs.err = ff_win ? 0 : -FS_EINVAL;
			rs.val = k;
		} else if (rq.op == FS_PREAD) {
			ff_preads++;
			uint64_t c =
				rq.c < FS_INLINE_MAX ? rq.c : FS_INLINE_MAX;
			for (; n < c && rq.a + n < FILE_SIZE; n++)
				outb[sizeof(rs) + n] = file_byte(rq.a + n);
			rs.err = 0;
			rs.val = n;
		}
		memcpy(outb, &rs, sizeof(rs));
		struct port_msg m = {.data = outb,
				     .len = sizeof(rs) + n,
				     .nhandles = give ? 1 : 0,
				     .handles = &give};
		sys_port_reply(rx.reply, &m);
	}
}

/* A read-only file mapping: the pages come through the file's endpoint,
 * zeros after the end of the file: inline (3 KiB reads, 5 of them) when
 * the file offers no bulk window, else one bulk read for the two whole
 * pages and one inline read for the last. */
static void file_mapping(int bulk)
{
	gtest_allow_growth();
	struct vm m;
	GCHECK_OK(vm_start(&m));
	handle_t fsend = 0, v = 0;
	long r = vm_connect(&m);
	if (!r)
		r = sys_port_create(0, &ff_recv, &fsend);
	ff_preads = 0;
	ff_bulk = bulk;
	ff_grant = 0;
	ff_win = 0;
	struct gthread t;
	int started = !r && gthread_start(&t, fake_file, 0) == 0;
	if (!r)
		r = sys_pager_vmo_create(m.pager, 77, 3 * PAGE, &v);
	struct vmgr_resp rs = {0};
	if (!r) {
		handle_t give[2] = {g_dup(v, RIGHT_SAME),
				    g_dup(fsend, RIGHT_SAME)};
		struct vmgr_req rq = {.op = VMGR_MAP_FILE, .a = 77};
		struct port_msg msg = {.data = &rq,
				       .len = sizeof(rq),
				       .nhandles = 2,
				       .handles = give};
		struct port_rx rx = {.buf = m.ans, .cap = sizeof(m.ans)};
		r = sys_port_call(m.conn, &msg, &rx, g_now() + WAIT_NS);
		memcpy(&rs, m.ans, sizeof(rs));
		if (!r)
			r = rs.err;
	}
	uint64_t addr = 0;
	int same = 1;
	long mp = -1;
	if (!r) {
		struct vm_map_req req = {.len = 3 * PAGE, .prot = VM_PROT_READ};
		mp = sys_vm_map(g_self(), v, &req, &addr);
	}
	if (!mp) {
		for (uint64_t o = 0; o < 3 * PAGE; o++)
			same &= ((volatile uint8_t *)addr)[o] ==
				(o < FILE_SIZE ? file_byte(o) : 0);
		sys_vm_unmap(g_self(), addr, 3 * PAGE);
	}
	if (started) {
		struct port_msg stop = {0};
		sys_port_send(fsend, &stop, DEADLINE_NONE);
		gthread_join(&t, g_now() + WAIT_NS, NULL);
	}
	vm_stop(&m); /* vmgr's window mapping goes with it */
	if (v)
		sys_handle_close(v);
	sys_handle_close(fsend);
	sys_handle_close(ff_recv);
	if (ff_win)
		sys_grant_unmap(g_self(), ff_win);
	if (ff_grant)
		sys_handle_close(ff_grant);
	GCHECK_OK(r);
	GCHECK(started);
	GCHECK_EQ(rs.val, FILE_SIZE);
	GCHECK_OK(mp);
	GCHECK(same);
	/* inline: 3072 + 1024, 3072 + 1024, 100; bulk: one read for the
	 * whole pages, the last (100 bytes) inline */
	GCHECK_EQ(ff_preads, bulk ? 2 : 5);
	GCHECK_EQ(ff_win != 0, bulk);
}

GTEST(vmgr_file_backed_mapping_inline)
{
	file_mapping(0);
}

GTEST(vmgr_file_backed_mapping_bulk)
{
	file_mapping(1);
}

/* The real thing: fsd (a child, with names) serves /boot/share/lines.txt
 * (200 lines of 61 bytes: 12,200 bytes); vmgr maps it through fsd's bulk
 * window; the three pages read back as the file, zeros after its end. */
GTEST(vmgr_maps_a_file_from_fsd)
{
	gtest_allow_growth();
	struct fsd_env e;
	long r = fenv_start(&e, "");
	if (r == 1)
		return; /* no fsd in this initrd */
	struct vm m = {0};
	handle_t conn = r ? 0 : fconnect(e.pub), file = 0, v = 0;
	static struct fans a;
	if (!r && !conn)
		r = ERR_BAD_STATE;
	if (!r)
		r = fcall(conn, FS_OPEN, FS_O_READ, 0, 0, 0,
			  "/boot/share/lines.txt", NULL, NULL, 0, NULL, 0, &a);
	if (!r && (a.err || a.nh != 1))
		r = -1000 + a.err;
	if (!r)
		file = a.h[0];
	if (!r)
		r = vm_start(&m);
	if (!r)
		r = vm_connect(&m);
	if (!r)
		r = sys_pager_vmo_create(m.pager, 5, 3 * PAGE, &v);
	struct vmgr_resp rs = {0};
	if (!r) {
		handle_t give[2] = {g_dup(v, RIGHT_SAME), file};
		struct vmgr_req rq = {.op = VMGR_MAP_FILE, .a = 5};
		struct port_msg msg = {.data = &rq,
				       .len = sizeof(rq),
				       .nhandles = 2,
				       .handles = give};
		struct port_rx rx = {.buf = m.ans, .cap = sizeof(m.ans)};
		r = sys_port_call(m.conn, &msg, &rx, g_now() + WAIT_NS);
		memcpy(&rs, m.ans, sizeof(rs));
		if (!r)
			r = rs.err;
		file = 0; /* moved */
	}
	uint64_t addr = 0;
	long mp = -1, bad = -1;
	if (!r) {
		struct vm_map_req req = {.len = 3 * PAGE, .prot = VM_PROT_READ};
		mp = sys_vm_map(g_self(), v, &req, &addr);
	}
	if (!mp) {
		bad = 0;
		for (int i = 0; i < 200; i++) {
			char line[80];
			snprintf(line, sizeof(line),
				 "line %03d of 200: the quick brown fox jumps "
				 "over the lazy dog\n",
				 i + 1);
			bad += memcmp((const char *)addr + i * 61, line, 61) !=
			       0;
		}
		for (uint64_t o = 12200; o < 3 * PAGE; o++)
			bad += ((volatile uint8_t *)addr)[o] != 0;
		sys_vm_unmap(g_self(), addr, 3 * PAGE);
	}
	vm_stop(&m);
	if (v)
		sys_handle_close(v);
	if (file)
		sys_handle_close(file);
	if (conn)
		sys_handle_close(conn);
	fenv_stop(&e);
	GCHECK_OK(r);
	GCHECK_EQ(rs.val, 12200);
	GCHECK_OK(mp);
	GCHECK_EQ(bad, 0);
}

/* The client library (libs/sdk-c/vmgr_client.c) end to end: lazy memory,
 * a shared buffer, a file from fsd. */
GTEST(vmgr_client_library)
{
	gtest_allow_growth();
	struct fsd_env e;
	long fr = fenv_start(&e, "");
	struct vm m;
	long r = vm_start(&m);
	struct vmgr_client cl;
	if (!r)
		r = vmgr_client_attach(&cl, g_dup(m.send, RIGHT_SAME));
	/* Lazy: 64 pages reserved, 2 touched. */
	uint64_t lz = 0, before = 0, after = 0;
	handle_t lv = 0;
	long lr = r ? r : vmgr_lazy_map(&cl, 64 * PAGE, &lz, &lv);
	struct kernel_stats k;
	if (!lr && !g_stats(&k))
		before = k.mem_used;
	int zero = 1;
	for (int i = 0; !lr && i < 2; i++) {
		volatile uint8_t *p = (volatile uint8_t *)(lz + i * 40 * PAGE);
		zero &= p[9] == 0;
		p[9] = 1;
	}
	if (!lr && !g_stats(&k))
		after = k.mem_used;
	/* A buffer. */
	handle_t g = 0;
	uint64_t id = 0, ga = 0;
	long br = r ? r : vmgr_buffer(&cl, 2 * PAGE, &g, &id);
	if (!br &&
	    !sys_grant_map(g_self(), g, VM_PROT_READ | VM_PROT_WRITE, 0, &ga)) {
		*(volatile uint64_t *)ga = 5;
		sys_grant_unmap(g_self(), ga);
	}
	long rel = br ? br : vmgr_release(&cl, id);
	/* A file. */
	uint64_t faddr = 0, fsize = 0;
	handle_t fv = 0, conn = 0;
	long mr = fr ? fr : r;
	static struct fans a;
	if (!mr && !(conn = fconnect(e.pub)))
		mr = ERR_BAD_STATE;
	if (!mr)
		mr = fcall(conn, FS_OPEN, FS_O_READ, 0, 0, 0,
			   "/boot/share/motd", NULL, NULL, 0, NULL, 0, &a);
	if (!mr && (a.err || a.nh != 1))
		mr = -1000 + a.err;
	char head[8] = "";
	if (!mr) {
		mr = vmgr_map_file(&cl, a.h[0], PAGE, &faddr, &fv, &fsize);
		sys_handle_close(a.h[0]); /* vmgr has its own */
	}
	if (!mr)
		memcpy(head, (const void *)faddr, 7);
	if (faddr)
		sys_vm_unmap(g_self(), faddr, PAGE);
	if (lz)
		sys_vm_unmap(g_self(), lz, 64 * PAGE);
	sys_handle_close(fv);
	sys_handle_close(lv);
	sys_handle_close(g);
	sys_handle_close(conn);
	if (!r)
		vmgr_client_close(&cl);
	vm_stop(&m);
	if (fr != 1)
		fenv_stop(&e);
	GCHECK_OK(r);
	GCHECK_OK(lr);
	GCHECK(zero);
	/* 2 pages touched, 2 x 16 supplied (read-ahead) of the 64. */
	GCHECK(after >= before + 32 * PAGE && after < before + 40 * PAGE);
	GCHECK_OK(br);
	GCHECK_OK(rel);
	if (fr == 1)
		return; /* no fsd */
	GCHECK_OK(mr);
	GCHECK_EQ(fsize, 196);
	GCHECK(head[0] != 0);
}
