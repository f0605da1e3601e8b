/* fsd's protocol handler (servers/fsd/fsd_srv.c, fsd_file.c) against a
 * fake kernel: connect, every operation and its errors, the wrong kind of
 * endpoint, limits (open files, calls in flight), notices, bulk windows,
 * device nodes, JSON ping/status, and random requests from random
 * badges. Every handle the core is given or makes is accounted for: at
 * the end of each test all are closed. */
#include <stdlib.h>
#include <string.h>

#include "fsd_srv.h"
#include "harness.h"

#define HMAX  (1 << 20)
#define SEND0 900000 /* handles SEND0.. are send endpoints */
static struct {
	uint8_t live[HMAX];   /* 1 while the value is open */
	uint64_t badge[HMAX]; /* minted endpoints */
	uint32_t next;
	int windows; /* bulk windows mapped */
	int fail_mint;
} K;

static struct fsd_srv S;
static struct fsd_out O;
static struct fs_resp R;
static const uint8_t *D; /* the answer's data */

static uint32_t new_handle(void)
{
	uint32_t h = K.next++;
	if (h >= SEND0)
		abort();
	K.live[h] = 1;
	return h;
}

static int k_mint(void *c, uint64_t badge, uint32_t *out)
{
	(void)c;
	if (K.fail_mint)
		return -FS_ENOMEM;
	*out = new_handle();
	K.badge[*out] = badge;
	return 0;
}

static int k_dup(void *c, uint32_t h, uint32_t *out)
{
	(void)c;
	if (!K.live[h])
		abort();
	*out = new_handle();
	return 0;
}

static void k_close(void *c, uint32_t h)
{
	(void)c;
	if (h >= HMAX || !K.live[h])
		abort(); /* closed twice, or never ours */
	K.live[h] = 0;
}

static int k_check_send(void *c, uint32_t h)
{
	(void)c;
	return h >= SEND0 ? 0 : -FS_EINVAL;
}

static int k_bulk_new(void *c, uint32_t size, struct fsd_bulk *b,
		      uint32_t *client)
{
	(void)c;
	b->addr = calloc(1, size);
	b->grant = new_handle();
	*client = new_handle();
	K.windows++;
	return 0;
}

static void k_bulk_free(void *c, struct fsd_bulk *b)
{
	(void)c;
	free(b->addr);
	k_close(NULL, b->grant);
	K.windows--;
}

static void *t_alloc(void *c, size_t n)
{
	(void)c;
	return malloc(n);
}

static void t_free(void *c, void *p)
{
	(void)c;
	free(p);
}

static int setup(uint64_t tmp)
{
	memset(&K, 0, sizeof(K));
	K.next = 100;
	memset(&S.fs, 0, sizeof(S.fs));
	S.fs.alloc = t_alloc;
	S.fs.free = t_free;
	static const struct fsd_ops ops = {.mint = k_mint,
					   .dup = k_dup,
					   .close = k_close,
					   .check_send = k_check_send,
					   .bulk_new = k_bulk_new,
					   .bulk_free = k_bulk_free};
	int err = fsd_fs_init(&S.fs, tmp);
	fsd_srv_init(&S, &ops);
	return err;
}

/* Handles still open (after fini: must be none). */
static int open_handles(void)
{
	int n = 0;
	for (int i = 0; i < HMAX; i++)
		n += K.live[i];
	return n;
}

static uint8_t msg[4200];

/* One request; returns the answer's err. */
static int req_h(uint64_t badge, uint32_t op, uint32_t flags, uint64_t a,
		 uint64_t b, uint64_t c, const char *p1, const char *p2,
		 const void *data, uint32_t dlen, uint32_t *hs, uint32_t nh)
{
	struct fs_req q = {.op = op, .flags = flags, .a = a, .b = b, .c = c};
	q.path_len = p1 ? (uint16_t)strlen(p1) : 0;
	q.path2_len = p2 ? (uint16_t)strlen(p2) : 0;
	q.data_len = dlen;
	uint32_t len = sizeof(q);
	memcpy(msg, &q, sizeof(q));
	if (p1)
		memcpy(msg + len, p1, q.path_len);
	len += q.path_len;
	if (p2)
		memcpy(msg + len, p2, q.path2_len);
	len += q.path2_len;
	if (dlen)
		memcpy(msg + len, data, dlen);
	len += dlen;
	fsd_request(&S, badge, msg, len, hs, nh, &O);
	if (!O.reply || O.len < sizeof(R))
		abort();
	memcpy(&R, O.buf, sizeof(R));
	D = O.buf + sizeof(R);
	return R.err;
}

static int req(uint64_t badge, uint32_t op, uint32_t flags, uint64_t a,
	       uint64_t b, uint64_t c, const char *p1, const char *p2)
{
	return req_h(badge, op, flags, a, b, c, p1, p2, NULL, 0, NULL, 0);
}

/* A connection (through the public endpoint or the device one). */
static uint64_t connect_(uint64_t pub)
{
	if (req(pub, FS_CONNECT, 0, FS_PROTO_VERSION, 0, 0, NULL, NULL) ||
	    !O.handle || K.badge[O.handle] != R.val)
		abort();
	return R.val;
}

