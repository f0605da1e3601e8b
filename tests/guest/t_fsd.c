/* fsd from a raw fs_proto.h client (docs/fsd.md): a real fsd child with
 * the test initrd, started as init would (names_env.h, fsd_env.h). Every
 * call and its errors, every bad path, the wrong kind of endpoint, the
 * limits (open files, calls in flight), /tmp full, bulk windows, devices,
 * handles dying with their holder, and fsd killed and started again while
 * a client runs. The harness checks the kernel's counters after each. */
#include <string.h>

#include <execrt/errors.h>
#include <execrt/rights.h>
#include <execrt/sys.h>

#include "cl_ports.h"
#include "fsd_env.h"
#include "gtest.h"
#include "gutil.h"

#define KE(e) ((e)-1000) /* a kernel error, told apart from -errno */

static struct fsd_env E;
static struct fans A;
static handle_t C; /* the test's connection */
static struct cl_resp resp;

static long fs_h(handle_t ep, uint32_t op, uint32_t fl, uint64_t a, uint64_t b,
		 uint64_t c, const char *p1, const char *p2, const void *d,
		 uint32_t dl, const handle_t *hs, uint32_t nh)
{
	long r = fcall(ep, op, fl, a, b, c, p1, p2, d, dl, hs, nh, &A);
	return r < 0 ? KE(r) : A.err;
}

static long fs(handle_t ep, uint32_t op, uint32_t fl, uint64_t a, uint64_t b,
	       uint64_t c, const char *p1, const char *p2)
{
	return fs_h(ep, op, fl, a, b, c, p1, p2, NULL, 0, NULL, 0);
}

static long fwrite_(handle_t f, const void *d, uint32_t n)
{
	return fs_h(f, FS_WRITE, 0, 0, 0, 0, NULL, NULL, d, n, NULL, 0);
}

/* Opens path: the file's endpoint, or 0 with *err. */
static handle_t fopen_(const char *p, uint32_t fl, long *err)
{
	*err = fs(C, FS_OPEN, fl, 0644, 0, 0, p, NULL);
	return *err == 0 && A.nh == 1 ? A.h[0] : HANDLE_INVALID;
}

/* A number from fsd's JSON status (-1 if it cannot be had). */
static int64_t status(const char *field)
{
	struct cl_conn c = {.send = E.pub};
	int64_t v = -1;
	if (cl_request(&c, "{\"cmd\":\"status\"}", &resp) == 0)
		cl_resp_int(&resp, field, &v);
	cl_resp_close(&resp);
	return v;
}

static long setup(const char *args)
{
	long r = fenv_start(&E, args);
	if (r)
		return r;
	C = fconnect(E.pub);
	return C ? 0 : ERR_BAD_STATE;
}

static void teardown(void)
{
	if (C)
		sys_handle_close(C);
	C = HANDLE_INVALID;
	fenv_stop(&E);
}

#define SETUP(args)                                                            \
	do {                                                                   \
		gtest_allow_growth();                                          \
		long _s = setup(args);                                         \
		if (_s == 1)                                                   \
			return;                                                \
		if (_s < 0)                                                    \
			teardown();                                            \
		GCHECK_OK(_s);                                                 \
	} while (0)

/* Checks that end the test close everything first. */
#define FCHECK(c)                                                              \
	do {                                                                   \
		if (!(c)) {                                                    \
			teardown();                                            \
			GCHECK(c);                                             \
		}                                                              \
	} while (0)
#define FCHECK_EQ(a, b)                                                        \
	do {                                                                   \
		long long _x = (long long)(a), _y = (long long)(b);            \
		if (_x != _y) {                                                \
			teardown();                                            \
			GCHECK_EQ(_x, _y);                                     \
		}                                                              \
	} while (0)

/* Line i (1-based) of /boot/share/lines.txt (share/lines.txt). */
static void line_of(int i, char *out)
{
	snprintf(out, 80,
		 "line %03d of 200: the quick brown fox jumps over the lazy "
		 "dog\n",
		 i);
}

