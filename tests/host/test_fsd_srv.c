/* fsd's protocol handler (servers/fsd/fsd_srv.c, fsd_file.c) against a
 * fake kernel (fsd_fake.c): connect, the kinds of endpoint, every bad
 * path, the file calls inline, read-only places and directories, the
 * open-file limits and notices. Every handle the core is given or makes
 * is accounted for: at the end of each test all are closed. Limits in
 * flight, bulk windows, devices, JSON and random requests are
 * test_fsd_proto.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsd_fake.h"
#include "harness.h"

TEST(fsd_srv_connect_and_endpoint_kinds)
{
	CHECK_EQ(fk_setup(1 << 20), 0);
	CHECK_EQ(fk_req(FSD_BADGE_PUBLIC, FS_CONNECT, 0, 99, 0, 0, NULL, NULL),
		 -FS_EPROTO);
	CHECK_EQ(fk_out.handle, 0);
	CHECK_EQ(fk_req(FSD_BADGE_PUBLIC, FS_OPEN, FS_O_READ, 0, 0, 0, "/tmp",
			NULL),
		 -FS_EBADF);
	CHECK_EQ(fk_req(FSD_BADGE_PUBLIC, FS_NOP, 0, 0, 0, 0, NULL, NULL), 0);
	CHECK_EQ(fk_resp.val, FS_PROTO_VERSION);
	uint64_t c = fk_connect(FSD_BADGE_PUBLIC);
	uint32_t ch = fk_out.handle;
	CHECK_EQ(c >> 56, FSD_KIND_CONN);
	/* A file op on a connection; a path op on a file; stale badges. */
	CHECK_EQ(fk_req(c, FS_READ, 0, 0, 0, 10, NULL, NULL), -FS_EBADF);
	CHECK_EQ(fk_req(c, FS_CONNECT, 0, FS_PROTO_VERSION, 0, 0, NULL, NULL),
		 -FS_EBADF);
	int err;
	uint64_t f = fk_open(c, "/tmp/x", FS_O_READ | FS_O_CREATE, &err);
	CHECK_EQ(err, 0);
	CHECK_EQ(f >> 56, FSD_KIND_FILE);
	CHECK_EQ(fk.badge[fk_last_handle], f);
	CHECK_EQ(fk_req(f, FS_OPEN, FS_O_READ, 0, 0, 0, "/tmp/x", NULL),
		 -FS_EBADF);
	CHECK_EQ(fk_req(f, FS_STAT, 0, 0, 0, 0, "/tmp/x", NULL), -FS_EBADF);
	CHECK_EQ(fk_req(c + 1, FS_STAT, 0, 0, 0, 0, "/tmp/x", NULL), -FS_EBADF);
	CHECK_EQ(fk_req(f + (1 << 16), FS_FSTAT, 0, 0, 0, 0, NULL, NULL),
		 -FS_EBADF);
	CHECK_EQ(fk_req(0x7ull << 56, FS_FSTAT, 0, 0, 0, 0, NULL, NULL),
		 -FS_EBADF);
	/* Malformed messages. */
	fsd_request(&fk_srv, c, "\1\0\0", 3, NULL, 0, &fk_out);
	memcpy(&fk_resp, fk_out.buf, sizeof(fk_resp));
	CHECK_EQ(fk_resp.err, -FS_EPROTO);
	struct fs_req q = {.op = FS_STAT, .path_len = 10};
	memcpy(fk_msg, &q, sizeof(q));
	memcpy(fk_msg + sizeof(q), "/tmp", 4);
	fsd_request(&fk_srv, c, fk_msg, sizeof(q) + 4, NULL, 0, &fk_out);
	memcpy(&fk_resp, fk_out.buf, sizeof(fk_resp));
	CHECK_EQ(fk_resp.err, -FS_EPROTO);
	fk_gone(fk_last_handle);
	CHECK_EQ(fk_req(f, FS_FSTAT, 0, 0, 0, 0, NULL, NULL), -FS_EBADF);
	fk_gone(ch);
	CHECK_EQ(fk_req(c, FS_STAT, 0, 0, 0, 0, "/tmp/x", NULL), -FS_EBADF);
	CHECK_EQ(fk_srv.st.connects, 1);
	fk_teardown();
	CHECK_EQ(fk_open_handles(), 0);
}

