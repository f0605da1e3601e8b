/* fsd from a raw fs_proto.h client (docs/fsd.md), part one: a real fsd
 * child with the test initrd, started as init would (fsd_env.h). /boot
 * read back and read-only, every call, every bad path and malformed
 * message, the wrong kind of endpoint and another client's bulk slot,
 * the open-file limit and close notices, a shared offset and handles
 * dying with their holder. Part two is t_fsd_svc.c. The harness checks
 * the kernel's counters after each. */
#include <string.h>

#include <execrt/errors.h>
#include <execrt/rights.h>
#include <execrt/sys.h>

#include "cl_ports.h"
#include "fsd_env.h"
#include "gtest.h"
#include "gutil.h"

static struct cl_resp resp;

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
	struct cl_conn pc = {.send = fe.pub};
	FCHECK_EQ(cl_request(&pc, "{\"cmd\":\"ping\"}", &resp), 0);
	char name[16] = "";
	cl_resp_str(&resp, "name", name, sizeof(name));
	cl_resp_close(&resp);
	FCHECK(!strcmp(name, "fsd"));
	FCHECK_EQ(fs(fc, FS_STAT, 0, 0, 0, 0, "/boot/bin/fsd", NULL), 0);
	struct fs_stat st;
	memcpy(&st, fa.data, sizeof(st));
	FCHECK_EQ(st.mode & FS_MODE_TYPE, FS_MODE_REG);
	FCHECK_EQ(st.flags, FS_ST_RDONLY);
	FCHECK(st.size > 4096);
	/* /boot/share/lines.txt read inline, piece by piece. */
	long err;
	handle_t f = fs_open("/boot/share/lines.txt", FS_O_READ, &err);
	FCHECK_EQ(err, 0);
	memcpy(&st, fa.data, sizeof(st));
	FCHECK_EQ(st.size, 200 * 61);
	static char all[200 * 61 + 1];
	uint32_t got = 0;
	for (;;) {
		FCHECK_EQ(fs(f, FS_READ, 0, 0, 0, 1000, NULL, NULL), 0);
		if (fa.val == 0)
			break;
		FCHECK(fa.val <= 1000 && got + fa.val <= 200 * 61);
		memcpy(all + got, fa.data, fa.val);
		got += (uint32_t)fa.val;
	}
	FCHECK_EQ(got, 200 * 61);
	for (int i = 1; i <= 200; i++) {
		char l[80];
		line_of(i, l);
		FCHECK(!memcmp(all + (i - 1) * 61, l, 61));
	}
	FCHECK_EQ(fs_write(f, "x", 1), -FS_EBADF); /* opened for reading */
	sys_handle_close(f);
	/* Nothing on /boot or / can be written or changed. */
	fs_open("/boot/share/lines.txt", FS_O_WRITE, &err);
	FCHECK_EQ(err, -FS_EROFS);
	fs_open("/boot/share/new", FS_O_WRITE | FS_O_CREATE, &err);
	FCHECK_EQ(err, -FS_EROFS);
	fs_open("/new", FS_O_WRITE | FS_O_CREATE, &err);
	FCHECK_EQ(err, -FS_EROFS);
	FCHECK_EQ(fs(fc, FS_MKDIR, 0, 0755, 0, 0, "/boot/d", NULL), -FS_EROFS);
	FCHECK_EQ(fs(fc, FS_UNLINK, 0, 0, 0, 0, "/boot/bin/fsd", NULL),
		  -FS_EROFS);
	FCHECK_EQ(fs(fc, FS_RENAME, 0, 0, 0, 0, "/boot/share/motd", "/tmp/m"),
		  -FS_EROFS);
	FCHECK_EQ(fs(fc, FS_TRUNCATE, 0, 0, 0, 0, "/boot/share/motd", NULL),
		  -FS_EROFS);
	FCHECK_EQ(fs(fc, FS_RMDIR, 0, 0, 0, 0, "/boot", NULL), -FS_EBUSY);
	/* The listing of /boot and of /boot/share. */
	handle_t d = fs_open("/boot", FS_O_READ | FS_O_DIRECTORY, &err);
	FCHECK_EQ(err, 0);
	FCHECK_EQ(fs(d, FS_READDIR, 0, 0, 0, 4096, NULL, NULL), 0);
	char names[256] = "";
	for (uint32_t o = 0; o < fa.val;) {
		struct fs_dirent *e = (struct fs_dirent *)(fa.data + o);
		strcat(names, e->d_name);
		strcat(names, " ");
		o += e->d_reclen;
	}
	sys_handle_close(d);
	FCHECK(!strcmp(names, ". .. bin etc share "));
	FCHECK_EQ(fs(fc, FS_STAT, 0, 0, 0, 0, "/boot/etc/services.conf", NULL),
		  0);
	FCHECK_EQ(fs(fc, FS_STAT, 0, 0, 0, 0, "/boot/share/motd", NULL), 0);
	fs_teardown();
}

