/* fsd from a raw fs_proto.h client (docs/fsd.md), part two: /tmp full,
 * 1 MiB through a bulk window, device nodes, calls in flight, and fsd
 * killed and started again while a client runs. The harness checks the
 * kernel's counters after each. */
#include <string.h>

#include <execrt/errors.h>
#include <execrt/rights.h>
#include <execrt/sys.h>

#include "cl_ports.h"
#include "fsd_env.h"
#include "gtest.h"
#include "gutil.h"

GTEST(fsd_tmp_full_is_enospc)
{
	SETUP("--tmp-size 64K");
	long err;
	handle_t f = fs_open("/tmp/big", FS_O_WRITE | FS_O_CREATE, &err);
	FCHECK_EQ(err, 0);
	static uint8_t blk[3000];
	memset(blk, 'z', sizeof(blk));
	uint64_t total = 0;
	int full = 0;
	for (int i = 0; i < 40 && !full; i++) {
		long e = fs_write(f, blk, sizeof(blk));
		if (e == -FS_ENOSPC)
			full = 1;
		else {
			FCHECK_EQ(e, 0);
			total += fa.val;
		}
	}
	FCHECK(full);
	FCHECK(total > 32 * 1024 && total <= 64 * 1024);
	FCHECK(fs_status("tmp_used") <= 64 * 1024);
	/* New names do not fit either; fsd answers on. */
	int made = 0;
	for (; made < 200; made++) {
		char p[32];
		snprintf(p, sizeof(p), "/tmp/d%d", made);
		long e = fs(fc, FS_MKDIR, 0, 0755, 0, 0, p, NULL);
		if (e) {
			FCHECK_EQ(e, -FS_ENOSPC);
			break;
		}
	}
	FCHECK(made < 200);
	FCHECK_EQ(fs(fc, FS_NOP, 0, 0, 0, 0, NULL, NULL), 0);
	/* Space comes back. */
	FCHECK_EQ(fs(f, FS_FTRUNCATE, 0, 0, 0, 0, NULL, NULL), 0);
	FCHECK_EQ(fs_write(f, blk, sizeof(blk)), 0);
	FCHECK_EQ(fa.val, sizeof(blk));
	sys_handle_close(f);
	fs_teardown();
}

/* A window mapped here: its address (0 on failure). */
static uint64_t map_window(handle_t grant)
{
	uint64_t addr = 0;
	if (sys_grant_map(g_self(), grant, VM_PROT_READ | VM_PROT_WRITE, 0,
			  &addr) < 0)
		return 0;
	return addr;
}