static uint32_t last_handle;

/* Opens: the file's badge (0 on error, *err set). */
static uint64_t open_(uint64_t conn, const char *p, uint32_t fl, int *err)
{
	*err = req(conn, FS_OPEN, fl, 0644, 0, 0, p, NULL);
	last_handle = O.handle;
	return *err ? 0 : R.val;
}

static int wr(uint64_t f, const char *s)
{
	return req_h(f, FS_WRITE, 0, 0, 0, 0, NULL, NULL, s,
		     (uint32_t)strlen(s), NULL, 0);
}

/* The client closes its last handle: the kernel's notice. */
static void gone(uint32_t h)
{
	k_close(NULL, h);
	fsd_notice(&S, K.badge[h]);
}

static void teardown(void)
{
	fsd_srv_fini(&S);
}

TEST(fsd_srv_connect_and_endpoint_kinds)
{
	CHECK_EQ(setup(1 << 20), 0);
	CHECK_EQ(req(FSD_BADGE_PUBLIC, FS_CONNECT, 0, 99, 0, 0, NULL, NULL),
		 -FS_EPROTO);
	CHECK_EQ(O.handle, 0);
	CHECK_EQ(req(FSD_BADGE_PUBLIC, FS_OPEN, FS_O_READ, 0, 0, 0, "/tmp",
		     NULL),
		 -FS_EBADF);
	CHECK_EQ(req(FSD_BADGE_PUBLIC, FS_NOP, 0, 0, 0, 0, NULL, NULL), 0);
	CHECK_EQ(R.val, FS_PROTO_VERSION);
	uint64_t c = connect_(FSD_BADGE_PUBLIC);
	uint32_t ch = O.handle;
	CHECK_EQ(c >> 56, FSD_KIND_CONN);
	/* A file op on a connection; a path op on a file; stale badges. */
	CHECK_EQ(req(c, FS_READ, 0, 0, 0, 10, NULL, NULL), -FS_EBADF);
	CHECK_EQ(req(c, FS_CONNECT, 0, FS_PROTO_VERSION, 0, 0, NULL, NULL),
		 -FS_EBADF);
	int err;
	uint64_t f = open_(c, "/tmp/x", FS_O_READ | FS_O_CREATE, &err);
	CHECK_EQ(err, 0);
	CHECK_EQ(f >> 56, FSD_KIND_FILE);
	CHECK_EQ(K.badge[last_handle], f);
	CHECK_EQ(req(f, FS_OPEN, FS_O_READ, 0, 0, 0, "/tmp/x", NULL),
		 -FS_EBADF);
	CHECK_EQ(req(f, FS_STAT, 0, 0, 0, 0, "/tmp/x", NULL), -FS_EBADF);
	CHECK_EQ(req(c + 1, FS_STAT, 0, 0, 0, 0, "/tmp/x", NULL), -FS_EBADF);
	CHECK_EQ(req(f + (1 << 16), FS_FSTAT, 0, 0, 0, 0, NULL, NULL),
		 -FS_EBADF);
	CHECK_EQ(req(0x7ull << 56, FS_FSTAT, 0, 0, 0, 0, NULL, NULL),
		 -FS_EBADF);
	/* Malformed messages. */
	fsd_request(&S, c, "\1\0\0", 3, NULL, 0, &O);
	memcpy(&R, O.buf, sizeof(R));
	CHECK_EQ(R.err, -FS_EPROTO);
	struct fs_req q = {.op = FS_STAT, .path_len = 10};
	memcpy(msg, &q, sizeof(q));
	memcpy(msg + sizeof(q), "/tmp", 4);
	fsd_request(&S, c, msg, sizeof(q) + 4, NULL, 0, &O);
	memcpy(&R, O.buf, sizeof(R));
	CHECK_EQ(R.err, -FS_EPROTO);
	gone(last_handle);
	CHECK_EQ(req(f, FS_FSTAT, 0, 0, 0, 0, NULL, NULL), -FS_EBADF);
	gone(ch);
	CHECK_EQ(req(c, FS_STAT, 0, 0, 0, 0, "/tmp/x", NULL), -FS_EBADF);
	CHECK_EQ(S.st.connects, 1);
	teardown();
	CHECK_EQ(open_handles(), 0);
}