GTEST(fsd_every_file_call)
{
	SETUP("--tmp-size 256K");
	long err;
	FCHECK_EQ(fs(fc, FS_MKDIR, 0, 0700, 0, 0, "/tmp/d", NULL), 0);
	FCHECK_EQ(fs(fc, FS_MKDIR, 0, 0700, 0, 0, "/tmp/d", NULL), -FS_EEXIST);
	handle_t f =
		fs_open("/tmp/d/f",
			FS_O_READ | FS_O_WRITE | FS_O_CREATE | FS_O_EXCL, &err);
	FCHECK_EQ(err, 0);
	fs_open("/tmp/d/f", FS_O_READ | FS_O_CREATE | FS_O_EXCL, &err);
	FCHECK_EQ(err, -FS_EEXIST);
	FCHECK_EQ(fs_write(f, "hello, world", 12), 0);
	FCHECK_EQ(fa.val, 12);
	FCHECK_EQ(fs(f, FS_SEEK, 0, 7, FS_SEEK_SET, 0, NULL, NULL), 0);
	FCHECK_EQ(fs(f, FS_READ, 0, 0, 0, 100, NULL, NULL), 0);
	FCHECK(fa.val == 5 && !memcmp(fa.data, "world", 5));
	FCHECK_EQ(fs(f, FS_PREAD, 0, 0, 0, 5, NULL, NULL), 0);
	FCHECK(fa.val == 5 && !memcmp(fa.data, "hello", 5));
	FCHECK_EQ(fs_h(f, FS_PWRITE, 0, 0, 0, 0, NULL, NULL, "J", 1, NULL, 0),
		  0);
	FCHECK_EQ(fs(f, FS_SEEK, 0, 0, FS_SEEK_CUR, 0, NULL, NULL), 0);
	FCHECK_EQ(fa.val, 12); /* pread/pwrite kept the offset */
	FCHECK_EQ(fs(f, FS_SEEK, 0, -2, FS_SEEK_END, 0, NULL, NULL), 0);
	FCHECK_EQ(fa.val, 10);
	FCHECK_EQ(fs(f, FS_FSTAT, 0, 0, 0, 0, NULL, NULL), 0);
	struct fs_stat st;
	memcpy(&st, fa.data, sizeof(st));
	FCHECK_EQ(st.size, 12);
	FCHECK_EQ(st.mode, FS_MODE_REG | 0644);
	FCHECK_EQ(fs(f, FS_FTRUNCATE, 0, 5, 0, 0, NULL, NULL), 0);
	FCHECK_EQ(fs(fc, FS_STAT, 0, 0, 0, 0, "/tmp/d/f", NULL), 0);
	memcpy(&st, fa.data, sizeof(st));
	FCHECK_EQ(st.size, 5);
	/* Append, truncate-on-open, truncate by path. */
	handle_t g = fs_open("/tmp/d/f", FS_O_WRITE | FS_O_APPEND, &err);
	FCHECK_EQ(err, 0);
	FCHECK_EQ(fs_write(g, "!!", 2), 0);
	FCHECK_EQ(fs(f, FS_PREAD, 0, 0, 0, 100, NULL, NULL), 0);
	FCHECK(fa.val == 7 && !memcmp(fa.data, "Jello!!", 7));
	FCHECK_EQ(fs(fc, FS_TRUNCATE, 0, 1, 0, 0, "/tmp/d/f", NULL), 0);
	FCHECK_EQ(fs(f, FS_PREAD, 0, 0, 0, 100, NULL, NULL), 0);
	FCHECK_EQ(fa.val, 1);
	handle_t h = fs_open("/tmp/d/f", FS_O_WRITE | FS_O_TRUNC, &err);
	FCHECK_EQ(err, 0);
	memcpy(&st, fa.data, sizeof(st));
	FCHECK_EQ(st.size, 0);
	sys_handle_close(h);
	sys_handle_close(g);
	/* Rename, readdir, unlink, rmdir. */
	FCHECK_EQ(fs(fc, FS_RENAME, 0, 0, 0, 0, "/tmp/d/f", "/tmp/d/g"), 0);
	FCHECK_EQ(fs(fc, FS_STAT, 0, 0, 0, 0, "/tmp/d/f", NULL), -FS_ENOENT);
	handle_t d = fs_open("/tmp/d", FS_O_READ | FS_O_DIRECTORY, &err);
	FCHECK_EQ(err, 0);
	FCHECK_EQ(fs(d, FS_READDIR, 0, 0, 0, 4096, NULL, NULL), 0);
	struct fs_dirent *e = (struct fs_dirent *)(fa.data + 48);
	FCHECK(fa.val == 72 && !strcmp(e->d_name, "g") &&
	       e->d_type == FS_DT_REG);
	FCHECK_EQ(fs(d, FS_READDIR, 0, 0, 0, 4096, NULL, NULL), 0);
	FCHECK_EQ(fa.val, 0);
	FCHECK_EQ(fs(fc, FS_RMDIR, 0, 0, 0, 0, "/tmp/d", NULL), -FS_ENOTEMPTY);
	FCHECK_EQ(fs(fc, FS_UNLINK, 0, 0, 0, 0, "/tmp/d/g", NULL), 0);
	/* The unlinked file is still open: written at its offset (10). */
	FCHECK_EQ(fs_write(f, "still", 5), 0);
	FCHECK_EQ(fs(f, FS_PREAD, 0, 0, 0, 100, NULL, NULL), 0);
	FCHECK(fa.val == 15 && !memcmp(fa.data + 10, "still", 5));
	FCHECK_EQ(fs(fc, FS_RMDIR, 0, 0, 0, 0, "/tmp/d", NULL), 0);
	FCHECK_EQ(fs(d, FS_SEEK, 0, 0, FS_SEEK_SET, 0, NULL, NULL), 0);
	FCHECK_EQ(fs(d, FS_READDIR, 0, 0, 0, 4096, NULL, NULL), 0);
	FCHECK_EQ(fa.val, 48); /* . and .. only */
	/* FS_CLOSE ends the file for every holder. */
	FCHECK_EQ(fs(f, FS_CLOSE, 0, 0, 0, 0, NULL, NULL), 0);
	FCHECK_EQ(fs(f, FS_FSTAT, 0, 0, 0, 0, NULL, NULL), -FS_EBADF);
	sys_handle_close(f);
	sys_handle_close(d);
	FCHECK_EQ(fs(fc, FS_NOP, 0, 0, 0, 0, NULL, NULL), 0);
	FCHECK_EQ(fs_status("files"), 0);
	FCHECK_EQ(fs_status("tmp_used"), 0);
	fs_teardown();
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
			FCHECK_EQ(fs(fc, op, FS_O_READ | FS_O_CREATE, 0, 0, 0,
				     cases[i].p,
				     op == FS_RENAME ? "/tmp/y" : NULL),
				  cases[i].err);
	FCHECK_EQ(fs(fc, FS_STAT, 0, 0, 0, 0, longname, NULL),
		  -FS_ENAMETOOLONG);
	FCHECK_EQ(fs(fc, FS_STAT, 0, 0, 0, 0, longpath, NULL),
		  -FS_ENAMETOOLONG);
	FCHECK_EQ(fs_h(fc, FS_STAT, 0, 0, 0, 0, NULL, NULL, NULL, 0, NULL, 0),
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
	FCHECK_EQ(sys_port_call(fc, &pm, &rx, g_now() + 5000 * MS), 0);
	struct fs_resp r;
	memcpy(&r, ans, sizeof(r));
	FCHECK_EQ(r.err, -FS_EINVAL);
	/* Malformed messages: too short, lengths that do not add up. */
	pm.len = 3;
	FCHECK_EQ(sys_port_call(fc, &pm, &rx, g_now() + 5000 * MS), 0);
	memcpy(&r, ans, sizeof(r));
	FCHECK_EQ(r.err, -FS_EPROTO);
	pm.len = sizeof(q) + 3;
	FCHECK_EQ(sys_port_call(fc, &pm, &rx, g_now() + 5000 * MS), 0);
	memcpy(&r, ans, sizeof(r));
	FCHECK_EQ(r.err, -FS_EPROTO);
	/* Directory opened for writing; unknown flags. */
	long err;
	fs_open("/tmp", FS_O_WRITE, &err);
	FCHECK_EQ(err, -FS_EISDIR);
	fs_open("/tmp", FS_O_READ | 0x100, &err);
	FCHECK_EQ(err, -FS_EINVAL);
	fs_open("/tmp", 0, &err);
	FCHECK_EQ(err, -FS_EINVAL);
	/* The wrong kind of endpoint for the call. */
	FCHECK_EQ(fs(fc, FS_READ, 0, 0, 0, 10, NULL, NULL), -FS_EBADF);
	FCHECK_EQ(fs(fe.pub, FS_STAT, 0, 0, 0, 0, "/tmp", NULL), -FS_EBADF);
	FCHECK_EQ(fs(fe.pub, FS_CONNECT, 0, 7, 0, 0, NULL, NULL), -FS_EPROTO);
	handle_t f = fs_open("/tmp/f", FS_O_READ | FS_O_CREATE, &err);
	FCHECK_EQ(err, 0);
	FCHECK_EQ(fs(f, FS_STAT, 0, 0, 0, 0, "/tmp/f", NULL), -FS_EBADF);
	FCHECK_EQ(fs(f, 999, 0, 0, 0, 0, NULL, NULL), -FS_EBADF);
	FCHECK_EQ(fs_write(f, "x", 1), -FS_EBADF); /* not opened to write */
	/* Another client's file: only its endpoint reaches it, and a
	 * second connection's bulk slot numbers mean nothing here. */
	handle_t c2 = fconnect(fe.pub);
	FCHECK(c2);
	FCHECK_EQ(fs(c2, FS_OPEN, FS_O_READ | FS_O_WRITE, 0, 0, 0, "/tmp/f",
		     NULL),
		  0);
	handle_t f2 = fa.h[0];
	FCHECK_EQ(fs(f2, FS_BULK_SETUP, 0, 0, 0, 8192, NULL, NULL), 0);
	handle_t g2 = fa.h[0];
	uint64_t slot = fa.val;
	FCHECK_EQ(fs(f, FS_READ, FS_IO_BULK, 0, slot, 10, NULL, NULL),
		  -FS_EBADF);
	FCHECK_EQ(fs(f, FS_BULK_FREE, 0, 0, slot, 0, NULL, NULL), -FS_EBADF);
	sys_handle_close(g2);
	sys_handle_close(f2);
	sys_handle_close(c2);
	sys_handle_close(f);
	FCHECK_EQ(fs_status("connections"), 1);
	FCHECK_EQ(fs_status("files"), 0);
	fs_teardown();
}

GTEST(fsd_open_limit_and_close_notices)
{
	SETUP("--tmp-size 256K");
	handle_t f[FS_OPEN_MAX];
	long err;
	for (uint32_t i = 0; i < FS_OPEN_MAX; i++) {
		f[i] = fs_open("/tmp/x", FS_O_READ | FS_O_CREATE, &err);
		FCHECK_EQ(err, 0);
	}
	fs_open("/tmp/x", FS_O_READ, &err);
	FCHECK_EQ(err, -FS_EMFILE);
	FCHECK_EQ(fs_status("files"), FS_OPEN_MAX);
	/* Closing a handle frees the slot before this client's next call
	 * (the notice goes ahead of it). */
	for (int round = 0; round < 20; round++) {
		sys_handle_close(f[round]);
		f[round] = fs_open("/tmp/x", FS_O_READ, &err);
		FCHECK_EQ(err, 0);
	}
	/* A duplicate keeps the file open. */
	handle_t d = g_dup(f[0], RIGHT_SAME);
	sys_handle_close(f[0]);
	fs_open("/tmp/x", FS_O_READ, &err);
	FCHECK_EQ(err, -FS_EMFILE);
	FCHECK_EQ(fs(d, FS_FSTAT, 0, 0, 0, 0, NULL, NULL), 0);
	f[0] = d;
	for (uint32_t i = 0; i < FS_OPEN_MAX; i++)
		sys_handle_close(f[i]);
	FCHECK_EQ(fs_status("files"), 0);
	FCHECK(fs_status("notices") >= FS_OPEN_MAX + 20);
	fs_teardown();
}

GTEST(fsd_shared_offset_and_holder_death)
{
	SETUP("--tmp-size 256K");
	long err;
	handle_t f =
		fs_open("/tmp/s", FS_O_READ | FS_O_WRITE | FS_O_CREATE, &err);
	FCHECK_EQ(err, 0);
	FCHECK_EQ(fs_write(f, "0123456789", 10), 0);
	handle_t d = g_dup(f, RIGHT_SAME);
	FCHECK_EQ(fs(d, FS_SEEK, 0, 2, FS_SEEK_SET, 0, NULL, NULL), 0);
	FCHECK_EQ(fs(f, FS_READ, 0, 0, 0, 3, NULL, NULL), 0);
	FCHECK(fa.val == 3 && !memcmp(fa.data, "234", 3));
	FCHECK_EQ(fs(d, FS_READ, 0, 0, 0, 3, NULL, NULL), 0);
	FCHECK(fa.val == 3 && !memcmp(fa.data, "567", 3));
	/* A child task holds the duplicate and a connection; it dies. */
	handle_t c2 = fconnect(fe.pub);
	FCHECK(c2);
	FCHECK_EQ(fs(c2, FS_OPEN, FS_O_READ, 0, 0, 0, "/tmp/s", NULL), 0);
	handle_t f2 = fa.h[0];
	FCHECK_EQ(fs_status("connections"), 2);
	FCHECK_EQ(fs_status("files"), 2);
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
	sys_task_kill(k3.task, 1);
	g_reap(&k3, 5000 * MS, &st);
	FCHECK_EQ(fs_status_wait("files", 1), 1); /* f holds the shared one */
	sys_task_kill(k2.task, 1);
	g_reap(&k2, 5000 * MS, &st);
	FCHECK_EQ(fs_status_wait("connections", 1), 1);
	FCHECK_EQ(fs(f, FS_READ, 0, 0, 0, 10, NULL, NULL), 0);
	FCHECK(fa.val == 2 && !memcmp(fa.data, "89", 2));
	sys_handle_close(f);
	FCHECK_EQ(fs_status("files"), 0);
	fs_teardown();
}