GTEST(fsd_bulk_one_mib_round_trip)
{
	SETUP("--tmp-size 4M");
	long err;
	handle_t f =
		fs_open("/tmp/mib", FS_O_READ | FS_O_WRITE | FS_O_CREATE, &err);
	FCHECK_EQ(err, 0);
	FCHECK_EQ(fs(f, FS_BULK_SETUP, 0, 0, 0, 100, NULL, NULL), -FS_EINVAL);
	FCHECK_EQ(fs(f, FS_BULK_SETUP, 0, 0, 0, 256 << 10, NULL, NULL), 0);
	FCHECK_EQ(fa.nh, 1);
	handle_t grant = fa.h[0];
	uint64_t slot = fa.val;
	struct handle_info hi;
	FCHECK_EQ(sys_handle_info(grant, &hi), 0);
	FCHECK_EQ(hi.type, OBJ_GRANT);
	FCHECK(!(hi.rights & RIGHT_MANAGE));
	FCHECK_EQ(sys_grant_revoke(grant), ERR_ACCESS_DENIED);
	uint8_t *w = (uint8_t *)map_window(grant);
	FCHECK(w);
	const uint32_t W = 256 << 10, N = 1 << 20;
	for (uint32_t o = 0; o < N; o += W) {
		for (uint32_t i = 0; i < W; i += 4) {
			uint32_t v = (o + i) * 2654435761u;
			memcpy(w + i, &v, 4);
		}
		FCHECK_EQ(fs(f, FS_WRITE, FS_IO_BULK, 0, slot, W, NULL, NULL),
			  0);
		FCHECK_EQ(fa.val, W);
	}
	FCHECK_EQ(fs(f, FS_FSTAT, 0, 0, 0, 0, NULL, NULL), 0);
	struct fs_stat st;
	memcpy(&st, fa.data, sizeof(st));
	FCHECK_EQ(st.size, N);
	/* Read back through the window, at an odd offset too. */
	for (uint32_t o = 0; o < N; o += W) {
		memset(w, 0, W);
		FCHECK_EQ(
			fs(f, FS_PREAD, FS_IO_BULK, o + 3, slot, W, NULL, NULL),
			0);
		FCHECK_EQ(fa.val, o + W < N ? W : W - 3);
		FCHECK_EQ(fa.len, 0);
		/* Window byte i is file byte o + 3 + i: the word written at
		 * file offset o + 4 + i starts at window byte i + 1. */
		for (uint32_t i = 0; i + 1 + 4 <= fa.val; i += 4096) {
			uint32_t x, want = (o + i + 4) * 2654435761u;
			memcpy(&x, w + i + 1, 4);
			FCHECK_EQ(x, want);
		}
	}
	/* Inline reads see the same bytes. */
	FCHECK_EQ(fs(f, FS_PREAD, 0, 4096, 0, 8, NULL, NULL), 0);
	uint32_t x;
	memcpy(&x, fa.data, 4);
	FCHECK_EQ(x, 4096 * 2654435761u);
	/* Too much for the window; four windows per file, then EBUSY. */
	FCHECK_EQ(fs(f, FS_READ, FS_IO_BULK, 0, slot, W + 1, NULL, NULL),
		  -FS_EINVAL);
	handle_t more[3];
	for (int i = 0; i < 3; i++) {
		FCHECK_EQ(fs(f, FS_BULK_SETUP, 0, 0, 0, 4096, NULL, NULL), 0);
		more[i] = fa.h[0];
	}
	FCHECK_EQ(fs(f, FS_BULK_SETUP, 0, 0, 0, 4096, NULL, NULL), -FS_EBUSY);
	FCHECK_EQ(fs_status("bulk_bytes"), W + 3 * 4096);
	/* Freed: fsd revokes the grant (unmap first: the window goes). */
	FCHECK_EQ(sys_grant_unmap(g_self(), (uint64_t)w), 0);
	FCHECK_EQ(fs(f, FS_BULK_FREE, 0, 0, slot, 0, NULL, NULL), 0);
	uint64_t a2 = 0;
	FCHECK_EQ(sys_grant_map(g_self(), grant, VM_PROT_READ, 0, &a2),
		  ERR_BAD_STATE);
	sys_handle_close(grant);
	sys_handle_close(f); /* the other windows go with the file */
	FCHECK_EQ(fs_status("bulk_bytes"), 0);
	for (int i = 0; i < 3; i++) {
		FCHECK_EQ(
			sys_grant_map(g_self(), more[i], VM_PROT_READ, 0, &a2),
			ERR_BAD_STATE);
		sys_handle_close(more[i]);
	}
	fs_teardown();
}

GTEST(fsd_device_nodes)
{
	SETUP("--tmp-size 256K");
	handle_t dc = fconnect(fe.devpub);
	FCHECK(dc);
	handle_t drv_recv, drv_send;
	FCHECK_EQ(sys_port_create(0, &drv_recv, &drv_send), 0);
	/* Only a /drv/fsd connection may make nodes, only in /dev, and
	 * only for a send endpoint. (Attached handles move: duplicates.) */
	handle_t s2 = g_dup(drv_send, RIGHT_SAME);
	FCHECK_EQ(fs_h(fc, FS_MKNOD, 0, FS_MODE_CHR, 0, 0, "/dev/t0", NULL,
		       NULL, 0, &s2, 1),
		  -FS_EPERM);
	handle_t vmo;
	FCHECK_EQ(sys_vmo_create(4096, &vmo), 0); /* fsd closes it */
	FCHECK_EQ(fs_h(dc, FS_MKNOD, 0, FS_MODE_CHR, 0, 0, "/dev/t0", NULL,
		       NULL, 0, &vmo, 1),
		  -FS_EINVAL);
	s2 = g_dup(drv_send, RIGHT_SAME);
	FCHECK_EQ(fs_h(dc, FS_MKNOD, 0, FS_MODE_CHR, 0, 0, "/tmp/t0", NULL,
		       NULL, 0, &s2, 1),
		  -FS_EPERM);
	s2 = g_dup(drv_send, RIGHT_SAME);
	FCHECK_EQ(fs_h(dc, FS_MKNOD, 0, FS_MODE_CHR, 0, 0, "/dev/t0", NULL,
		       NULL, 0, &s2, 1),
		  0);
	FCHECK_EQ(fs(fc, FS_STAT, 0, 0, 0, 0, "/dev/t0", NULL), 0);
	struct fs_stat st;
	memcpy(&st, fa.data, sizeof(st));
	FCHECK_EQ(st.mode & FS_MODE_TYPE, FS_MODE_CHR);
	/* Opening it gives the driver's endpoint: a message reaches us. */
	FCHECK_EQ(fs(fc, FS_OPEN, FS_O_READ | FS_O_WRITE, 0, 0, 0, "/dev/t0",
		     NULL),
		  0);
	FCHECK_EQ(fa.flags, FS_RESP_DEVICE);
	handle_t dev = fa.h[0];
	struct port_msg pm = {.data = "hi", .len = 2};
	FCHECK_EQ(sys_port_send(dev, &pm, DEADLINE_POLL), 0);
	char b[4];
	struct port_rx rx = {.buf = b, .cap = sizeof(b)};
	FCHECK_EQ(sys_port_recv(drv_recv, &rx, DEADLINE_POLL), 0);
	FCHECK(rx.len == 2 && !memcmp(b, "hi", 2));
	sys_handle_close(dev);
	FCHECK_EQ(fs_status("files"), 0);
	/* Only its maker removes it; its connection's end removes it. */
	FCHECK_EQ(fs(fc, FS_UNLINK, 0, 0, 0, 0, "/dev/t0", NULL), -FS_EPERM);
	s2 = g_dup(drv_send, RIGHT_SAME);
	FCHECK_EQ(fs_h(dc, FS_MKNOD, 0, FS_MODE_CHR, 0, 0, "/dev/t1", NULL,
		       NULL, 0, &s2, 1),
		  0);
	FCHECK_EQ(fs(dc, FS_UNLINK, 0, 0, 0, 0, "/dev/t1", NULL), 0);
	FCHECK_EQ(fs_status("dev_nodes"), 1);
	sys_handle_close(dc);
	FCHECK_EQ(fs_status("dev_nodes"), 0);
	FCHECK_EQ(fs(fc, FS_STAT, 0, 0, 0, 0, "/dev/t0", NULL), -FS_ENOENT);
	sys_handle_close(drv_send);
	sys_handle_close(drv_recv);
	fs_teardown();
}