TEST(fsd_srv_bad_paths_get_clean_errors)
{
	CHECK_EQ(fk_setup(1 << 20), 0);
	uint64_t c = fk_connect(FSD_BADGE_PUBLIC);
	uint32_t ch = fk_out.handle;
	static char longname[FS_NAME_MAX + 8], longpath[FS_PATH_MAX + 8];
	strcpy(longname, "/tmp/");
	memset(longname + 5, 'x', FS_NAME_MAX + 1);
	for (int i = 0; i < (int)FS_PATH_MAX + 2; i += 2)
		memcpy(longpath + i, "/a", 2);
	struct {
		const char *p;
		int err;
	} cases[] = {
		{"", -FS_ENOENT},
		{"tmp/x", -FS_EINVAL},
		{"/..", -FS_EINVAL},
		{"/tmp/../../x", -FS_EINVAL},
		{"/tmp//x", -FS_EINVAL},
		{"/tmp/x/", -FS_EINVAL},
		{longname, -FS_ENAMETOOLONG},
		{longpath, -FS_ENAMETOOLONG},
		{"/tmp/nope", -FS_ENOENT},
		{"/nope/x", -FS_ENOENT},
	};
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (uint32_t op = FS_OPEN; op <= FS_TRUNCATE; op++) {
			int want = cases[i].err;
			if (op == FS_MKDIR && want == -FS_ENOENT &&
			    !strcmp(cases[i].p, "/tmp/nope"))
				continue; /* that one is made */
			int got = fk_req(c, op, FS_O_READ, 0, 0, 0, cases[i].p,
					 op == FS_RENAME ? "/tmp/y" : NULL);
			if (got != want)
				fprintf(stderr, "    %s op %u: %d\n",
					cases[i].p, op, got);
			CHECK_EQ(got, want);
		}
	}
	/* A NUL inside. */
	CHECK_EQ(fk_req_h(c, FS_STAT, 0, 0, 0, 0, NULL, NULL, NULL, 0, NULL, 0),
		 -FS_ENOENT);
	struct fs_req q = {.op = FS_STAT, .path_len = 6};
	memcpy(fk_msg, &q, sizeof(q));
	memcpy(fk_msg + sizeof(q), "/tmp\0x", 6);
	fsd_request(&fk_srv, c, fk_msg, sizeof(q) + 6, NULL, 0, &fk_out);
	memcpy(&fk_resp, fk_out.buf, sizeof(fk_resp));
	CHECK_EQ(fk_resp.err, -FS_EINVAL);
	/* The second path of rename is checked too. */
	CHECK_EQ(fk_req(c, FS_RENAME, 0, 0, 0, 0, "/tmp", "/tmp/../.."),
		 -FS_EINVAL);
	fk_gone(ch);
	fk_teardown();
	CHECK_EQ(fk_open_handles(), 0);
}