TEST(fsd_srv_bad_paths_get_clean_errors)
{
	CHECK_EQ(setup(1 << 20), 0);
	uint64_t c = connect_(FSD_BADGE_PUBLIC);
	uint32_t ch = O.handle;
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
			int got = req(c, op, FS_O_READ, 0, 0, 0, cases[i].p,
				      op == FS_RENAME ? "/tmp/y" : NULL);
			if (got != want)
				fprintf(stderr, "    %s op %u: %d\n",
					cases[i].p, op, got);
			CHECK_EQ(got, want);
		}
	}
	/* A NUL inside. */
	CHECK_EQ(req_h(c, FS_STAT, 0, 0, 0, 0, NULL, NULL, NULL, 0, NULL, 0),
		 -FS_ENOENT);
	struct fs_req q = {.op = FS_STAT, .path_len = 6};
	memcpy(msg, &q, sizeof(q));
	memcpy(msg + sizeof(q), "/tmp\0x", 6);
	fsd_request(&S, c, msg, sizeof(q) + 6, NULL, 0, &O);
	memcpy(&R, O.buf, sizeof(R));
	CHECK_EQ(R.err, -FS_EINVAL);
	/* The second path of rename is checked too. */
	CHECK_EQ(req(c, FS_RENAME, 0, 0, 0, 0, "/tmp", "/tmp/../.."),
		 -FS_EINVAL);
	gone(ch);
	teardown();
	CHECK_EQ(open_handles(), 0);
}

TEST(fsd_srv_file_operations_inline)
{
	CHECK_EQ(setup(1 << 20), 0);
	uint64_t c = connect_(FSD_BADGE_PUBLIC);
	uint32_t ch = O.handle;
	int err;
	uint64_t f =
		open_(c, "/tmp/a", FS_O_READ | FS_O_WRITE | FS_O_CREATE, &err);
	uint32_t fh = last_handle;
	CHECK_EQ(err, 0);
	struct fs_stat st;
	CHECK_EQ(O.len, sizeof(R) + sizeof(st));
	memcpy(&st, D, sizeof(st));
	CHECK_EQ(st.mode, FS_MODE_REG | 0644);
	CHECK_EQ(wr(f, "hello "), 0);
	CHECK_EQ(R.val, 6);
	CHECK_EQ(wr(f, "world"), 0);
	CHECK_EQ(req(f, FS_SEEK, 0, 0, FS_SEEK_CUR, 0, NULL, NULL), 0);
	CHECK_EQ(R.val, 11);
	CHECK_EQ(req(f, FS_READ, 0, 0, 0, 100, NULL, NULL), 0);
	CHECK_EQ(R.val, 0); /* at the end */
	CHECK_EQ(req(f, FS_SEEK, 0, 0, FS_SEEK_SET, 0, NULL, NULL), 0);
	CHECK_EQ(req(f, FS_READ, 0, 0, 0, 5, NULL, NULL), 0);
	CHECK_EQ(R.val, 5);
	CHECK_EQ(O.len, sizeof(R) + 5);
	CHECK(!memcmp(D, "hello", 5));
	CHECK_EQ(req(f, FS_PREAD, 0, 6, 0, 100, NULL, NULL), 0);
	CHECK_EQ(R.val, 5);
	CHECK(!memcmp(D, "world", 5));
	CHECK_EQ(req(f, FS_SEEK, 0, 0, FS_SEEK_CUR, 0, NULL, NULL), 0);
	CHECK_EQ(R.val, 5); /* pread kept the offset */
	CHECK_EQ(req_h(f, FS_PWRITE, 0, 0, 0, 0, NULL, NULL, "J", 1, NULL, 0),
		 0);
	CHECK_EQ(req(f, FS_SEEK, 0, -3, FS_SEEK_END, 0, NULL, NULL), 0);
	CHECK_EQ(R.val, 8);
	CHECK_EQ(req(f, FS_SEEK, 0, -100, FS_SEEK_END, 0, NULL, NULL),
		 -FS_EINVAL);
	CHECK_EQ(req(f, FS_SEEK, 0, 0, 7, 0, NULL, NULL), -FS_EINVAL);
	CHECK_EQ(req(f, FS_SEEK, 0, INT64_MAX, FS_SEEK_CUR, 0, NULL, NULL),
		 -FS_EOVERFLOW);
	CHECK_EQ(req(f, FS_FSTAT, 0, 0, 0, 0, NULL, NULL), 0);
	memcpy(&st, D, sizeof(st));
	CHECK_EQ(st.size, 11);
	CHECK_EQ(req(f, FS_FTRUNCATE, 0, 3, 0, 0, NULL, NULL), 0);
	CHECK_EQ(req(c, FS_STAT, 0, 0, 0, 0, "/tmp/a", NULL), 0);
	memcpy(&st, D, sizeof(st));
	CHECK_EQ(st.size, 3);
	CHECK_EQ(req(c, FS_TRUNCATE, 0, 1, 0, 0, "/tmp/a", NULL), 0);
	CHECK_EQ(req(f, FS_PREAD, 0, 0, 0, 100, NULL, NULL), 0);
	CHECK_EQ(R.val, 1);
	CHECK_EQ(D[0], 'J');
	/* Inline reads are capped; big requests are short reads. */
	static char big[4096];
	memset(big, 'b', sizeof(big));
	CHECK_EQ(req_h(f, FS_PWRITE, 0, 0, 0, 0, NULL, NULL, big,
		       FS_REQ_DATA_MAX, NULL, 0),
		 0);
	CHECK_EQ(R.val, FS_REQ_DATA_MAX);
	CHECK_EQ(req(f, FS_PREAD, 0, 0, 0, 1 << 20, NULL, NULL), 0);
	CHECK_EQ(R.val, FS_INLINE_MAX);
	CHECK_EQ(req(f, FS_READ, 0x8, 0, 0, 1, NULL, NULL), -FS_EINVAL);
	/* Append mode: every write at the end; pwrite where asked. */
	uint64_t g = open_(c, "/tmp/a", FS_O_WRITE | FS_O_APPEND, &err);
	uint32_t gh = last_handle;
	CHECK_EQ(err, 0);
	CHECK_EQ(wr(g, "END"), 0);
	CHECK_EQ(req(f, FS_FSTAT, 0, 0, 0, 0, NULL, NULL), 0);
	memcpy(&st, D, sizeof(st));
	CHECK_EQ(st.size, FS_REQ_DATA_MAX + 3);
	/* Read-only and write-only opens. */
	CHECK_EQ(req(g, FS_READ, 0, 0, 0, 1, NULL, NULL), -FS_EBADF);
	uint64_t r = open_(c, "/tmp/a", FS_O_READ, &err);
	uint32_t rh = last_handle;
	CHECK_EQ(wr(r, "x"), -FS_EBADF);
	CHECK_EQ(req(r, FS_FTRUNCATE, 0, 0, 0, 0, NULL, NULL), -FS_EBADF);
	/* FS_CLOSE ends the file for every holder at once. */
	CHECK_EQ(req(r, FS_CLOSE, 0, 0, 0, 0, NULL, NULL), 0);
	CHECK_EQ(req(r, FS_FSTAT, 0, 0, 0, 0, NULL, NULL), -FS_EBADF);
	gone(rh); /* the notice after FS_CLOSE finds nothing */
	gone(gh);
	gone(fh);
	CHECK_EQ(S.nfiles, 0);
	gone(ch);
	teardown();
	CHECK_EQ(open_handles(), 0);
}