GTEST(fsd_boot_files_read_only)
{
	SETUP("--tmp-size 256K");
	struct cl_conn pc = {.send = E.pub};
	FCHECK_EQ(cl_request(&pc, "{\"cmd\":\"ping\"}", &resp), 0);
	char name[16] = "";
	cl_resp_str(&resp, "name", name, sizeof(name));
	cl_resp_close(&resp);
	FCHECK(!strcmp(name, "fsd"));
	FCHECK_EQ(fs(C, FS_STAT, 0, 0, 0, 0, "/boot/bin/fsd", NULL), 0);
	struct fs_stat st;
	memcpy(&st, A.data, sizeof(st));
	FCHECK_EQ(st.mode & FS_MODE_TYPE, FS_MODE_REG);
	FCHECK_EQ(st.flags, FS_ST_RDONLY);
	FCHECK(st.size > 4096);
	/* /boot/share/lines.txt read inline, piece by piece. */
	long err;
	handle_t f = fopen_("/boot/share/lines.txt", FS_O_READ, &err);
	FCHECK_EQ(err, 0);
	memcpy(&st, A.data, sizeof(st));
	FCHECK_EQ(st.size, 200 * 61);
	static char all[200 * 61 + 1];
	uint32_t got = 0;
	for (;;) {
		FCHECK_EQ(fs(f, FS_READ, 0, 0, 0, 1000, NULL, NULL), 0);
		if (A.val == 0)
			break;
		FCHECK(A.val <= 1000 && got + A.val <= 200 * 61);
		memcpy(all + got, A.data, A.val);
		got += (uint32_t)A.val;
	}
	FCHECK_EQ(got, 200 * 61);
	for (int i = 1; i <= 200; i++) {
		char l[80];
		line_of(i, l);
		FCHECK(!memcmp(all + (i - 1) * 61, l, 61));
	}
	FCHECK_EQ(fwrite_(f, "x", 1), -FS_EBADF); /* opened for reading */
	sys_handle_close(f);
	/* Nothing on /boot or / can be written or changed. */
	fopen_("/boot/share/lines.txt", FS_O_WRITE, &err);
	FCHECK_EQ(err, -FS_EROFS);
	fopen_("/boot/share/new", FS_O_WRITE | FS_O_CREATE, &err);
	FCHECK_EQ(err, -FS_EROFS);
	fopen_("/new", FS_O_WRITE | FS_O_CREATE, &err);
	FCHECK_EQ(err, -FS_EROFS);
	FCHECK_EQ(fs(C, FS_MKDIR, 0, 0755, 0, 0, "/boot/d", NULL), -FS_EROFS);
	FCHECK_EQ(fs(C, FS_UNLINK, 0, 0, 0, 0, "/boot/bin/fsd", NULL),
		  -FS_EROFS);
	FCHECK_EQ(fs(C, FS_RENAME, 0, 0, 0, 0, "/boot/share/motd", "/tmp/m"),
		  -FS_EROFS);
	FCHECK_EQ(fs(C, FS_TRUNCATE, 0, 0, 0, 0, "/boot/share/motd", NULL),
		  -FS_EROFS);
	FCHECK_EQ(fs(C, FS_RMDIR, 0, 0, 0, 0, "/boot", NULL), -FS_EBUSY);
	/* The listing of /boot and of /boot/share. */
	handle_t d = fopen_("/boot", FS_O_READ | FS_O_DIRECTORY, &err);
	FCHECK_EQ(err, 0);
	FCHECK_EQ(fs(d, FS_READDIR, 0, 0, 0, 4096, NULL, NULL), 0);
	char names[256] = "";
	for (uint32_t o = 0; o < A.val;) {
		struct fs_dirent *e = (struct fs_dirent *)(A.data + o);
		strcat(names, e->d_name);
		strcat(names, " ");
		o += e->d_reclen;
	}
	sys_handle_close(d);
	FCHECK(!strcmp(names, ". .. bin etc share "));
	FCHECK_EQ(fs(C, FS_STAT, 0, 0, 0, 0, "/boot/etc/services.conf", NULL),
		  0);
	FCHECK_EQ(fs(C, FS_STAT, 0, 0, 0, 0, "/boot/share/motd", NULL), 0);
	teardown();
}