TEST(fsd_srv_file_operations_inline)
{
	CHECK_EQ(fk_setup(1 << 20), 0);
	uint64_t c = fk_connect(FSD_BADGE_PUBLIC);
	uint32_t ch = fk_out.handle;
	int err;
	uint64_t f = fk_open(c, "/tmp/a", FS_O_READ | FS_O_WRITE | FS_O_CREATE,
			     &err);
	uint32_t fh = fk_last_handle;
	CHECK_EQ(err, 0);
	struct fs_stat st;
	CHECK_EQ(fk_out.len, sizeof(fk_resp) + sizeof(st));
	memcpy(&st, fk_data, sizeof(st));
	CHECK_EQ(st.mode, FS_MODE_REG | 0644);
	CHECK_EQ(fk_write(f, "hello "), 0);
	CHECK_EQ(fk_resp.val, 6);
	CHECK_EQ(fk_write(f, "world"), 0);
	CHECK_EQ(fk_req(f, FS_SEEK, 0, 0, FS_SEEK_CUR, 0, NULL, NULL), 0);
	CHECK_EQ(fk_resp.val, 11);
	CHECK_EQ(fk_req(f, FS_READ, 0, 0, 0, 100, NULL, NULL), 0);
	CHECK_EQ(fk_resp.val, 0); /* at the end */
	CHECK_EQ(fk_req(f, FS_SEEK, 0, 0, FS_SEEK_SET, 0, NULL, NULL), 0);
	CHECK_EQ(fk_req(f, FS_READ, 0, 0, 0, 5, NULL, NULL), 0);
	CHECK_EQ(fk_resp.val, 5);
	CHECK_EQ(fk_out.len, sizeof(fk_resp) + 5);
	CHECK(!memcmp(fk_data, "hello", 5));
	CHECK_EQ(fk_req(f, FS_PREAD, 0, 6, 0, 100, NULL, NULL), 0);
	CHECK_EQ(fk_resp.val, 5);
	CHECK(!memcmp(fk_data, "world", 5));
	CHECK_EQ(fk_req(f, FS_SEEK, 0, 0, FS_SEEK_CUR, 0, NULL, NULL), 0);
	CHECK_EQ(fk_resp.val, 5); /* pread kept the offset */
	CHECK_EQ(
		fk_req_h(f, FS_PWRITE, 0, 0, 0, 0, NULL, NULL, "J", 1, NULL, 0),
		0);
	CHECK_EQ(fk_req(f, FS_SEEK, 0, -3, FS_SEEK_END, 0, NULL, NULL), 0);
	CHECK_EQ(fk_resp.val, 8);
	CHECK_EQ(fk_req(f, FS_SEEK, 0, -100, FS_SEEK_END, 0, NULL, NULL),
		 -FS_EINVAL);
	CHECK_EQ(fk_req(f, FS_SEEK, 0, 0, 7, 0, NULL, NULL), -FS_EINVAL);
	CHECK_EQ(fk_req(f, FS_SEEK, 0, INT64_MAX, FS_SEEK_CUR, 0, NULL, NULL),
		 -FS_EOVERFLOW);
	CHECK_EQ(fk_req(f, FS_FSTAT, 0, 0, 0, 0, NULL, NULL), 0);
	memcpy(&st, fk_data, sizeof(st));
	CHECK_EQ(st.size, 11);
	CHECK_EQ(fk_req(f, FS_FTRUNCATE, 0, 3, 0, 0, NULL, NULL), 0);
	CHECK_EQ(fk_req(c, FS_STAT, 0, 0, 0, 0, "/tmp/a", NULL), 0);
	memcpy(&st, fk_data, sizeof(st));
	CHECK_EQ(st.size, 3);
	CHECK_EQ(fk_req(c, FS_TRUNCATE, 0, 1, 0, 0, "/tmp/a", NULL), 0);
	CHECK_EQ(fk_req(f, FS_PREAD, 0, 0, 0, 100, NULL, NULL), 0);
	CHECK_EQ(fk_resp.val, 1);
	CHECK_EQ(fk_data[0], 'J');
	/* Inline reads are capped; big requests are short reads. */
	static char big[4096];
	memset(big, 'b', sizeof(big));
	CHECK_EQ(fk_req_h(f, FS_PWRITE, 0, 0, 0, 0, NULL, NULL, big,
			  FS_REQ_DATA_MAX, NULL, 0),
		 0);
	CHECK_EQ(fk_resp.val, FS_REQ_DATA_MAX);
	CHECK_EQ(fk_req(f, FS_PREAD, 0, 0, 0, 1 << 20, NULL, NULL), 0);
	CHECK_EQ(fk_resp.val, FS_INLINE_MAX);
	CHECK_EQ(fk_req(f, FS_READ, 0x8, 0, 0, 1, NULL, NULL), -FS_EINVAL);
	/* Append mode: every write at the end; pwrite where asked. */
	uint64_t g = fk_open(c, "/tmp/a", FS_O_WRITE | FS_O_APPEND, &err);
	uint32_t gh = fk_last_handle;
	CHECK_EQ(err, 0);
	CHECK_EQ(fk_write(g, "END"), 0);
	CHECK_EQ(fk_req(f, FS_FSTAT, 0, 0, 0, 0, NULL, NULL), 0);
	memcpy(&st, fk_data, sizeof(st));
	CHECK_EQ(st.size, FS_REQ_DATA_MAX + 3);
	/* Read-only and write-only opens. */
	CHECK_EQ(fk_req(g, FS_READ, 0, 0, 0, 1, NULL, NULL), -FS_EBADF);
	uint64_t r = fk_open(c, "/tmp/a", FS_O_READ, &err);
	uint32_t rh = fk_last_handle;
	CHECK_EQ(fk_write(r, "x"), -FS_EBADF);
	CHECK_EQ(fk_req(r, FS_FTRUNCATE, 0, 0, 0, 0, NULL, NULL), -FS_EBADF);
	/* FS_CLOSE ends the file for every holder at once. */
	CHECK_EQ(fk_req(r, FS_CLOSE, 0, 0, 0, 0, NULL, NULL), 0);
	CHECK_EQ(fk_req(r, FS_FSTAT, 0, 0, 0, 0, NULL, NULL), -FS_EBADF);
	fk_gone(rh); /* the notice after FS_CLOSE finds nothing */
	fk_gone(gh);
	fk_gone(fh);
	CHECK_EQ(fk_srv.nfiles, 0);
	fk_gone(ch);
	fk_teardown();
	CHECK_EQ(fk_open_handles(), 0);
}