TEST(fsd_srv_read_only_and_directories)
{
	CHECK_EQ(setup(1 << 20), 0);
	uint64_t c = connect_(FSD_BADGE_PUBLIC);
	uint32_t ch = O.handle;
	int err;
	CHECK_EQ(req(c, FS_MKDIR, 0, 0755, 0, 0, "/tmp/d", NULL), 0);
	CHECK_EQ(req(c, FS_MKDIR, 0, 0755, 0, 0, "/tmp/d/e", NULL), 0);
	open_(c, "/tmp/d", FS_O_WRITE, &err);
	CHECK_EQ(err, -FS_EISDIR);
	open_(c, "/tmp/d", FS_O_READ | FS_O_WRITE, &err);
	CHECK_EQ(err, -FS_EISDIR);
	open_(c, "/boot/x", FS_O_WRITE | FS_O_CREATE, &err);
	CHECK_EQ(err, -FS_EROFS);
	CHECK_EQ(req(c, FS_MKDIR, 0, 0, 0, 0, "/boot/y", NULL), -FS_EROFS);
	CHECK_EQ(req(c, FS_TRUNCATE, 0, 0, 0, 0, "/tmp/d", NULL), -FS_EISDIR);
	uint64_t d = open_(c, "/tmp/d", FS_O_READ | FS_O_DIRECTORY, &err);
	uint32_t dh = last_handle;
	CHECK_EQ(err, 0);
	CHECK_EQ(req(d, FS_READ, 0, 0, 0, 10, NULL, NULL), -FS_EISDIR);
	CHECK_EQ(req(d, FS_READDIR, 0, 0, 0, 4096, NULL, NULL), 0);
	CHECK_EQ(R.val, 72); /* ".", "..", "e" */
	const struct fs_dirent *e = (const void *)(D + 48);
	STR_EQ(e->d_name, "e");
	CHECK_EQ(req(d, FS_READDIR, 0, 0, 0, 4096, NULL, NULL), 0);
	CHECK_EQ(R.val, 0);
	CHECK_EQ(req(d, FS_SEEK, 0, 0, FS_SEEK_SET, 0, NULL, NULL), 0);
	CHECK_EQ(req(d, FS_READDIR, 0, 0, 0, 30, NULL, NULL), 0);
	CHECK_EQ(R.val, 24); /* "." only */
	CHECK_EQ(req(d, FS_READDIR, 0, 0, 0, 10, NULL, NULL), -FS_EINVAL);
	CHECK_EQ(req(c, FS_RMDIR, 0, 0, 0, 0, "/tmp/d", NULL), -FS_ENOTEMPTY);
	CHECK_EQ(req(c, FS_RMDIR, 0, 0, 0, 0, "/tmp/d/e", NULL), 0);
	CHECK_EQ(req(c, FS_UNLINK, 0, 0, 0, 0, "/tmp/d", NULL), -FS_EISDIR);
	CHECK_EQ(req(c, FS_RMDIR, 0, 0, 0, 0, "/tmp/d", NULL), 0);
	/* The open directory lives on, empty. */
	CHECK_EQ(req(d, FS_SEEK, 0, 0, FS_SEEK_SET, 0, NULL, NULL), 0);
	CHECK_EQ(req(d, FS_READDIR, 0, 0, 0, 4096, NULL, NULL), 0);
	CHECK_EQ(R.val, 48);
	CHECK_EQ(req(c, FS_RENAME, 0, 0, 0, 0, "/tmp", "/x"), -FS_EBUSY);
	gone(dh);
	gone(ch);
	teardown();
	CHECK_EQ(open_handles(), 0);
}