/* Calls in flight: threads of one connection, all runnable at once on
 * one CPU at a higher priority than anything fsd does, each with one
 * call: fsd takes them all in one go and refuses those beyond
 * FS_INFLIGHT_MAX with EAGAIN; another connection is served all along. */
#define FLOOD 16
static handle_t flood_conn, flood_go;
static int flood_res[FLOOD];

static int64_t flooder(uint64_t i)
{
	uint64_t bits;
	struct fans a;
	sys_notif_wait(flood_go, 1ull << i, DEADLINE_NONE, &bits);
	long r = fcall(flood_conn, FS_STAT, 0, 0, 0, 0, "/tmp", NULL, NULL, 0,
		       NULL, 0, &a);
	flood_res[i] = r < 0 ? (int)KE(r) : a.err;
	return 0;
}

GTEST(fsd_calls_in_flight_limit)
{
	SETUP("--tmp-size 256K");
	flood_conn = fc;
	FCHECK_EQ(sys_notif_create(&flood_go), 0);
	/* fsd on this CPU too. */
	FCHECK_EQ(sys_sched_affinity(g_sched(), fe.fsd.thread, 1), 0);
	static struct gthread th[FLOOD];
	struct sched_params rt = {
		.cls = SCHED_CLASS_RT, .priority = 30, .cpu = 0};
	for (int i = 0; i < FLOOD; i++)
		FCHECK_EQ(
			gthread_start_sched(&th[i], flooder, (uint64_t)i, &rt),
			0);
	sys_sleep_until(g_now() + 20 * MS); /* all wait on flood_go */
	FCHECK_EQ(sys_notif_signal(flood_go, (1ull << FLOOD) - 1), 0);
	int ok = 0, again = 0;
	for (int i = 0; i < FLOOD; i++) {
		int64_t st;
		FCHECK_EQ(gthread_join(&th[i], g_now() + 10000 * MS, &st), 0);
		ok += flood_res[i] == 0;
		again += flood_res[i] == -FS_EAGAIN;
	}
	printf("    %d calls at once: %d served, %d refused EAGAIN\n", FLOOD,
	       ok, again);
	FCHECK_EQ(ok + again, FLOOD);
	FCHECK(ok >= (int)FS_INFLIGHT_MAX);
	FCHECK(again >= 1); /* all were held at once: the limit refused */
	FCHECK_EQ(fs_status("eagain"), again);
	sys_handle_close(flood_go);
	fs_teardown();
}

/* fsd dies and is started again (the test as supervisor) while a client
 * thread calls in a loop: its next call fails with ERR_PEER_CLOSED, never
 * hangs; a new lookup and connect reach the new instance, whose /tmp is
 * empty and whose /boot is whole. */
static handle_t loop_file;
static int loop_stop, loop_calls;
static long loop_err;

static int64_t looper(uint64_t arg)
{
	(void)arg;
	struct fans a;
	while (!__atomic_load_n(&loop_stop, __ATOMIC_ACQUIRE)) {
		long r = fcall(loop_file, FS_PREAD, 0, 0, 0, 4, NULL, NULL,
			       NULL, 0, NULL, 0, &a);
		if (r < 0 || a.err) {
			loop_err = r < 0 ? r : KE(a.err);
			return 0;
		}
		__atomic_add_fetch(&loop_calls, 1, __ATOMIC_ACQ_REL);
	}
	return 0;
}