GTEST(fsd_every_file_call)
{
	SETUP("--tmp-size 256K");
	long err;
	FCHECK_EQ(fs(C, FS_MKDIR, 0, 0700, 0, 0, "/tmp/d", NULL), 0);
	FCHECK_EQ(fs(C, FS_MKDIR, 0, 0700, 0, 0, "/tmp/d", NULL), -FS_EEXIST);
	handle_t f =
		fopen_("/tmp/d/f",
		       FS_O_READ | FS_O_WRITE | FS_O_CREATE | FS_O_EXCL, &err);
	FCHECK_EQ(err, 0);
	fopen_("/tmp/d/f", FS_O_READ | FS_O_CREATE | FS_O_EXCL, &err);
	FCHECK_EQ(err, -FS_EEXIST);
	FCHECK_EQ(fwrite_(f, "hello, world", 12), 0);
	FCHECK_EQ(A.val, 12);
	FCHECK_EQ(fs(f, FS_SEEK, 0, 7, FS_SEEK_SET, 0, NULL, NULL), 0);
	FCHECK_EQ(fs(f, FS_READ, 0, 0, 0, 100, NULL, NULL), 0);
	FCHECK(A.val == 5 && !memcmp(A.data, "world", 5));
	FCHECK_EQ(fs(f, FS_PREAD, 0, 0, 0, 5, NULL, NULL), 0);
	FCHECK(A.val == 5 && !memcmp(A.data, "hello", 5));
	FCHECK_EQ(fs_h(f, FS_PWRITE, 0, 0, 0, 0, NULL, NULL, "J", 1, NULL, 0),
		  0);
	FCHECK_EQ(fs(f, FS_SEEK, 0, 0, FS_SEEK_CUR, 0, NULL, NULL), 0);
	FCHECK_EQ(A.val, 12); /* pread/pwrite kept the offset */
	FCHECK_EQ(fs(f, FS_SEEK, 0, -2, FS_SEEK_END, 0, NULL, NULL), 0);
	FCHECK_EQ(A.val, 10);
	FCHECK_EQ(fs(f, FS_FSTAT, 0, 0, 0, 0, NULL, NULL), 0);
	struct fs_stat st;
	memcpy(&st, A.data, sizeof(st));
	FCHECK_EQ(st.size, 12);
	FCHECK_EQ(st.mode, FS_MODE_REG | 0644);
	FCHECK_EQ(fs(f, FS_FTRUNCATE, 0, 5, 0, 0, NULL, NULL), 0);
	FCHECK_EQ(fs(C, FS_STAT, 0, 0, 0, 0, "/tmp/d/f", NULL), 0);
	memcpy(&st, A.data, sizeof(st));
	FCHECK_EQ(st.size, 5);
	/* Append, truncate-on-open, truncate by path. */
	handle_t g = fopen_("/tmp/d/f", FS_O_WRITE | FS_O_APPEND, &err);
	FCHECK_EQ(err, 0);
	FCHECK_EQ(fwrite_(g, "!!", 2), 0);
	FCHECK_EQ(fs(f, FS_PREAD, 0, 0, 0, 100, NULL, NULL), 0);
	FCHECK(A.val == 7 && !memcmp(A.data, "Jello!!", 7));
	FCHECK_EQ(fs(C, FS_TRUNCATE, 0, 1, 0, 0, "/tmp/d/f", NULL), 0);
	FCHECK_EQ(fs(f, FS_PREAD, 0, 0, 0, 100, NULL, NULL), 0);
	FCHECK_EQ(A.val, 1);
	handle_t h = fopen_("/tmp/d/f", FS_O_WRITE | FS_O_TRUNC, &err);
	FCHECK_EQ(err, 0);
	memcpy(&st, A.data, sizeof(st));
	FCHECK_EQ(st.size, 0);
	sys_handle_close(h);
	sys_handle_close(g);
	/* Rename, readdir, unlink, rmdir. */
	FCHECK_EQ(fs(C, FS_RENAME, 0, 0, 0, 0, "/tmp/d/f", "/tmp/d/g"), 0);
	FCHECK_EQ(fs(C, FS_STAT, 0, 0, 0, 0, "/tmp/d/f", NULL), -FS_ENOENT);
	handle_t d = fopen_("/tmp/d", FS_O_READ | FS_O_DIRECTORY, &err);
	FCHECK_EQ(err, 0);
	FCHECK_EQ(fs(d, FS_READDIR, 0, 0, 0, 4096, NULL, NULL), 0);
	struct fs_dirent *e = (struct fs_dirent *)(A.data + 48);
	FCHECK(A.val == 72 && !strcmp(e->d_name, "g") &&
	       e->d_type == FS_DT_REG);
	FCHECK_EQ(fs(d, FS_READDIR, 0, 0, 0, 4096, NULL, NULL), 0);
	FCHECK_EQ(A.val, 0);
	FCHECK_EQ(fs(C, FS_RMDIR, 0, 0, 0, 0, "/tmp/d", NULL), -FS_ENOTEMPTY);
	FCHECK_EQ(fs(C, FS_UNLINK, 0, 0, 0, 0, "/tmp/d/g", NULL), 0);
	/* The unlinked file is still open: written at its offset (10). */
	FCHECK_EQ(fwrite_(f, "still", 5), 0);
	FCHECK_EQ(fs(f, FS_PREAD, 0, 0, 0, 100, NULL, NULL), 0);
	FCHECK(A.val == 15 && !memcmp(A.data + 10, "still", 5));
	FCHECK_EQ(fs(C, FS_RMDIR, 0, 0, 0, 0, "/tmp/d", NULL), 0);
	FCHECK_EQ(fs(d, FS_SEEK, 0, 0, FS_SEEK_SET, 0, NULL, NULL), 0);
	FCHECK_EQ(fs(d, FS_READDIR, 0, 0, 0, 4096, NULL, NULL), 0);
	FCHECK_EQ(A.val, 48); /* . and .. only */
	/* FS_CLOSE ends the file for every holder. */
	FCHECK_EQ(fs(f, FS_CLOSE, 0, 0, 0, 0, NULL, NULL), 0);
	FCHECK_EQ(fs(f, FS_FSTAT, 0, 0, 0, 0, NULL, NULL), -FS_EBADF);
	sys_handle_close(f);
	sys_handle_close(d);
	FCHECK_EQ(fs(C, FS_NOP, 0, 0, 0, 0, NULL, NULL), 0);
	FCHECK_EQ(status("files"), 0);
	FCHECK_EQ(status("tmp_used"), 0);
	teardown();
}