TEST(fsd_srv_open_limit_and_notices)
{
	CHECK_EQ(setup(1 << 20), 0);
	uint64_t c = connect_(FSD_BADGE_PUBLIC);
	uint32_t ch = O.handle;
	uint32_t hs[FS_OPEN_MAX];
	int err;
	for (uint32_t i = 0; i < FS_OPEN_MAX; i++) {
		open_(c, "/tmp/f", FS_O_READ | FS_O_CREATE, &err);
		CHECK_EQ(err, 0);
		hs[i] = last_handle;
	}
	open_(c, "/tmp/f", FS_O_READ, &err);
	CHECK_EQ(err, -FS_EMFILE);
	/* Another connection is not affected. */
	uint64_t c2 = connect_(FSD_BADGE_PUBLIC);
	uint32_t ch2 = O.handle;
	open_(c2, "/tmp/f", FS_O_READ, &err);
	CHECK_EQ(err, 0);
	gone(last_handle);
	gone(hs[3]);
	open_(c, "/tmp/f", FS_O_READ, &err);
	CHECK_EQ(err, 0);
	hs[3] = last_handle;
	/* The connection dies with files open: they still work, and it
	 * goes with the last of them. */
	gone(ch);
	CHECK_EQ(req(c, FS_STAT, 0, 0, 0, 0, "/tmp/f", NULL), -FS_EBADF);
	CHECK_EQ(req(K.badge[hs[0]], FS_FSTAT, 0, 0, 0, 0, NULL, NULL), 0);
	for (uint32_t i = 0; i < FS_OPEN_MAX; i++)
		gone(hs[i]);
	CHECK_EQ(S.conns[c & 0xffff].badge, 0);
	/* A mint that fails leaves nothing. */
	K.fail_mint = 1;
	open_(c2, "/tmp/f", FS_O_READ, &err);
	CHECK_EQ(err, -FS_ENOMEM);
	CHECK_EQ(req(FSD_BADGE_PUBLIC, FS_CONNECT, 0, FS_PROTO_VERSION, 0, 0,
		     NULL, NULL),
		 -FS_ENOMEM);
	K.fail_mint = 0;
	CHECK_EQ(S.nfiles, 0);
	/* The table of connections fills: ENFILE. */
	uint32_t chs[FSD_CONN_MAX];
	chs[0] = ch2;
	for (uint32_t i = 1; i < FSD_CONN_MAX; i++) {
		connect_(FSD_BADGE_PUBLIC);
		chs[i] = O.handle;
	}
	CHECK_EQ(req(FSD_BADGE_PUBLIC, FS_CONNECT, 0, FS_PROTO_VERSION, 0, 0,
		     NULL, NULL),
		 -FS_ENFILE);
	/* And the table of files: ENFILE. */
	static uint32_t fhs[FSD_FILE_MAX];
	uint32_t nf = 0;
	for (uint32_t i = 0; nf < FSD_FILE_MAX; i++)
		for (uint32_t j = 0; j < FS_OPEN_MAX && nf < FSD_FILE_MAX;
		     j++) {
			open_(K.badge[chs[i]], "/tmp", FS_O_READ, &err);
			CHECK_EQ(err, 0);
			fhs[nf++] = last_handle;
		}
	open_(K.badge[chs[FSD_CONN_MAX - 1]], "/tmp", FS_O_READ, &err);
	CHECK_EQ(err, -FS_ENFILE);
	for (uint32_t i = 0; i < nf; i++)
		gone(fhs[i]);
	for (uint32_t i = 0; i < FSD_CONN_MAX; i++)
		gone(chs[i]);
	teardown();
	CHECK_EQ(open_handles(), 0);
}

