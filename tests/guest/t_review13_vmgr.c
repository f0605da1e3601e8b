/* review13: vmgr against a hostile "file" (VMGR_MAP_FILE takes any
 * endpoint that answers FS_FSTAT as a regular file): the bulk window it
 * hands vmgr is its own grant, which it may revoke whenever it likes. */
#include <string.h>

#include <execrt/fs_proto.h>
#include <execrt/vmgr_proto.h>

#include "fsd_env.h"
#include "gtest.h"
#include "gutil.h"

#define WAIT_NS	  (5000 * MS)
#define HF_SIZE	  (3 * PAGE)
#define HF_WINDOW (16 * PAGE)

static handle_t hf_recv, hf_grant;
static uint64_t hf_win;
static int hf_revoked;

/* Answers like a file of HF_SIZE bytes with a bulk window, but revokes
 * the window before answering the first bulk read (claiming it filled
 * it). */
static int64_t hostile_file(uint64_t arg)
{
	(void)arg;
	static uint8_t in[PORT_MSG_MAX], outb[PORT_MSG_MAX];
	const uint32_t rw = VM_PROT_READ | VM_PROT_WRITE;
	for (;;) {
		struct port_rx rx = {.buf = in, .cap = sizeof(in)};
		if (sys_port_recv(hf_recv, &rx, g_now() + WAIT_NS) < 0 ||
		    !rx.reply)
			return 0;
		struct fs_req rq;
		struct fs_resp rs = {.err = -FS_ENOSYS};
		uint32_t n = 0;
		handle_t give = 0;
		memcpy(&rq, in, sizeof(rq));
		if (rq.op == FS_FSTAT) {
			struct fs_stat st = {.size = HF_SIZE,
					     .mode = FS_MODE_REG | 0444};
			memcpy(outb + sizeof(rs), &st, sizeof(st));
			n = sizeof(st);
			rs.err = 0;
		} else if (rq.op == FS_BULK_SETUP && !hf_grant &&
			   rq.c == HF_WINDOW &&
			   sys_grant_create(g_self(), 0, rq.c, rw, &hf_grant) ==
				   0 &&
			   sys_grant_map(g_self(), hf_grant, rw, 0, &hf_win) ==
				   0) {
			rs.err = 0;
			give = g_dup(hf_grant, RIGHT_READ | RIGHT_WRITE |
						       RIGHT_MAP |
						       RIGHT_TRANSFER);
		} else if (rq.op == FS_PREAD && (rq.flags & FS_IO_BULK)) {
			hf_revoked = sys_grant_revoke(hf_grant) == 0;
			rs.err = 0;
			rs.val = rq.c < 100 ? rq.c : 100; /* a partial page */
		}
		memcpy(outb, &rs, sizeof(rs));
		struct port_msg m = {.data = outb,
				     .len = sizeof(rs) + n,
				     .nhandles = give ? 1 : 0,
				     .handles = &give};
		sys_port_reply(rx.reply, &m);
	}
}

static long call(handle_t ep, struct vmgr_req *rq, handle_t *give,
		 uint32_t ngive, struct vmgr_resp *rs, handle_t *got,
		 uint32_t *ngot)
{
	static uint8_t ans[PORT_MSG_MAX];
	struct port_msg msg = {.data = rq,
			       .len = sizeof(*rq),
			       .nhandles = ngive,
			       .handles = give};
	struct port_rx rx = {.buf = ans,
			     .cap = sizeof(ans),
			     .handles = got,
			     .hcap = got ? 2 : 0};
	long r = sys_port_call(ep, &msg, &rx, g_now() + WAIT_NS);
	if (r < 0)
		return r;
	if (ngot)
		*ngot = rx.nhandles;
	if (rx.len < sizeof(*rs))
		return -1000;
	memcpy(rs, ans, sizeof(*rs));
	return rs->err;
}

/* Before the fix vmgr zeroed the window's tail itself and died of the
 * revoked page: every client lost its buffers' ledger and lazy memory.
 * Now only that fault fails (the kernel's copy from the window does) and
 * vmgr goes on answering. */