GTEST(fsd_bad_input_gets_clean_errors)
{
	SETUP("--tmp-size 256K");
	static char longname[300], longpath[1100];
	strcpy(longname, "/tmp/");
	memset(longname + 5, 'n', 256);
	for (int i = 0; i < 1026; i += 2)
		memcpy(longpath + i, "/a", 2);
	static const struct {
		const char *p;
		long err;
	} cases[] = {
		{"", -FS_ENOENT},
		{"tmp", -FS_EINVAL},
		{"/..", -FS_EINVAL},
		{"/tmp/../../etc", -FS_EINVAL},
		{"/tmp//x", -FS_EINVAL},
		{"/tmp/x/", -FS_EINVAL},
		{"/tmp/nope/x", -FS_ENOENT},
	};
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		for (uint32_t op = FS_OPEN; op <= FS_TRUNCATE; op++)
			FCHECK_EQ(fs(C, op, FS_O_READ | FS_O_CREATE, 0, 0, 0,
				     cases[i].p,
				     op == FS_RENAME ? "/tmp/y" : NULL),
				  cases[i].err);
	FCHECK_EQ(fs(C, FS_STAT, 0, 0, 0, 0, longname, NULL), -FS_ENAMETOOLONG);
	FCHECK_EQ(fs(C, FS_STAT, 0, 0, 0, 0, longpath, NULL), -FS_ENAMETOOLONG);
	FCHECK_EQ(fs_h(C, FS_STAT, 0, 0, 0, 0, NULL, NULL, NULL, 0, NULL, 0),
		  -FS_ENOENT);
	/* A NUL byte inside a path. */
	static const char nul[] = "/tmp\0/x";
	struct fs_req q = {.op = FS_STAT, .path_len = 7};
	uint8_t m[64];
	memcpy(m, &q, sizeof(q));
	memcpy(m + sizeof(q), nul, 7);
	uint8_t ans[64];
	struct port_msg pm = {.data = m, .len = sizeof(q) + 7};
	struct port_rx rx = {.buf = ans, .cap = sizeof(ans)};
	FCHECK_EQ(sys_port_call(C, &pm, &rx, g_now() + 5000 * MS), 0);
	struct fs_resp r;
	memcpy(&r, ans, sizeof(r));
	FCHECK_EQ(r.err, -FS_EINVAL);
	/* Malformed messages: too short, lengths that do not add up. */
	pm.len = 3;
	FCHECK_EQ(sys_port_call(C, &pm, &rx, g_now() + 5000 * MS), 0);
	memcpy(&r, ans, sizeof(r));
	FCHECK_EQ(r.err, -FS_EPROTO);
	pm.len = sizeof(q) + 3;
	FCHECK_EQ(sys_port_call(C, &pm, &rx, g_now() + 5000 * MS), 0);
	memcpy(&r, ans, sizeof(r));
	FCHECK_EQ(r.err, -FS_EPROTO);
	/* Directory opened for writing; unknown flags. */
	long err;
	fopen_("/tmp", FS_O_WRITE, &err);
	FCHECK_EQ(err, -FS_EISDIR);
	fopen_("/tmp", FS_O_READ | 0x100, &err);
	FCHECK_EQ(err, -FS_EINVAL);
	fopen_("/tmp", 0, &err);
	FCHECK_EQ(err, -FS_EINVAL);
	/* The wrong kind of endpoint for the call. */
	FCHECK_EQ(fs(C, FS_READ, 0, 0, 0, 10, NULL, NULL), -FS_EBADF);
	FCHECK_EQ(fs(E.pub, FS_STAT, 0, 0, 0, 0, "/tmp", NULL), -FS_EBADF);
	FCHECK_EQ(fs(E.pub, FS_CONNECT, 0, 7, 0, 0, NULL, NULL), -FS_EPROTO);
	handle_t f = fopen_("/tmp/f", FS_O_READ | FS_O_CREATE, &err);
	FCHECK_EQ(err, 0);
	FCHECK_EQ(fs(f, FS_STAT, 0, 0, 0, 0, "/tmp/f", NULL), -FS_EBADF);
	FCHECK_EQ(fs(f, 999, 0, 0, 0, 0, NULL, NULL), -FS_EBADF);
	FCHECK_EQ(fwrite_(f, "x", 1), -FS_EBADF); /* not opened to write */
	/* Another client's file: only its endpoint reaches it, and a
	 * second connection's bulk slot numbers mean nothing here. */
	handle_t c2 = fconnect(E.pub);
	FCHECK(c2);
	FCHECK_EQ(fs(c2, FS_OPEN, FS_O_READ | FS_O_WRITE, 0, 0, 0, "/tmp/f",
		     NULL),
		  0);
	handle_t f2 = A.h[0];
	FCHECK_EQ(fs(f2, FS_BULK_SETUP, 0, 0, 0, 8192, NULL, NULL), 0);
	handle_t g2 = A.h[0];
	uint64_t slot = A.val;
	FCHECK_EQ(fs(f, FS_READ, FS_IO_BULK, 0, slot, 10, NULL, NULL),
		  -FS_EBADF);
	FCHECK_EQ(fs(f, FS_BULK_FREE, 0, 0, slot, 0, NULL, NULL), -FS_EBADF);
	sys_handle_close(g2);
	sys_handle_close(f2);
	sys_handle_close(c2);
	sys_handle_close(f);
	FCHECK_EQ(status("connections"), 1);
	FCHECK_EQ(status("files"), 0);
	teardown();
}