TEST(fsd_srv_calls_in_flight_per_connection)
{
	CHECK_EQ(setup(1 << 20), 0);
	uint64_t c = connect_(FSD_BADGE_PUBLIC);
	uint32_t ch = O.handle;
	int err;
	uint64_t f = open_(c, "/tmp/f", FS_O_READ | FS_O_CREATE, &err);
	uint32_t fh = last_handle;
	uint64_t c2 = connect_(FSD_BADGE_PUBLIC);
	uint32_t ch2 = O.handle;
	int slots[FS_INFLIGHT_MAX];
	/* Calls on the connection and on its files count together. */
	for (uint32_t i = 0; i < FS_INFLIGHT_MAX; i++) {
		slots[i] = fsd_admit(&S, i % 2 ? f : c);
		CHECK(slots[i] >= 0);
	}
	CHECK_EQ(fsd_admit(&S, c), -FS_EAGAIN);
	CHECK_EQ(fsd_admit(&S, f), -FS_EAGAIN);
	int o = fsd_admit(&S, c2); /* another connection is not held up */
	CHECK(o >= 0);
	fsd_done(&S, o);
	CHECK_EQ(fsd_admit(&S, 0x7ull << 56), FSD_NO_SLOT);
	fsd_done(&S, FSD_NO_SLOT);
	/* The connection and its file die while calls are held: it stays
	 * until the last is done. */
	gone(fh);
	gone(ch);
	CHECK(S.conns[c & 0xffff].badge == c);
	for (uint32_t i = 0; i < FS_INFLIGHT_MAX; i++)
		fsd_done(&S, slots[i]);
	CHECK_EQ(S.conns[c & 0xffff].badge, 0);
	CHECK(S.st.eagain == 2);
	/* The public endpoint has its own, larger allowance. */
	int pub[FSD_PUBLIC_INFLIGHT];
	for (uint32_t i = 0; i < FSD_PUBLIC_INFLIGHT; i++)
		CHECK((pub[i] = fsd_admit(&S, FSD_BADGE_PUBLIC)) >= 0);
	CHECK_EQ(fsd_admit(&S, FSD_BADGE_PUBLIC), -FS_EAGAIN);
	for (uint32_t i = 0; i < FSD_PUBLIC_INFLIGHT; i++)
		fsd_done(&S, pub[i]);
	gone(ch2);
	teardown();
	CHECK_EQ(open_handles(), 0);
}

TEST(fsd_srv_bulk_windows)
{
	CHECK_EQ(setup(4 << 20), 0);
	uint64_t c = connect_(FSD_BADGE_PUBLIC);
	uint32_t ch = O.handle;
	int err;
	uint64_t f = open_(c, "/tmp/big", FS_O_READ | FS_O_WRITE | FS_O_CREATE,
			   &err);
	uint32_t fh = last_handle;
	uint64_t g = open_(c, "/tmp/other", FS_O_READ | FS_O_CREATE, &err);
	uint32_t gh = last_handle;
	CHECK_EQ(req(f, FS_BULK_SETUP, 0, 0, 0, 100, NULL, NULL), -FS_EINVAL);
	CHECK_EQ(req(f, FS_BULK_SETUP, 0, 0, 0, FS_BULK_MAX + 1, NULL, NULL),
		 -FS_EINVAL);
	CHECK_EQ(req(f, FS_BULK_SETUP, 0, 0, 0, 65536 + 1, NULL, NULL), 0);
	uint64_t slot = R.val;
	uint32_t client = O.handle;
	CHECK(client != 0);
	struct fsd_bulk *b = &S.files[f & 0xffff].bulk[slot];
	CHECK_EQ(b->size, 65536 + 4096); /* whole pages */
	for (uint32_t i = 0; i < 65536; i++)
		b->addr[i] = (uint8_t)(i * 13);
	CHECK_EQ(req(f, FS_WRITE, FS_IO_BULK, 0, slot, 65536, NULL, NULL), 0);
	CHECK_EQ(R.val, 65536);
	memset(b->addr, 0, 65536);
	CHECK_EQ(req(f, FS_PREAD, FS_IO_BULK, 1000, slot, 65536, NULL, NULL),
		 0);
	CHECK_EQ(R.val, 64536);
	CHECK_EQ(O.len, sizeof(R)); /* nothing inline */
	for (uint32_t i = 0; i < 64536; i++)
		CHECK_EQ(b->addr[i], (uint8_t)((i + 1000) * 13));
	/* Too long for the window; a slot of another file; no such slot. */
	CHECK_EQ(req(f, FS_READ, FS_IO_BULK, 0, slot, 1 << 20, NULL, NULL),
		 -FS_EINVAL);
	CHECK_EQ(req(g, FS_PREAD, FS_IO_BULK, 0, slot, 10, NULL, NULL),
		 -FS_EBADF);
	CHECK_EQ(req(f, FS_PREAD, FS_IO_BULK, 0, 3, 10, NULL, NULL), -FS_EBADF);
	CHECK_EQ(req(f, FS_PREAD, FS_IO_BULK, 0, 1ull << 40, 10, NULL, NULL),
		 -FS_EBADF);
	/* Four slots per file, then EBUSY; bytes per connection bounded. */
	uint32_t more[3];
	for (int i = 0; i < 3; i++) {
		CHECK_EQ(
			req(f, FS_BULK_SETUP, 0, 0, 0, FS_BULK_MAX, NULL, NULL),
			0);
		more[i] = O.handle;
	}
	CHECK_EQ(req(f, FS_BULK_SETUP, 0, 0, 0, 4096, NULL, NULL), -FS_EBUSY);
	CHECK_EQ(req(g, FS_BULK_SETUP, 0, 0, 0, FS_BULK_MAX, NULL, NULL),
		 -FS_ENOMEM); /* 3 MiB + 68 KiB + 1 MiB > 4 MiB */
	CHECK_EQ(K.windows, 4);
	CHECK_EQ(req(f, FS_BULK_FREE, 0, 0, 1, 0, NULL, NULL), 0);
	CHECK_EQ(req(f, FS_BULK_FREE, 0, 0, 1, 0, NULL, NULL), -FS_EBADF);
	CHECK_EQ(K.windows, 3);
	CHECK_EQ(req(g, FS_BULK_SETUP, 0, 0, 0, FS_BULK_MAX, NULL, NULL), 0);
	uint32_t gclient = O.handle;
	gone(fh); /* the file's windows go with it */
	CHECK_EQ(K.windows, 1);
	gone(gh);
	CHECK_EQ(K.windows, 0);
	CHECK_EQ(S.bulk_total, 0);
	/* The clients' grant handles are theirs to close. */
	k_close(NULL, client);
	k_close(NULL, gclient);
	for (int i = 0; i < 3; i++)
		k_close(NULL, more[i]);
	gone(ch);
	teardown();
	CHECK_EQ(open_handles(), 0);
}