TEST(fsd_srv_read_only_and_directories)
{
	CHECK_EQ(fk_setup(1 << 20), 0);
	uint64_t c = fk_connect(FSD_BADGE_PUBLIC);
	uint32_t ch = fk_out.handle;
	int err;
	CHECK_EQ(fk_req(c, FS_MKDIR, 0, 0755, 0, 0, "/tmp/d", NULL), 0);
	CHECK_EQ(fk_req(c, FS_MKDIR, 0, 0755, 0, 0, "/tmp/d/e", NULL), 0);
	fk_open(c, "/tmp/d", FS_O_WRITE, &err);
	CHECK_EQ(err, -FS_EISDIR);
	fk_open(c, "/tmp/d", FS_O_READ | FS_O_WRITE, &err);
	CHECK_EQ(err, -FS_EISDIR);
	fk_open(c, "/boot/x", FS_O_WRITE | FS_O_CREATE, &err);
	CHECK_EQ(err, -FS_EROFS);
	CHECK_EQ(fk_req(c, FS_MKDIR, 0, 0, 0, 0, "/boot/y", NULL), -FS_EROFS);
	CHECK_EQ(fk_req(c, FS_TRUNCATE, 0, 0, 0, 0, "/tmp/d", NULL),
		 -FS_EISDIR);
	uint64_t d = fk_open(c, "/tmp/d", FS_O_READ | FS_O_DIRECTORY, &err);
	uint32_t dh = fk_last_handle;
	CHECK_EQ(err, 0);
	CHECK_EQ(fk_req(d, FS_READ, 0, 0, 0, 10, NULL, NULL), -FS_EISDIR);
	CHECK_EQ(fk_req(d, FS_READDIR, 0, 0, 0, 4096, NULL, NULL), 0);
	CHECK_EQ(fk_resp.val, 72); /* ".", "..", "e" */
	const struct fs_dirent *e = (const void *)(fk_data + 48);
	STR_EQ(e->d_name, "e");
	CHECK_EQ(fk_req(d, FS_READDIR, 0, 0, 0, 4096, NULL, NULL), 0);
	CHECK_EQ(fk_resp.val, 0);
	CHECK_EQ(fk_req(d, FS_SEEK, 0, 0, FS_SEEK_SET, 0, NULL, NULL), 0);
	CHECK_EQ(fk_req(d, FS_READDIR, 0, 0, 0, 30, NULL, NULL), 0);
	CHECK_EQ(fk_resp.val, 24); /* "." only */
	CHECK_EQ(fk_req(d, FS_READDIR, 0, 0, 0, 10, NULL, NULL), -FS_EINVAL);
	CHECK_EQ(fk_req(c, FS_RMDIR, 0, 0, 0, 0, "/tmp/d", NULL),
		 -FS_ENOTEMPTY);
	CHECK_EQ(fk_req(c, FS_RMDIR, 0, 0, 0, 0, "/tmp/d/e", NULL), 0);
	CHECK_EQ(fk_req(c, FS_UNLINK, 0, 0, 0, 0, "/tmp/d", NULL), -FS_EISDIR);
	CHECK_EQ(fk_req(c, FS_RMDIR, 0, 0, 0, 0, "/tmp/d", NULL), 0);
	/* The open directory lives on, empty. */
	CHECK_EQ(fk_req(d, FS_SEEK, 0, 0, FS_SEEK_SET, 0, NULL, NULL), 0);
	CHECK_EQ(fk_req(d, FS_READDIR, 0, 0, 0, 4096, NULL, NULL), 0);
	CHECK_EQ(fk_resp.val, 48);
	CHECK_EQ(fk_req(c, FS_RENAME, 0, 0, 0, 0, "/tmp", "/x"), -FS_EBUSY);
	fk_gone(dh);
	fk_gone(ch);
	fk_teardown();
	CHECK_EQ(fk_open_handles(), 0);
}