GTEST(fsd_restart_while_a_client_runs)
{
	SETUP("--tmp-size 256K");
	long err;
	loop_file = fs_open("/tmp/keep", FS_O_READ | FS_O_WRITE | FS_O_CREATE,
			    &err);
	FCHECK_EQ(err, 0);
	FCHECK_EQ(fs_write(loop_file, "data", 4), 0);
	loop_stop = loop_calls = 0;
	loop_err = 0;
	struct gthread th;
	FCHECK_EQ(gthread_start(&th, looper, 0), 0);
	while (__atomic_load_n(&loop_calls, __ATOMIC_ACQUIRE) < 50)
		sys_sleep_until(g_now() + 1 * MS);
	FCHECK_EQ(fenv_restart(&fe, "--tmp-size 256K"), 0);
	int64_t st;
	FCHECK_EQ(gthread_join(&th, g_now() + 5000 * MS, &st), 0);
	FCHECK_EQ(loop_err, ERR_PEER_CLOSED);
	/* The old endpoints fail at once. */
	FCHECK_EQ(fs(loop_file, FS_FSTAT, 0, 0, 0, 0, NULL, NULL),
		  KE(ERR_PEER_CLOSED));
	FCHECK_EQ(fs(fc, FS_STAT, 0, 0, 0, 0, "/tmp", NULL),
		  KE(ERR_PEER_CLOSED));
	sys_handle_close(loop_file);
	sys_handle_close(fc);
	fc = fconnect(fe.pub);
	FCHECK(fc);
	FCHECK_EQ(fs(fc, FS_STAT, 0, 0, 0, 0, "/tmp/keep", NULL), -FS_ENOENT);
	FCHECK_EQ(fs(fc, FS_STAT, 0, 0, 0, 0, "/boot/share/motd", NULL), 0);
	FCHECK_EQ(fs_status("connections"), 1);
	fs_teardown();
}

/* The drivers' endpoint is /drv/fsd: a program whose lookups are the
 * shell's (the /svc/ prefix: every program sh starts gets them) is refused it
 * and so cannot plant nodes in /dev, while it still reaches /svc/fsd; a driver
 * allowed the name makes a node (REVIEW-17 F6). Fails on the old /svc/fsd-dev,
 * which the shell's pattern matched. */
GTEST(fsd_dev_endpoint_refused_to_programs)
{
	SETUP("--tmp-size 64K");
	handle_t prog = nenv_mint(&fe.ns, 3), drv = nenv_mint(&fe.ns, 4);
	long a1 = nenv_acl(&fe.ns, 3, "[]", "[\"/svc/*\"]");
	long a2 = nenv_acl(&fe.ns, 4, "[]", "[\"" FS_SVC_DEV_NAME "\"]");
	struct cl_conn c;
	handle_t pub = 0, dpub = 0;
	cl_set_names(prog);
	long l1 = cl_connect(FS_SVC_NAME, g_now() + 2000 * MS, &c);
	if (l1 == 0)
		pub = c.send;
	long l2 = cl_connect(FS_SVC_DEV_NAME, DEADLINE_POLL, &c);
	if (l2 == 0)
		sys_handle_close(c.send);
	cl_set_names(drv);
	long l3 = cl_connect(FS_SVC_DEV_NAME, g_now() + 2000 * MS, &c);
	if (l3 == 0)
		dpub = c.send;
	cl_set_names(HANDLE_INVALID);
	sys_handle_close(prog);
	sys_handle_close(drv);
	handle_t pc = pub ? fconnect(pub) : 0, dc = dpub ? fconnect(dpub) : 0;
	long mk = ERR_BAD_STATE;
	handle_t drv_recv = 0, drv_send = 0;
	if (dc && sys_port_create(0, &drv_recv, &drv_send) == 0) {
		mk = fs_h(dc, FS_MKNOD, 0, FS_MODE_CHR, 0, 0, "/dev/d0", NULL,
			  NULL, 0, &drv_send, 1);
		sys_handle_close(drv_recv);
	}
	long st = pc ? fs(pc, FS_STAT, 0, 0, 0, 0, "/dev/d0", NULL) : -1;
	handle_t hs[] = {pub, dpub, pc, dc};
	for (unsigned i = 0; i < 4; i++)
		if (hs[i])
			sys_handle_close(hs[i]);
	FCHECK_EQ(a1, 0);
	FCHECK_EQ(a2, 0);
	FCHECK_EQ(l1, 0);
	FCHECK_EQ(l2, CL_ERR_DENIED);
	FCHECK_EQ(l3, 0);
	FCHECK_EQ(mk, 0);
	FCHECK_EQ(st, 0);
	/* its connection gone, the node went with it */
	FCHECK_EQ(fs_status_wait("dev_nodes", 0), 0);
	fs_teardown();
}