TEST(fsd_srv_device_nodes)
{
	CHECK_EQ(setup(1 << 20), 0);
	uint64_t c = connect_(FSD_BADGE_PUBLIC);
	uint32_t ch = O.handle;
	uint64_t dc = connect_(FSD_BADGE_DEVPUB);
	uint32_t dch = O.handle;
	K.live[SEND0 + 1] = K.live[SEND0 + 2] = K.live[77] = 1;
	uint32_t h[2] = {SEND0 + 1, 0};
	CHECK_EQ(req_h(c, FS_MKNOD, 0, FS_MODE_CHR, 0, 0, "/dev/ser", NULL,
		       NULL, 0, h, 1),
		 -FS_EPERM);
	CHECK_EQ(h[0], SEND0 + 1); /* not kept */
	CHECK_EQ(req_h(dc, FS_MKNOD, 0, FS_MODE_CHR, 0, 0, "/dev/ser", NULL,
		       NULL, 0, NULL, 0),
		 -FS_EINVAL);
	h[0] = 77; /* not a send endpoint */
	CHECK_EQ(req_h(dc, FS_MKNOD, 0, FS_MODE_CHR, 0, 0, "/dev/ser", NULL,
		       NULL, 0, h, 1),
		 -FS_EINVAL);
	k_close(NULL, 77); /* still the caller's */
	h[0] = SEND0 + 1;
	CHECK_EQ(req_h(dc, FS_MKNOD, 0, 0644, 0, 0, "/dev/ser", NULL, NULL, 0,
		       h, 1),
		 -FS_EINVAL);
	CHECK_EQ(req_h(dc, FS_MKNOD, 0, FS_MODE_CHR, 0, 0, "/tmp/ser", NULL,
		       NULL, 0, h, 1),
		 -FS_EPERM);
	CHECK_EQ(req_h(dc, FS_MKNOD, 0, FS_MODE_CHR, 0, 0, "/dev/ser", NULL,
		       NULL, 0, h, 1),
		 0);
	CHECK_EQ(h[0], 0); /* kept by the node */
	h[0] = SEND0 + 2;
	CHECK_EQ(req_h(dc, FS_MKNOD, 0, FS_MODE_CHR, 0, 0, "/dev/ser", NULL,
		       NULL, 0, h, 1),
		 -FS_EEXIST);
	k_close(NULL, SEND0 + 2);
	int err;
	open_(c, "/dev/ser", FS_O_READ | FS_O_WRITE, &err);
	CHECK_EQ(err, 0);
	CHECK_EQ(R.flags, FS_RESP_DEVICE);
	CHECK(O.handle != 0 && O.handle != SEND0 + 1);
	k_close(NULL, O.handle); /* the client's duplicate */
	CHECK_EQ(S.nfiles, 0);	 /* not an fsd file */
	CHECK_EQ(req(c, FS_UNLINK, 0, 0, 0, 0, "/dev/ser", NULL), -FS_EPERM);
	/* The driver's connection dies: its nodes go, handles closed. */
	gone(dch);
	CHECK_EQ(K.live[SEND0 + 1], 0);
	CHECK_EQ(req(c, FS_STAT, 0, 0, 0, 0, "/dev/ser", NULL), -FS_ENOENT);
	gone(ch);
	teardown();
	CHECK_EQ(open_handles(), 0);
}