GTEST(fsd_open_limit_and_close_notices)
{
	SETUP("--tmp-size 256K");
	handle_t f[FS_OPEN_MAX];
	long err;
	for (uint32_t i = 0; i < FS_OPEN_MAX; i++) {
		f[i] = fopen_("/tmp/x", FS_O_READ | FS_O_CREATE, &err);
		FCHECK_EQ(err, 0);
	}
	fopen_("/tmp/x", FS_O_READ, &err);
	FCHECK_EQ(err, -FS_EMFILE);
	FCHECK_EQ(status("files"), FS_OPEN_MAX);
	/* Closing a handle frees the slot before this client's next call
	 * (the notice goes ahead of it). */
	for (int round = 0; round < 20; round++) {
		sys_handle_close(f[round]);
		f[round] = fopen_("/tmp/x", FS_O_READ, &err);
		FCHECK_EQ(err, 0);
	}
	/* A duplicate keeps the file open. */
	handle_t d = g_dup(f[0], RIGHT_SAME);
	sys_handle_close(f[0]);
	fopen_("/tmp/x", FS_O_READ, &err);
	FCHECK_EQ(err, -FS_EMFILE);
	FCHECK_EQ(fs(d, FS_FSTAT, 0, 0, 0, 0, NULL, NULL), 0);
	f[0] = d;
	for (uint32_t i = 0; i < FS_OPEN_MAX; i++)
		sys_handle_close(f[i]);
	FCHECK_EQ(status("files"), 0);
	FCHECK(status("notices") >= FS_OPEN_MAX + 20);
	teardown();
}