TEST(fsd_srv_open_limit_and_notices)
{
	CHECK_EQ(fk_setup(1 << 20), 0);
	uint64_t c = fk_connect(FSD_BADGE_PUBLIC);
	uint32_t ch = fk_out.handle;
	uint32_t hs[FS_OPEN_MAX];
	int err;
	for (uint32_t i = 0; i < FS_OPEN_MAX; i++) {
		fk_open(c, "/tmp/f", FS_O_READ | FS_O_CREATE, &err);
		CHECK_EQ(err, 0);
		hs[i] = fk_last_handle;
	}
	fk_open(c, "/tmp/f", FS_O_READ, &err);
	CHECK_EQ(err, -FS_EMFILE);
	/* Another connection is not affected. */
	uint64_t c2 = fk_connect(FSD_BADGE_PUBLIC);
	uint32_t ch2 = fk_out.handle;
	fk_open(c2, "/tmp/f", FS_O_READ, &err);
	CHECK_EQ(err, 0);
	fk_gone(fk_last_handle);
	fk_gone(hs[3]);
	fk_open(c, "/tmp/f", FS_O_READ, &err);
	CHECK_EQ(err, 0);
	hs[3] = fk_last_handle;
	/* The connection dies with files open: they still work, and it
	 * goes with the last of them. */
	fk_gone(ch);
	CHECK_EQ(fk_req(c, FS_STAT, 0, 0, 0, 0, "/tmp/f", NULL), -FS_EBADF);
	CHECK_EQ(fk_req(fk.badge[hs[0]], FS_FSTAT, 0, 0, 0, 0, NULL, NULL), 0);
	for (uint32_t i = 0; i < FS_OPEN_MAX; i++)
		fk_gone(hs[i]);
	CHECK_EQ(fk_srv.conns[c & 0xffff].badge, 0);
	/* A mint that fails leaves nothing. */
	fk.fail_mint = 1;
	fk_open(c2, "/tmp/f", FS_O_READ, &err);
	CHECK_EQ(err, -FS_ENOMEM);
	CHECK_EQ(fk_req(FSD_BADGE_PUBLIC, FS_CONNECT, 0, FS_PROTO_VERSION, 0, 0,
			NULL, NULL),
		 -FS_ENOMEM);
	fk.fail_mint = 0;
	CHECK_EQ(fk_srv.nfiles, 0);
	/* The table of connections fills: ENFILE. */
	uint32_t chs[FSD_CONN_MAX];
	chs[0] = ch2;
	for (uint32_t i = 1; i < FSD_CONN_MAX; i++) {
		fk_connect(FSD_BADGE_PUBLIC);
		chs[i] = fk_out.handle;
	}
	CHECK_EQ(fk_req(FSD_BADGE_PUBLIC, FS_CONNECT, 0, FS_PROTO_VERSION, 0, 0,
			NULL, NULL),
		 -FS_ENFILE);
	/* And the table of files: ENFILE. */
	static uint32_t fhs[FSD_FILE_MAX];
	uint32_t nf = 0;
	for (uint32_t i = 0; nf < FSD_FILE_MAX; i++)
		for (uint32_t j = 0; j < FS_OPEN_MAX && nf < FSD_FILE_MAX;
		     j++) {
			fk_open(fk.badge[chs[i]], "/tmp", FS_O_READ, &err);
			CHECK_EQ(err, 0);
			fhs[nf++] = fk_last_handle;
		}
	fk_open(fk.badge[chs[FSD_CONN_MAX - 1]], "/tmp", FS_O_READ, &err);
	CHECK_EQ(err, -FS_ENFILE);
	for (uint32_t i = 0; i < nf; i++)
		fk_gone(fhs[i]);
	for (uint32_t i = 0; i < FSD_CONN_MAX; i++)
		fk_gone(chs[i]);
	fk_teardown();
	CHECK_EQ(fk_open_handles(), 0);
}