TEST(fsd_srv_full_tmp_and_json)
{
	CHECK_EQ(setup(32 << 10), 0);
	uint64_t c = connect_(FSD_BADGE_PUBLIC);
	uint32_t ch = O.handle;
	int err;
	uint64_t f = open_(c, "/tmp/f", FS_O_WRITE | FS_O_CREATE, &err);
	uint32_t fh = last_handle;
	static char blk[3000];
	memset(blk, 'z', sizeof(blk));
	int enospc = 0;
	for (int i = 0; i < 40; i++) {
		int e = req_h(f, FS_WRITE, 0, 0, 0, 0, NULL, NULL, blk,
			      sizeof(blk), NULL, 0);
		if (e) {
			CHECK_EQ(e, -FS_ENOSPC);
			enospc++;
		}
	}
	CHECK(enospc > 20);
	CHECK(S.fs.tmp_used <= 32 << 10);
	fsd_request(&S, FSD_BADGE_PUBLIC, "{\"cmd\":\"ping\"}", 14, NULL, 0,
		    &O);
	O.buf[O.len] = 0;
	CHECK(strstr((char *)O.buf, "\"ok\":true") &&
	      strstr((char *)O.buf, "\"name\":\"fsd\""));
	fsd_request(&S, c, "{\"cmd\":\"status\"}", 16, NULL, 0, &O);
	O.buf[O.len] = 0;
	CHECK(strstr((char *)O.buf, "\"files\":1"));
	CHECK(strstr((char *)O.buf, "\"connections\":1"));
	fsd_request(&S, c, "{\"cmd\":\"nope\"}", 14, NULL, 0, &O);
	O.buf[O.len] = 0;
	CHECK(strstr((char *)O.buf, "BAD_CMD"));
	fsd_request(&S, c, "{bad", 4, NULL, 0, &O);
	O.buf[O.len] = 0;
	CHECK(strstr((char *)O.buf, "BAD_JSON"));
	gone(fh);
	gone(ch);
	teardown();
	CHECK_EQ(open_handles(), 0);
}

/* Random requests (ops, flags, fields, paths, lengths) from random
 * badges, live and stale: the answer is always a well-formed error or
 * success, and every handle comes back. */
TEST(fsd_srv_random_requests)
{
	CHECK_EQ(setup(256 << 10), 0);
	static const char *const paths[] = {
		"/",	 "/tmp",    "/tmp/a", "/tmp/a/b", "/tmp/b", "/dev/x",
		"/boot", "/tmp/..", "//",     "/tmp/a/",  "x",	    ""};
	uint64_t badges[64];
	uint32_t hof[64];
	int nb = 0;
	unsigned seed = 99;
	static uint8_t data[3000];
	for (int step = 0; step < 50000; step++) {
		seed = seed * 1103515245u + 12345u;
		unsigned r = seed >> 8;
		if (nb < 2 || r % 40 == 0) {
			uint64_t pub =
				r % 3 ? FSD_BADGE_PUBLIC : FSD_BADGE_DEVPUB;
			if (req(pub, FS_CONNECT, 0, FS_PROTO_VERSION, 0, 0,
				NULL, NULL) == 0 &&
			    nb < 64) {
				badges[nb] = R.val;
				hof[nb++] = O.handle;
			} else if (O.handle) {
				k_close(NULL, O.handle);
			}
			continue;
		}
		if (r % 23 == 0 && nb) { /* a handle goes: its notice */
			int i = (int)((r >> 5) % (unsigned)nb);
			gone(hof[i]);
			badges[i] = badges[--nb];
			hof[i] = hof[nb];
			continue;
		}
		uint64_t badge = badges[(r >> 4) % (unsigned)nb];
		if (r % 17 == 0)
			badge ^= 1ull << ((r >> 3) % 64); /* stale or forged */
		seed = seed * 1103515245u + 12345u;
		uint32_t op = (seed >> 8) % 34;
		uint32_t flags = (seed >> 4) % 5 ? (seed >> 12) % 0x80 : seed;
		uint64_t a = (seed >> 3) % 5 ? (seed >> 10) % 20000 : ~0ull;
		uint64_t b = (seed >> 7) % 4 ? (seed >> 9) % 4 : seed;
		uint64_t c = (seed >> 11) % 6000;
		const char *p1 = paths[(seed >> 13) % 12];
		const char *p2 = paths[(seed >> 17) % 12];
		uint32_t dl = (seed >> 19) % 5 ? (seed >> 14) % 3000 : 0;
		uint32_t hs[2] = {0, 0};
		uint32_t nh = op == FS_MKNOD ? 1 : 0;
		if (nh) {
			hs[0] = new_handle();
			if (r & 1) { /* a "send endpoint" */
				K.live[hs[0]] = 0;
				hs[0] = SEND0 + (uint32_t)(r % 1000);
				if (K.live[hs[0]])
					nh = 0;
				else
					K.live[hs[0]] = 1;
			}
		}
		int e = req_h(badge, op, flags, a, b, c, p1, p2, data, dl, hs,
			      nh);
		CHECK(e <= 0 && e > -200);
		if (O.handle) {
			/* Opens hand out endpoints the client keeps or drops.
			 */
			if (op == FS_OPEN && !(R.flags & FS_RESP_DEVICE) &&
			    nb < 64 && (r & 2)) {
				badges[nb] = R.val;
				hof[nb++] = O.handle;
			} else if (op == FS_OPEN &&
				   !(R.flags & FS_RESP_DEVICE)) {
				gone(O.handle);
			} else {
				k_close(NULL, O.handle);
			}
		}
		for (uint32_t i = 0; i < nh; i++)
			if (hs[i])
				k_close(NULL, hs[i]);
	}
	while (nb)
		gone(hof[--nb]);
	CHECK_EQ(S.nfiles, 0);
	CHECK_EQ(K.windows, 0);
	teardown();
	CHECK_EQ(open_handles(), 0);
}