GTEST(fsd_shared_offset_and_holder_death)
{
	SETUP("--tmp-size 256K");
	long err;
	handle_t f =
		fopen_("/tmp/s", FS_O_READ | FS_O_WRITE | FS_O_CREATE, &err);
	FCHECK_EQ(err, 0);
	FCHECK_EQ(fwrite_(f, "0123456789", 10), 0);
	handle_t d = g_dup(f, RIGHT_SAME);
	FCHECK_EQ(fs(d, FS_SEEK, 0, 2, FS_SEEK_SET, 0, NULL, NULL), 0);
	FCHECK_EQ(fs(f, FS_READ, 0, 0, 0, 3, NULL, NULL), 0);
	FCHECK(A.val == 3 && !memcmp(A.data, "234", 3));
	FCHECK_EQ(fs(d, FS_READ, 0, 0, 0, 3, NULL, NULL), 0);
	FCHECK(A.val == 3 && !memcmp(A.data, "567", 3));
	/* A child task holds the duplicate and a connection; it dies. */
	handle_t c2 = fconnect(E.pub);
	FCHECK(c2);
	FCHECK_EQ(fs(c2, FS_OPEN, FS_O_READ, 0, 0, 0, "/tmp/s", NULL), 0);
	handle_t f2 = A.h[0];
	FCHECK_EQ(status("connections"), 2);
	FCHECK_EQ(status("files"), 2);
	struct child k1, k2, k3;
	FCHECK_EQ(g_spawn_ex(CHILD_WORK, "spin @", CHILD_QUOTA, 0, d,
			     RIGHT_SAME, &k1),
		  0);
	FCHECK_EQ(g_spawn_ex(CHILD_WORK, "spin @", CHILD_QUOTA, 0, c2,
			     RIGHT_SAME, &k2),
		  0);
	FCHECK_EQ(g_spawn_ex(CHILD_WORK, "spin @", CHILD_QUOTA, 0, f2,
			     RIGHT_SAME, &k3),
		  0);
	int64_t st;
	sys_task_kill(k1.task, 1);
	g_reap(&k1, 5000 * MS, &st);
	FCHECK_EQ(status("files"), 2); /* f still holds the shared file */
	sys_task_kill(k3.task, 1);
	g_reap(&k3, 5000 * MS, &st);
	FCHECK_EQ(status("files"), 1);
	sys_task_kill(k2.task, 1);
	g_reap(&k2, 5000 * MS, &st);
	FCHECK_EQ(status("connections"), 1);
	FCHECK_EQ(fs(f, FS_READ, 0, 0, 0, 10, NULL, NULL), 0);
	FCHECK(A.val == 2 && !memcmp(A.data, "89", 2));
	sys_handle_close(f);
	FCHECK_EQ(status("files"), 0);
	teardown();
}