GTEST(review13_vmgr_survives_a_revoked_file_window)
{
	gtest_allow_growth();
	handle_t recv, send, conn = 0, pager = 0, fsend = 0, v = 0, tmp = 0;
	struct child c = {0};
	GCHECK_OK(sys_port_create(0, &recv, &send));
	g_spawn_sysinfo = g_sysinfo();
	long r = g_spawn_ex("vmgr", "@", 4ull << 20, 0, recv, RIGHT_SAME, &c);
	g_spawn_sysinfo = HANDLE_INVALID;
	if (r < 0)
		sys_handle_close(recv);
	struct vmgr_resp rs = {0};
	if (!r) {
		handle_t me = g_dup(g_self(), RIGHT_WAIT | RIGHT_TRANSFER);
		handle_t got[2];
		uint32_t ngot = 0;
		struct vmgr_req rq = {.op = VMGR_CONNECT};
		r = call(send, &rq, &me, 1, &rs, got, &ngot);
		if (!r && ngot == 2) {
			conn = got[0];
			pager = got[1];
		} else if (!r) {
			r = -1001;
		}
	}
	hf_grant = 0;
	hf_win = 0;
	hf_revoked = 0;
	if (!r)
		r = sys_port_create(0, &hf_recv, &fsend);
	struct gthread t;
	int started = !r && gthread_start(&t, hostile_file, 0) == 0;
	if (!r)
		r = sys_pager_vmo_create(pager, 5, HF_SIZE, &v);
	if (!r) {
		handle_t give[2] = {g_dup(v, RIGHT_SAME),
				    g_dup(fsend, RIGHT_SAME)};
		struct vmgr_req rq = {.op = VMGR_MAP_FILE, .a = 5};
		r = call(conn, &rq, give, 2, &rs, NULL, NULL);
	}
	uint64_t addr = 0;
	long mp = -1, copy = -1, info = -1;
	if (!r) {
		struct vm_map_req req = {.len = HF_SIZE, .prot = VM_PROT_READ};
		mp = sys_vm_map(g_self(), v, &req, &addr);
	}
	if (!mp && !sys_vmo_create(PAGE, &tmp)) {
		/* A kernel copy from the mapping: its fault goes to vmgr, and a
		 * failed one is an error code here, not a fault report. */
		copy = sys_vmo_write(tmp, (const void *)addr, 0, PAGE);
		struct vmgr_req rq = {.op = VMGR_INFO};
		info = call(conn, &rq, NULL, 0, &rs, NULL, NULL);
	}
	if (!mp)
		sys_vm_unmap(g_self(), addr, HF_SIZE);
	if (started) {
		struct port_msg stop = {0};
		sys_port_send(fsend, &stop, DEADLINE_NONE);
		gthread_join(&t, g_now() + WAIT_NS, NULL);
	}
	int64_t st = 0;
	if (c.task)
		g_reap(&c, 0, &st);
	handle_t hs[] = {send, conn, pager, fsend, v, tmp, hf_recv, hf_grant};
	for (unsigned i = 0; i < sizeof(hs) / sizeof(hs[0]); i++)
		if (hs[i])
			sys_handle_close(hs[i]);
	hf_recv = 0;
	if (hf_win)
		sys_grant_unmap(g_self(), hf_win); /* gone with the revoke */
	GCHECK_OK(r);
	GCHECK(started);
	GCHECK_OK(mp);
	GCHECK(hf_revoked);
	GCHECK_ERR(copy, ERR_FAULT);
	GCHECK_OK(info); /* vmgr is alive */
}

/* The same with the real fsd, deterministic: the client keeps its own
 * handle of the open file it gave vmgr, frees the file's bulk window
 * (slot 0, vmgr's: fsd revokes it) and sets up one of its own in that
 * slot. vmgr's next bulk read lands in the client's window and vmgr used
 * to zero its own revoked one: it died. */