GTEST(fsd_tmp_full_is_enospc)
{
	SETUP("--tmp-size 64K");
	long err;
	handle_t f = fopen_("/tmp/big", FS_O_WRITE | FS_O_CREATE, &err);
	FCHECK_EQ(err, 0);
	static uint8_t blk[3000];
	memset(blk, 'z', sizeof(blk));
	uint64_t total = 0;
	int full = 0;
	for (int i = 0; i < 40 && !full; i++) {
		long e = fwrite_(f, blk, sizeof(blk));
		if (e == -FS_ENOSPC)
			full = 1;
		else {
			FCHECK_EQ(e, 0);
			total += A.val;
		}
	}
	FCHECK(full);
	FCHECK(total > 32 * 1024 && total <= 64 * 1024);
	FCHECK(status("tmp_used") <= 64 * 1024);
	/* New names do not fit either; fsd answers on. */
	int made = 0;
	for (; made < 200; made++) {
		char p[32];
		snprintf(p, sizeof(p), "/tmp/d%d", made);
		long e = fs(C, FS_MKDIR, 0, 0755, 0, 0, p, NULL);
		if (e) {
			FCHECK_EQ(e, -FS_ENOSPC);
			break;
		}
	}
	FCHECK(made < 200);
	FCHECK_EQ(fs(C, FS_NOP, 0, 0, 0, 0, NULL, NULL), 0);
	/* Space comes back. */
	FCHECK_EQ(fs(f, FS_FTRUNCATE, 0, 0, 0, 0, NULL, NULL), 0);
	FCHECK_EQ(fwrite_(f, blk, sizeof(blk)), 0);
	FCHECK_EQ(A.val, sizeof(blk));
	sys_handle_close(f);
	teardown();
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
		fopen_("/tmp/mib", FS_O_READ | FS_O_WRITE | FS_O_CREATE, &err);
	FCHECK_EQ(err, 0);
	FCHECK_EQ(fs(f, FS_BULK_SETUP, 0, 0, 0, 100, NULL, NULL), -FS_EINVAL);
	FCHECK_EQ(fs(f, FS_BULK_SETUP, 0, 0, 0, 256 << 10, NULL, NULL), 0);
	FCHECK_EQ(A.nh, 1);
	handle_t grant = A.h[0];
	uint64_t slot = A.val;
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
		FCHECK_EQ(A.val, W);
	}
	FCHECK_EQ(fs(f, FS_FSTAT, 0, 0, 0, 0, NULL, NULL), 0);
	struct fs_stat st;
	memcpy(&st, A.data, sizeof(st));
	FCHECK_EQ(st.size, N);
	/* Read back through the window, at an odd offset too. */
	for (uint32_t o = 0; o < N; o += W) {
		memset(w, 0, W);
		FCHECK_EQ(
			fs(f, FS_PREAD, FS_IO_BULK, o + 3, slot, W, NULL, NULL),
			0);
		FCHECK_EQ(A.val, o + W < N ? W : W - 3);
		FCHECK_EQ(A.len, 0);
		/* Window byte i is file byte o + 3 + i: the word written at
		 * file offset o + 4 + i starts at window byte i + 1. */
		for (uint32_t i = 0; i + 1 + 4 <= A.val; i += 4096) {
			uint32_t x, want = (o + i + 4) * 2654435761u;
			memcpy(&x, w + i + 1, 4);
			FCHECK_EQ(x, want);
		}
	}
	/* Inline reads see the same bytes. */
	FCHECK_EQ(fs(f, FS_PREAD, 0, 4096, 0, 8, NULL, NULL), 0);
	uint32_t x;
	memcpy(&x, A.data, 4);
	FCHECK_EQ(x, 4096 * 2654435761u);
	/* Too much for the window; four windows per file, then EBUSY. */
	FCHECK_EQ(fs(f, FS_READ, FS_IO_BULK, 0, slot, W + 1, NULL, NULL),
		  -FS_EINVAL);
	handle_t more[3];
	for (int i = 0; i < 3; i++) {
		FCHECK_EQ(fs(f, FS_BULK_SETUP, 0, 0, 0, 4096, NULL, NULL), 0);
		more[i] = A.h[0];
	}
	FCHECK_EQ(fs(f, FS_BULK_SETUP, 0, 0, 0, 4096, NULL, NULL), -FS_EBUSY);
	FCHECK_EQ(status("bulk_bytes"), W + 3 * 4096);
	/* Freed: fsd revokes the grant (unmap first: the window goes). */
	FCHECK_EQ(sys_grant_unmap(g_self(), (uint64_t)w), 0);
	FCHECK_EQ(fs(f, FS_BULK_FREE, 0, 0, slot, 0, NULL, NULL), 0);
	uint64_t a2 = 0;
	FCHECK_EQ(sys_grant_map(g_self(), grant, VM_PROT_READ, 0, &a2),
		  ERR_BAD_STATE);
	sys_handle_close(grant);
	sys_handle_close(f); /* the other windows go with the file */
	FCHECK_EQ(status("bulk_bytes"), 0);
	for (int i = 0; i < 3; i++) {
		FCHECK_EQ(
			sys_grant_map(g_self(), more[i], VM_PROT_READ, 0, &a2),
			ERR_BAD_STATE);
		sys_handle_close(more[i]);
	}
	teardown();
}