GTEST(review13_vmgr_survives_a_client_freeing_the_fsd_window)
{
	gtest_allow_growth();
	struct fsd_env e;
	long r = fenv_start(&e, "");
	if (r == 1)
		return; /* no fsd in this initrd */
	static struct fans a;
	handle_t conn = r ? 0 : fconnect(e.pub), file = 0, v = 0, tmp = 0;
	handle_t recv = 0, send = 0, vconn = 0, pager = 0, win = 0;
	struct child c = {0};
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
		r = sys_port_create(0, &recv, &send);
	if (!r) {
		g_spawn_sysinfo = g_sysinfo();
		r = g_spawn_ex("vmgr", "@", 4ull << 20, 0, recv, RIGHT_SAME,
			       &c);
		g_spawn_sysinfo = HANDLE_INVALID;
		if (r < 0)
			sys_handle_close(recv);
	}
	struct vmgr_resp rs = {0};
	if (!r) {
		handle_t me = g_dup(g_self(), RIGHT_WAIT | RIGHT_TRANSFER);
		handle_t got[2];
		uint32_t ngot = 0;
		struct vmgr_req rq = {.op = VMGR_CONNECT};
		r = call(send, &rq, &me, 1, &rs, got, &ngot);
		if (!r && ngot == 2) {
			vconn = got[0];
			pager = got[1];
		} else if (!r) {
			r = -1001;
		}
	}
	if (!r)
		r = sys_pager_vmo_create(pager, 5, 3 * PAGE, &v);
	if (!r) {
		handle_t give[2] = {g_dup(v, RIGHT_SAME),
				    g_dup(file, RIGHT_SAME)};
		struct vmgr_req rq = {.op = VMGR_MAP_FILE, .a = 5};
		r = call(vconn, &rq, give, 2, &rs, NULL, NULL);
	}
	long freed = -1, setup = -1;
	if (!r && !(freed = fcall(file, FS_BULK_FREE, 0, 0, 0, 0, NULL, NULL,
				  NULL, 0, NULL, 0, &a)))
		freed = a.err;
	if (!freed && !(setup = fcall(file, FS_BULK_SETUP, 0, 0, 0, HF_WINDOW,
				      NULL, NULL, NULL, 0, NULL, 0, &a))) {
		setup = a.err ? a.err : (long)a.val; /* the slot */
		win = a.nh ? a.h[0] : 0;
	}
	uint64_t addr = 0;
	long mp = -1, copy = -1, info = -1;
	if (!r) {
		struct vm_map_req req = {.len = 3 * PAGE, .prot = VM_PROT_READ};
		mp = sys_vm_map(g_self(), v, &req, &addr);
	}
	if (!mp && !sys_vmo_create(PAGE, &tmp)) {
		copy = sys_vmo_write(tmp, (const void *)addr, 0, PAGE);
		struct vmgr_req rq = {.op = VMGR_INFO};
		info = call(vconn, &rq, NULL, 0, &rs, NULL, NULL);
	}
	if (!mp)
		sys_vm_unmap(g_self(), addr, 3 * PAGE);
	if (c.task)
		g_reap(&c, 0, NULL);
	handle_t hs[] = {send, vconn, pager, v, tmp, win, file, conn};
	for (unsigned i = 0; i < sizeof(hs) / sizeof(hs[0]); i++)
		if (hs[i])
			sys_handle_close(hs[i]);
	fenv_stop(&e);
	GCHECK_OK(r);
	GCHECK_OK(freed);
	GCHECK_EQ(setup, 0);
	GCHECK_OK(mp);
	GCHECK_ERR(copy, ERR_FAULT);
	GCHECK_OK(info); /* vmgr is alive */
}

/* One task connecting again and again: the fifth connection is refused
 * (it used to get all 64, each with a ledger of its own). */
GTEST(review13_vmgr_bounds_connections_per_task)
{
	gtest_allow_growth();
	handle_t recv, send, got[2 * 5] = {0};
	struct child c = {0};
	GCHECK_OK(sys_port_create(0, &recv, &send));
	g_spawn_sysinfo = g_sysinfo();
	long r = g_spawn_ex("vmgr", "@", 4ull << 20, 0, recv, RIGHT_SAME, &c);
	g_spawn_sysinfo = HANDLE_INVALID;
	if (r < 0)
		sys_handle_close(recv);
	long res[5] = {-1, -1, -1, -1, -1};
	for (int i = 0; !r && i < 5; i++) {
		handle_t me = g_dup(g_self(), RIGHT_WAIT | RIGHT_TRANSFER);
		struct vmgr_req rq = {.op = VMGR_CONNECT};
		struct vmgr_resp rs;
		uint32_t ngot = 0;
		res[i] = call(send, &rq, &me, 1, &rs, got + 2 * i, &ngot);
	}
	if (c.task)
		g_reap(&c, 0, NULL);
	for (int i = 0; i < 10; i++)
		if (got[i])
			sys_handle_close(got[i]);
	sys_handle_close(send);
	GCHECK_OK(r);
	for (int i = 0; i < 4; i++)
		GCHECK_OK(res[i]);
	GCHECK_ERR(res[4], ERR_NO_RESOURCES);
}