GTEST(fsd_device_nodes)
{
	SETUP("--tmp-size 256K");
	handle_t dc = fconnect(E.devpub);
	FCHECK(dc);
	handle_t drv_recv, drv_send;
	FCHECK_EQ(sys_port_create(0, &drv_recv, &drv_send), 0);
	/* Only a /svc/fsd-dev connection may make nodes, only in /dev, and
	 * only for a send endpoint. (Attached handles move: duplicates.) */
	handle_t s2 = g_dup(drv_send, RIGHT_SAME);
	FCHECK_EQ(fs_h(C, FS_MKNOD, 0, FS_MODE_CHR, 0, 0, "/dev/t0", NULL, NULL,
		       0, &s2, 1),
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
	FCHECK_EQ(fs(C, FS_STAT, 0, 0, 0, 0, "/dev/t0", NULL), 0);
	struct fs_stat st;
	memcpy(&st, A.data, sizeof(st));
	FCHECK_EQ(st.mode & FS_MODE_TYPE, FS_MODE_CHR);
	/* Opening it gives the driver's endpoint: a message reaches us. */
	FCHECK_EQ(fs(C, FS_OPEN, FS_O_READ | FS_O_WRITE, 0, 0, 0, "/dev/t0",
		     NULL),
		  0);
	FCHECK_EQ(A.flags, FS_RESP_DEVICE);
	handle_t dev = A.h[0];
	struct port_msg pm = {.data = "hi", .len = 2};
	FCHECK_EQ(sys_port_send(dev, &pm, DEADLINE_POLL), 0);
	char b[4];
	struct port_rx rx = {.buf = b, .cap = sizeof(b)};
	FCHECK_EQ(sys_port_recv(drv_recv, &rx, DEADLINE_POLL), 0);
	FCHECK(rx.len == 2 && !memcmp(b, "hi", 2));
	sys_handle_close(dev);
	FCHECK_EQ(status("files"), 0);
	/* Only its maker removes it; its connection's end removes it. */
	FCHECK_EQ(fs(C, FS_UNLINK, 0, 0, 0, 0, "/dev/t0", NULL), -FS_EPERM);
	s2 = g_dup(drv_send, RIGHT_SAME);
	FCHECK_EQ(fs_h(dc, FS_MKNOD, 0, FS_MODE_CHR, 0, 0, "/dev/t1", NULL,
		       NULL, 0, &s2, 1),
		  0);
	FCHECK_EQ(fs(dc, FS_UNLINK, 0, 0, 0, 0, "/dev/t1", NULL), 0);
	FCHECK_EQ(status("dev_nodes"), 1);
	sys_handle_close(dc);
	FCHECK_EQ(status("dev_nodes"), 0);
	FCHECK_EQ(fs(C, FS_STAT, 0, 0, 0, 0, "/dev/t0", NULL), -FS_ENOENT);
	sys_handle_close(drv_send);
	sys_handle_close(drv_recv);
	teardown();
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
	flood_conn = C;
	FCHECK_EQ(sys_notif_create(&flood_go), 0);
	/* fsd on this CPU too. */
	FCHECK_EQ(sys_sched_affinity(g_sched(), E.fsd.thread, 1), 0);
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
	FCHECK_EQ(status("eagain"), again);
	sys_handle_close(flood_go);
	teardown();
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
	loop_file =
		fopen_("/tmp/keep", FS_O_READ | FS_O_WRITE | FS_O_CREATE, &err);
	FCHECK_EQ(err, 0);
	FCHECK_EQ(fwrite_(loop_file, "data", 4), 0);
	loop_stop = loop_calls = 0;
	loop_err = 0;
	struct gthread th;
	FCHECK_EQ(gthread_start(&th, looper, 0), 0);
	while (__atomic_load_n(&loop_calls, __ATOMIC_ACQUIRE) < 50)
		sys_sleep_until(g_now() + 1 * MS);
	FCHECK_EQ(fenv_restart(&E, "--tmp-size 256K"), 0);
	int64_t st;
	FCHECK_EQ(gthread_join(&th, g_now() + 5000 * MS, &st), 0);
	FCHECK_EQ(loop_err, ERR_PEER_CLOSED);
	/* The old endpoints fail at once. */
	FCHECK_EQ(fs(loop_file, FS_FSTAT, 0, 0, 0, 0, NULL, NULL),
		  KE(ERR_PEER_CLOSED));
	FCHECK_EQ(fs(C, FS_STAT, 0, 0, 0, 0, "/tmp", NULL),
		  KE(ERR_PEER_CLOSED));
	sys_handle_close(loop_file);
	sys_handle_close(C);
	C = fconnect(E.pub);
	FCHECK(C);
	FCHECK_EQ(fs(C, FS_STAT, 0, 0, 0, 0, "/tmp/keep", NULL), -FS_ENOENT);
	FCHECK_EQ(fs(C, FS_STAT, 0, 0, 0, 0, "/boot/share/motd", NULL), 0);
	FCHECK_EQ(status("connections"), 1);
	teardown();
}
