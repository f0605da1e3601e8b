/* fsd's tree and ramfs (servers/fsd/fsd_fs.c, fsd_data.c): the fixed
 * directories, read-only /boot and `/`, the rules of open, mkdir, rmdir,
 * unlink and rename, holes and truncation, /tmp full (ENOSPC, never a
 * crash, nothing half-done), allocation failures, /boot from a cpio
 * archive (bad entries skipped), /dev nodes, readdir in pieces; and a
 * long random sequence of operations checked against a simple model,
 * with /tmp small enough to fill and allocations failing at random.
 * Every allocation is counted: each test ends with all of it freed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsd_fs.h"
#include "harness.h"

static struct fsd_fs F;
static long live_allocs;
static unsigned fail_every, alloc_seq; /* fail_every 0: never fail */
static int injected;		       /* allocations refused this op */

static void *t_alloc(void *ctx, size_t n)
{
	(void)ctx;
	alloc_seq++;
	if (fail_every && alloc_seq % fail_every == 0) {
		injected++;
		return NULL;
	}
	live_allocs++;
	return malloc(n);
}

static void t_free(void *ctx, void *p)
{
	(void)ctx;
	live_allocs--;
	free(p);
}

static int setup(uint64_t tmp_limit)
{
	memset(&F, 0, sizeof(F));
	F.alloc = t_alloc;
	F.free = t_free;
	fail_every = 0;
	live_allocs = 0;
	return fsd_fs_init(&F, tmp_limit);
}

static struct fsd_path P, P2;

static struct fsd_path *path(const char *s)
{
	if (fsd_path_parse(s, strlen(s), &P))
		abort();
	return &P;
}

static struct fsd_path *path2(const char *s)
{
	if (fsd_path_parse(s, strlen(s), &P2))
		abort();
	return &P2;
}

static int open_(const char *s, uint32_t fl, struct fsd_node **n)
{
	return fsd_open(&F, path(s), fl, 0644, n);
}

/* Opens (creating), writes, releases. */
static int64_t put(const char *s, uint64_t off, const void *d, uint64_t len)
{
	struct fsd_node *n;
	int err = open_(s, FS_O_WRITE | FS_O_CREATE, &n);
	if (err)
		return err;
	int64_t r = fsd_write(&F, n, off, d, len);
	fsd_release(&F, n);
	return r;
}

static int rename_(const char *a, const char *b)
{
	path(a);
	return fsd_rename(&F, &P, path2(b));
}

/* The names readdir gives for dir, joined with ' ' (without . and ..). */
static const char *listing(const char *dir, uint32_t chunk)
{
	static char out[4096];
	static uint8_t buf[4096];
	struct fsd_node *d;
	out[0] = 0;
	if (fsd_lookup(&F, path(dir), &d))
		return "?";
	uint64_t pos = 0;
	size_t o = 0;
	for (;;) {
		int64_t n = fsd_readdir(&F, d, &pos, buf, chunk);
		if (n <= 0)
			return n < 0 ? "!" : out;
		for (int64_t i = 0; i < n;) {
			struct fs_dirent *e = (struct fs_dirent *)(buf + i);
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
				o += (size_t)snprintf(out + o, sizeof(out) - o,
						      "%s%s", o ? " " : "",
						      e->d_name);
			i += e->d_reclen;
		}
	}
}

TEST(fsd_fs_fixed_tree_and_read_only_places)
{
	CHECK_EQ(setup(1 << 20), 0);
	STR_EQ(listing("/", 4096), "boot dev tmp");
	struct fsd_node *n;
	CHECK_EQ(fsd_mkdir(&F, path("/x"), 0755), -FS_EROFS);
	CHECK_EQ(open_("/x", FS_O_WRITE | FS_O_CREATE, &n), -FS_EROFS);
	CHECK_EQ(fsd_mkdir(&F, path("/boot/x"), 0755), -FS_EROFS);
	CHECK_EQ(fsd_mkdir(&F, path("/dev/x"), 0755), -FS_EPERM);
	CHECK_EQ(open_("/dev/x", FS_O_WRITE | FS_O_CREATE, &n), -FS_EPERM);
	CHECK_EQ(fsd_mkdir(&F, path("/tmp"), 0755), -FS_EEXIST);
	CHECK_EQ(fsd_mkdir(&F, path("/"), 0755), -FS_EEXIST);
	CHECK_EQ(fsd_rmdir(&F, path("/tmp")), -FS_EBUSY);
	CHECK_EQ(fsd_rmdir(&F, path("/")), -FS_EBUSY);
	CHECK_EQ(rename_("/tmp", "/tmp2"), -FS_EBUSY);
	CHECK_EQ(rename_("/boot", "/tmp/boot"), -FS_EBUSY);
	CHECK_EQ(open_("/tmp", FS_O_WRITE, &n), -FS_EISDIR);
	CHECK_EQ(open_("/", FS_O_READ | FS_O_WRITE, &n), -FS_EISDIR);
	CHECK_EQ(open_("/tmp", FS_O_READ | FS_O_DIRECTORY, &n), 0);
	fsd_release(&F, n);
	CHECK_EQ(open_("/tmp", 0, &n), -FS_EINVAL);
	CHECK_EQ(open_("/tmp", FS_O_READ | 0x80, &n), -FS_EINVAL);
	CHECK_EQ(open_("/tmp", FS_O_READ | FS_O_TRUNC, &n), -FS_EINVAL);
	CHECK_EQ(F.tmp_used, 0);
	fsd_fs_fini(&F);
	CHECK_EQ(live_allocs, 0);
}

TEST(fsd_fs_open_create_rules)
{
	CHECK_EQ(setup(1 << 20), 0);
	struct fsd_node *n, *m;
	CHECK_EQ(open_("/tmp/a", FS_O_READ, &n), -FS_ENOENT);
	CHECK_EQ(open_("/tmp/a", FS_O_READ | FS_O_CREATE | FS_O_DIRECTORY, &n),
		 -FS_EINVAL);
	CHECK_EQ(open_("/tmp/a", FS_O_READ | FS_O_CREATE | FS_O_EXCL, &n), 0);
	CHECK_EQ(open_("/tmp/a", FS_O_READ | FS_O_CREATE | FS_O_EXCL, &m),
		 -FS_EEXIST);
	CHECK_EQ(open_("/tmp/a", FS_O_READ | FS_O_DIRECTORY, &m), -FS_ENOTDIR);
	CHECK_EQ(open_("/tmp/a/b", FS_O_READ | FS_O_CREATE, &m), -FS_ENOTDIR);
	CHECK_EQ(open_("/tmp/x/b", FS_O_READ | FS_O_CREATE, &m), -FS_ENOENT);
	CHECK_EQ(fsd_write(&F, n, 0, "hello", 5), 5);
	CHECK_EQ(open_("/tmp/a", FS_O_WRITE | FS_O_TRUNC, &m), 0);
	CHECK_EQ(m, n);
	CHECK_EQ(n->size, 0);
	CHECK_EQ(n->refs, 2);
	fsd_release(&F, m);
	fsd_release(&F, n);
	struct fs_stat st;
	CHECK_EQ(fsd_lookup(&F, path("/tmp/a"), &n), 0);
	fsd_stat(&F, n, &st);
	CHECK_EQ(st.mode, FS_MODE_REG | 0644);
	CHECK_EQ(st.nlink, 1);
	CHECK_EQ(st.flags, 0);
	CHECK_EQ(fsd_lookup(&F, path("/tmp"), &n), 0);
	fsd_stat(&F, n, &st);
	CHECK_EQ(st.mode & FS_MODE_TYPE, FS_MODE_DIR);
	CHECK_EQ(st.size, 1);
	CHECK_EQ(fsd_unlink(&F, path("/tmp/a"), 0, &(uint32_t){0}), 0);
	CHECK_EQ(F.tmp_used, 0);
	fsd_fs_fini(&F);
	CHECK_EQ(live_allocs, 0);
}

TEST(fsd_fs_unlinked_open_file_lives_until_released)
{
	CHECK_EQ(setup(1 << 20), 0);
	struct fsd_node *n;
	char buf[16];
	CHECK_EQ(put("/tmp/f", 0, "data", 4), 4);
	CHECK_EQ(open_("/tmp/f", FS_O_READ, &n), 0);
	uint32_t h;
	CHECK_EQ(fsd_unlink(&F, path("/tmp/f"), 0, &h), 0);
	CHECK_EQ(fsd_lookup(&F, path("/tmp/f"), &(struct fsd_node *){0}),
		 -FS_ENOENT);
	CHECK_EQ(fsd_read(&F, n, 0, buf, sizeof(buf)), 4);
	CHECK(!memcmp(buf, "data", 4));
	struct fs_stat st;
	fsd_stat(&F, n, &st);
	CHECK_EQ(st.nlink, 0);
	CHECK(F.tmp_used > 0);
	fsd_release(&F, n);
	CHECK_EQ(F.tmp_used, 0);
	fsd_fs_fini(&F);
	CHECK_EQ(live_allocs, 0);
}

TEST(fsd_fs_rename_rules)
{
	CHECK_EQ(setup(1 << 20), 0);
	uint32_t h;
	CHECK_EQ(fsd_mkdir(&F, path("/tmp/d"), 0755), 0);
	CHECK_EQ(fsd_mkdir(&F, path("/tmp/e"), 0755), 0);
	CHECK_EQ(put("/tmp/d/f", 0, "x", 1), 1);
	CHECK_EQ(put("/tmp/g", 0, "y", 1), 1);
	CHECK_EQ(rename_("/tmp/nope", "/tmp/z"), -FS_ENOENT);
	CHECK_EQ(rename_("/tmp/g", "/tmp/nope/z"), -FS_ENOENT);
	CHECK_EQ(rename_("/tmp/g", "/tmp/g/z"), -FS_ENOTDIR);
	CHECK_EQ(rename_("/tmp/d", "/tmp/g"), -FS_ENOTDIR);
	CHECK_EQ(rename_("/tmp/g", "/tmp/e"), -FS_EISDIR);
	CHECK_EQ(rename_("/tmp/e", "/tmp/d"), -FS_ENOTEMPTY);
	CHECK_EQ(rename_("/tmp/d", "/tmp/d/sub"), -FS_EINVAL);
	CHECK_EQ(rename_("/tmp/g", "/boot/g"), -FS_EXDEV);
	CHECK_EQ(rename_("/tmp/g", "/g"), -FS_EXDEV);
	CHECK_EQ(rename_("/tmp/g", "/"), -FS_EBUSY);
	CHECK_EQ(rename_("/tmp/g", "/tmp/g"), 0);
	CHECK_EQ(rename_("/tmp/d", "/tmp/e"), 0); /* onto an empty dir */
	STR_EQ(listing("/tmp", 4096), "e g");
	STR_EQ(listing("/tmp/e", 4096), "f");
	CHECK_EQ(rename_("/tmp/g", "/tmp/e/f"), 0); /* replaces a file */
	STR_EQ(listing("/tmp", 4096), "e");
	char c;
	struct fsd_node *n;
	CHECK_EQ(fsd_lookup(&F, path("/tmp/e/f"), &n), 0);
	CHECK_EQ(fsd_read(&F, n, 0, &c, 1), 1);
	CHECK_EQ(c, 'y');
	CHECK_EQ(rename_("/tmp/e/f", "/tmp/a-much-longer-name"), 0);
	STR_EQ(listing("/tmp", 4096), "a-much-longer-name e");
	CHECK_EQ(fsd_rmdir(&F, path("/tmp/e")), 0);
	CHECK_EQ(fsd_rmdir(&F, path("/tmp/a-much-longer-name")), -FS_ENOTDIR);
	CHECK_EQ(fsd_unlink(&F, path("/tmp/a-much-longer-name"), 0, &h), 0);
	CHECK_EQ(F.tmp_used, 0);
	fsd_fs_fini(&F);
	CHECK_EQ(live_allocs, 0);
}

TEST(fsd_fs_holes_and_truncate)
{
	CHECK_EQ(setup(1 << 20), 0);
	static uint8_t buf[20000];
	struct fsd_node *n;
	CHECK_EQ(open_("/tmp/h", FS_O_READ | FS_O_WRITE | FS_O_CREATE, &n), 0);
	CHECK_EQ(fsd_write(&F, n, 10000, "abc", 3), 3);
	CHECK_EQ(n->size, 10003);
	/* Only the block written is allocated: the hole costs nothing. */
	CHECK_EQ(F.tmp_used,
		 FSD_NODE_COST + 1 + FSD_BLOCK + 4 * sizeof(void *));
	memset(buf, 0xee, sizeof(buf));
	CHECK_EQ(fsd_read(&F, n, 0, buf, sizeof(buf)), 10003);
	for (int i = 0; i < 10000; i++)
		CHECK_EQ(buf[i], 0);
	CHECK(!memcmp(buf + 10000, "abc", 3));
	CHECK_EQ(fsd_read(&F, n, 10003, buf, 10), 0);
	CHECK_EQ(fsd_read(&F, n, 1ull << 40, buf, 10), 0);
	CHECK_EQ(fsd_truncate(&F, n, 10001), 0);
	CHECK_EQ(fsd_truncate(&F, n, 12000), 0);
	CHECK_EQ(fsd_read(&F, n, 10000, buf, 100), 100);
	CHECK_EQ(buf[0], 'a');
	CHECK_EQ(buf[1], 0); /* cut, then grown: zeros */
	CHECK_EQ(buf[2], 0);
	CHECK_EQ(fsd_truncate(&F, n, 0), 0);
	CHECK_EQ(F.tmp_used, FSD_NODE_COST + 1 + 4 * sizeof(void *));
	CHECK_EQ(fsd_write(&F, n, FSD_FILE_SIZE_MAX, "x", 1), -FS_EFBIG);
	CHECK_EQ(fsd_truncate(&F, n, FSD_FILE_SIZE_MAX + 1), -FS_EFBIG);
	struct fsd_node *d;
	CHECK_EQ(fsd_lookup(&F, path("/tmp"), &d), 0);
	CHECK_EQ(fsd_write(&F, d, 0, "x", 1), -FS_EISDIR);
	CHECK_EQ(fsd_read(&F, d, 0, buf, 1), -FS_EISDIR);
	CHECK_EQ(fsd_truncate(&F, d, 0), -FS_EISDIR);
	fsd_release(&F, n);
	fsd_fs_fini(&F);
	CHECK_EQ(live_allocs, 0);
}

TEST(fsd_fs_tmp_full_is_enospc)
{
	const uint64_t lim = 64 << 10;
	CHECK_EQ(setup(lim), 0);
	static uint8_t big[100000];
	memset(big, 'q', sizeof(big));
	struct fsd_node *n;
	CHECK_EQ(open_("/tmp/big", FS_O_WRITE | FS_O_CREATE, &n), 0);
	int64_t w = fsd_write(&F, n, 0, big, sizeof(big));
	CHECK(w > 0 && w < (int64_t)sizeof(big)); /* a short write */
	CHECK(F.tmp_used <= lim);
	CHECK(F.tmp_used + FSD_BLOCK > lim);
	CHECK_EQ(fsd_write(&F, n, (uint64_t)w, big, 10), -FS_ENOSPC);
	CHECK_EQ(n->size, (uint64_t)w);
	/* Names and directories too, once even a node does not fit. */
	int made = 0;
	char name[32];
	for (;; made++) {
		snprintf(name, sizeof(name), "/tmp/d%d", made);
		int e = fsd_mkdir(&F, path(name), 0755);
		if (e) {
			CHECK_EQ(e, -FS_ENOSPC);
			break;
		}
	}
	CHECK(F.tmp_used + FSD_NODE_COST + 4 > lim);
	snprintf(name, sizeof(name), "/tmp/f%d", made);
	struct fsd_node *m;
	CHECK_EQ(open_(name, FS_O_WRITE | FS_O_CREATE, &m), -FS_ENOSPC);
	CHECK_EQ(fsd_lookup(&F, path(name), &m), -FS_ENOENT);
	/* Space comes back. */
	CHECK_EQ(fsd_truncate(&F, n, 0), 0);
	CHECK_EQ(open_(name, FS_O_WRITE | FS_O_CREATE, &m), 0);
	fsd_release(&F, m);
	fsd_release(&F, n);
	fsd_fs_fini(&F);
	CHECK_EQ(live_allocs, 0);
}

TEST(fsd_fs_allocation_failure_changes_nothing)
{
	CHECK_EQ(setup(1 << 20), 0);
	struct fsd_node *n;
	uint64_t used = F.tmp_used;
	fail_every = 1; /* every allocation fails */
	CHECK_EQ(open_("/tmp/a", FS_O_WRITE | FS_O_CREATE, &n), -FS_ENOSPC);
	CHECK_EQ(fsd_mkdir(&F, path("/tmp/d"), 0755), -FS_ENOSPC);
	CHECK_EQ(F.tmp_used, used);
	fail_every = 0;
	CHECK_EQ(fsd_mkdir(&F, path("/tmp/d"), 0755), 0);
	CHECK_EQ(open_("/tmp/a", FS_O_WRITE | FS_O_CREATE, &n), 0);
	used = F.tmp_used;
	fail_every = 1;
	CHECK_EQ(fsd_write(&F, n, 0, "x", 1), -FS_ENOSPC);
	CHECK_EQ(rename_("/tmp/a", "/tmp/b"), -FS_ENOSPC);
	CHECK_EQ(F.tmp_used, used);
	STR_EQ(listing("/tmp", 4096), "a d");
	fail_every = 0;
	fsd_release(&F, n);
	fsd_fs_fini(&F);
	CHECK_EQ(live_allocs, 0);
}

/* A newc archive in memory. */
static uint8_t ar[8192];
static size_t ar_len;

static void ar_add(const char *name, uint32_t mode, const char *data)
{
	size_t len = strlen(data);
	ar_len += (size_t)sprintf((char *)ar + ar_len,
				  "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X"
				  "%08X%08X%08X%08X",
				  1u, mode, 0u, 0u, 1u, 0u, (unsigned)len, 0u,
				  0u, 0u, 0u, (unsigned)strlen(name) + 1, 0u);
	memcpy(ar + ar_len, name, strlen(name) + 1);
	ar_len += strlen(name) + 1;
	while (ar_len & 3)
		ar[ar_len++] = 0;
	memcpy(ar + ar_len, data, len);
	ar_len += len;
	while (ar_len & 3)
		ar[ar_len++] = 0;
}

TEST(fsd_fs_boot_from_cpio)
{
	CHECK_EQ(setup(1 << 20), 0);
	ar_len = 0;
	ar_add(".", 0040755, "");
	ar_add("bin/sh", 0100755, "ELF-sh");
	ar_add("./bin/ls", 0100755, "ELF-ls");
	ar_add("etc/services.conf", 0100644, "service x");
	ar_add("share/sub/data.txt", 0100644, "hello");
	ar_add("share/empty", 0040755, "");
	ar_add("../evil", 0100644, "no");  /* above the root */
	ar_add("a//b", 0100644, "no");	   /* empty component */
	ar_add("bin/sh/x", 0100644, "no"); /* under a file */
	ar_add("bin/sh", 0100644, "no");   /* twice */
	ar_add("dev-node", 0020644, "");   /* not a regular file */
	ar_add("TRAILER!!!", 0, "");
	uint32_t skipped;
	CHECK_EQ(fsd_boot_load(&F, ar, ar_len, &skipped), 0);
	CHECK_EQ(skipped, 5);
	STR_EQ(listing("/boot", 4096), "bin etc share");
	STR_EQ(listing("/boot/bin", 4096), "ls sh");
	STR_EQ(listing("/boot/share", 4096), "empty sub");
	struct fsd_node *n;
	char buf[16];
	CHECK_EQ(open_("/boot/bin/sh", FS_O_READ, &n), 0);
	CHECK_EQ(fsd_read(&F, n, 0, buf, sizeof(buf)), 6);
	CHECK(!memcmp(buf, "ELF-sh", 6));
	CHECK_EQ(fsd_read(&F, n, 4, buf, sizeof(buf)), 2);
	struct fs_stat st;
	fsd_stat(&F, n, &st);
	CHECK_EQ(st.mode, FS_MODE_REG | 0755);
	CHECK_EQ(st.flags, FS_ST_RDONLY);
	CHECK_EQ(fsd_write(&F, n, 0, "x", 1), -FS_EROFS);
	CHECK_EQ(fsd_truncate(&F, n, 0), -FS_EROFS);
	fsd_release(&F, n);
	CHECK_EQ(open_("/boot/bin/sh", FS_O_WRITE, &n), -FS_EROFS);
	CHECK_EQ(open_("/boot/bin/sh", FS_O_READ | FS_O_TRUNC, &n), -FS_EINVAL);
	CHECK_EQ(open_("/boot/bin/new", FS_O_WRITE | FS_O_CREATE, &n),
		 -FS_EROFS);
	uint32_t h;
	CHECK_EQ(fsd_unlink(&F, path("/boot/bin/sh"), 0, &h), -FS_EROFS);
	CHECK_EQ(fsd_rmdir(&F, path("/boot/share/empty")), -FS_EROFS);
	CHECK_EQ(rename_("/boot/bin/sh", "/boot/bin/sh2"), -FS_EROFS);
	CHECK_EQ(rename_("/boot/bin/sh", "/tmp/sh"), -FS_EROFS);
	CHECK_EQ(F.tmp_used, 0); /* /boot costs /tmp nothing */
	/* A damaged archive: what came before stays, the error is EIO. */
	ar_len = 0;
	ar_add("x/y", 0100644, "z");
	memcpy(ar + ar_len, "07070X", 6);
	ar_len += 110;
	CHECK_EQ(fsd_boot_load(&F, ar, ar_len, &skipped), -FS_EIO);
	CHECK_EQ(fsd_lookup(&F, path("/boot/x/y"), &n), 0);
	fsd_fs_fini(&F);
	CHECK_EQ(live_allocs, 0);
}

static uint32_t dropped[8], ndropped;
static void drop(void *ctx, uint32_t h)
{
	(void)ctx;
	dropped[ndropped++ % 8] = h;
}

TEST(fsd_fs_dev_nodes)
{
	CHECK_EQ(setup(1 << 20), 0);
	ndropped = 0;
	CHECK_EQ(fsd_mknod(&F, path("/dev/console"), FS_DT_CHR, 100, 7), 0);
	CHECK_EQ(fsd_mknod(&F, path("/dev/console"), FS_DT_CHR, 101, 8),
		 -FS_EEXIST);
	CHECK_EQ(fsd_mknod(&F, path("/tmp/x"), FS_DT_CHR, 101, 7), -FS_EPERM);
	CHECK_EQ(fsd_mknod(&F, path("/dev/a/b"), FS_DT_CHR, 101, 7), -FS_EPERM);
	CHECK_EQ(fsd_mknod(&F, path("/dev/x"), FS_DT_REG, 101, 7), -FS_EINVAL);
	CHECK_EQ(fsd_mknod(&F, path("/dev/disk"), FS_DT_BLK, 102, 8), 0);
	CHECK_EQ(fsd_mknod(&F, path("/dev/rtc"), FS_DT_CHR, 103, 7), 0);
	STR_EQ(listing("/dev", 4096), "console disk rtc");
	struct fsd_node *n;
	CHECK_EQ(open_("/dev/console", FS_O_READ | FS_O_WRITE, &n), 0);
	CHECK_EQ(n->dev_handle, 100);
	struct fs_stat st;
	fsd_stat(&F, n, &st);
	CHECK_EQ(st.mode & FS_MODE_TYPE, FS_MODE_CHR);
	fsd_release(&F, n);
	uint32_t h;
	CHECK_EQ(fsd_unlink(&F, path("/dev/console"), 8, &h), -FS_EPERM);
	CHECK_EQ(h, 0);
	CHECK_EQ(fsd_unlink(&F, path("/dev/console"), 7, &h), 0);
	CHECK_EQ(h, 100);
	CHECK_EQ(rename_("/dev/rtc", "/dev/rtc2"), -FS_EPERM);
	fsd_dev_drop(&F, 7, drop, NULL);
	CHECK_EQ(ndropped, 1);
	CHECK_EQ(dropped[0], 103);
	STR_EQ(listing("/dev", 4096), "disk");
	for (uint32_t i = 0; i < FSD_DEV_MAX - 1; i++) {
		char nm[16];
		snprintf(nm, sizeof(nm), "/dev/n%u", i);
		CHECK_EQ(fsd_mknod(&F, path(nm), FS_DT_CHR, 200 + i, 9), 0);
	}
	CHECK_EQ(fsd_mknod(&F, path("/dev/last"), FS_DT_CHR, 1, 9), -FS_ENOSPC);
	fsd_dev_drop(&F, UINT64_MAX, drop, NULL);
	CHECK_EQ(ndropped, 1 + FSD_DEV_MAX);
	CHECK_EQ(F.ndev, 0);
	fsd_fs_fini(&F);
	CHECK_EQ(live_allocs, 0);
}

TEST(fsd_fs_readdir_in_pieces)
{
	CHECK_EQ(setup(1 << 20), 0);
	char nm[300];
	for (int i = 0; i < 40; i++) {
		snprintf(nm, sizeof(nm), "/tmp/file-%02d-%0*d", i, i * 5, 0);
		CHECK(put(nm, 0, "", 0) == 0);
	}
	static char whole[4096];
	snprintf(whole, sizeof(whole), "%s", listing("/tmp", 4096));
	STR_EQ(listing("/tmp", 300), whole);
	STR_EQ(listing("/tmp", 24), "!"); /* a name longer than that */
	struct fsd_node *d;
	uint8_t buf[64];
	uint64_t pos = 0;
	CHECK_EQ(fsd_lookup(&F, path("/tmp"), &d), 0);
	CHECK_EQ(fsd_readdir(&F, d, &pos, buf, sizeof(buf)), 48); /* . and .. */
	CHECK_EQ(pos, 2);
	struct fs_dirent *e = (struct fs_dirent *)buf;
	CHECK_EQ(e->d_reclen, 24);
	CHECK_EQ(e->d_type, FS_DT_DIR);
	CHECK_EQ(e->d_off, 1);
	STR_EQ(e->d_name, ".");
	CHECK_EQ(fsd_readdir(&F, d, &pos, buf, sizeof(buf)), 32);
	e = (struct fs_dirent *)buf;
	STR_EQ(e->d_name, "file-00-0");
	CHECK_EQ(e->d_type, FS_DT_REG);
	CHECK_EQ(e->d_off, 3);
	pos = 1000;
	CHECK_EQ(fsd_readdir(&F, d, &pos, buf, sizeof(buf)), 0);
	fsd_fs_fini(&F);
	CHECK_EQ(live_allocs, 0);
}

/* The model: paths (strings) to directories or files with their bytes. */
#define M_MAX  256
#define M_FILE 24576
struct m_ent {
	bool used, dir;
	char path[240];
	size_t size;
	uint8_t data[M_FILE];
};
static struct m_ent M[M_MAX];

static void setp(char *dst, const char *src)
{
	size_t n = strlen(src);
	if (n >= sizeof(M[0].path))
		abort(); /* the model's paths grew too deep */
	memcpy(dst, src, n + 1);
}

static struct m_ent *m_find(const char *p)
{
	for (int i = 0; i < M_MAX; i++)
		if (M[i].used && !strcmp(M[i].path, p))
			return &M[i];
	return NULL;
}

static struct m_ent *m_add(const char *p, bool dir)
{
	for (int i = 0; i < M_MAX; i++)
		if (!M[i].used) {
			memset(&M[i], 0, sizeof(M[i]));
			M[i].used = true;
			M[i].dir = dir;
			setp(M[i].path, p);
			return &M[i];
		}
	abort();
}

static bool under(const char *p, const char *dir)
{
	size_t n = strlen(dir);
	return !strncmp(p, dir, n) && p[n] == '/';
}

static int m_children(const char *dir)
{
	int n = 0;
	for (int i = 0; i < M_MAX; i++)
		if (M[i].used && under(M[i].path, dir) &&
		    !strchr(M[i].path + strlen(dir) + 1, '/'))
			n++;
	return n;
}

/* The lookup error of p in the model (0: exists). */
static int m_lookup(const char *p)
{
	char pre[256];
	for (const char *s = strchr(p + 5, '/'); s; s = strchr(s + 1, '/')) {
		snprintf(pre, sizeof(pre), "%.*s", (int)(s - p), p);
		struct m_ent *e = m_find(pre);
		if (!e)
			return -FS_ENOENT;
		if (!e->dir)
			return -FS_ENOTDIR;
	}
	return m_find(p) ? 0 : -FS_ENOENT;
}

/* The error of looking up p's parent (0: a directory). */
static int m_parent(const char *p)
{
	char par[256];
	snprintf(par, sizeof(par), "%.*s", (int)(strrchr(p, '/') - p), p);
	if (!strcmp(par, "/tmp"))
		return 0;
	int e = m_lookup(par);
	return e ? e : m_find(par)->dir ? 0 : -FS_ENOTDIR;
}

/* Model of rename, in fsd_rename's order of checks. */
static int m_rename_err(const char *a, const char *b)
{
	int e = m_lookup(a);
	if (e)
		return e;
	if ((e = m_parent(b)))
		return e;
	struct m_ent *s = m_find(a), *t = m_find(b);
	if (t == s)
		return 0;
	if (t && s->dir && !t->dir)
		return -FS_ENOTDIR;
	if (t && !s->dir && t->dir)
		return -FS_EISDIR;
	if (t && t->dir && m_children(b))
		return -FS_ENOTEMPTY;
	if (under(b, a))
		return -FS_EINVAL;
	return 1; /* it may go ahead */
}

static void m_rename(const char *a, const char *b)
{
	char na[256], nb[256];
	snprintf(na, sizeof(na), "%s", a);
	snprintf(nb, sizeof(nb), "%s", b);
	struct m_ent *t = m_find(nb);
	if (t)
		t->used = false;
	for (int i = 0; i < M_MAX; i++) {
		if (!M[i].used)
			continue;
		char tmp[512];
		if (!strcmp(M[i].path, na)) {
			setp(M[i].path, nb);
		} else if (under(M[i].path, na)) {
			snprintf(tmp, sizeof(tmp), "%s%s", nb,
				 M[i].path + strlen(na));
			setp(M[i].path, tmp);
		}
	}
}

/* What /tmp should be charged, recomputed from the tree. */
static uint64_t charged(const struct fsd_node *n)
{
	uint64_t c = FSD_NODE_COST + n->name_len +
		     (uint64_t)n->nblocks * sizeof(void *);
	for (uint32_t i = 0; i < n->nblocks; i++)
		c += n->blocks[i] ? FSD_BLOCK : 0;
	for (const struct fsd_node *k = n->children; k; k = k->next)
		c += charged(k);
	return c;
}

static const char *rand_path(unsigned *seed)
{
	static const char *const names[] = {"a", "b", "c", "dd"};
	static char p[256];
	*seed = *seed * 1103515245u + 12345u;
	unsigned r = *seed >> 8;
	int depth = 1 + (int)(r % 3);
	size_t n = (size_t)snprintf(p, sizeof(p), "/tmp");
	for (int i = 0; i < depth; i++) {
		r /= 4;
		n += (size_t)snprintf(p + n, sizeof(p) - n, "/%s",
				      names[(r >> 2) % 4]);
	}
	return p;
}

TEST(fsd_fs_random_against_model)
{
	const uint64_t lim = 120 << 10;
	CHECK_EQ(setup(lim), 0);
	memset(M, 0, sizeof(M));
	static uint8_t buf[M_FILE], rd[M_FILE];
	unsigned seed = 2026;
	int counts[8] = {0}, enospc = 0;
	for (int step = 0; step < 60000; step++) {
		seed = seed * 1103515245u + 12345u;
		unsigned op = (seed >> 16) % 8;
		char a[256], b[256];
		snprintf(a, sizeof(a), "%s", rand_path(&seed));
		snprintf(b, sizeof(b), "%s", rand_path(&seed));
		fail_every = step % 7 == 0 ? 1 + (unsigned)(step / 7) % 3 : 0;
		alloc_seq = 0;
		injected = 0;
		uint64_t used0 = F.tmp_used;
		struct m_ent *e = m_find(a);
		int want, got;
		counts[op]++;
		switch (op) {
		case 0: /* mkdir */
			want = m_parent(a);
			if (!want && e)
				want = -FS_EEXIST;
			got = fsd_mkdir(&F, path(a), 0755);
			if (got == -FS_ENOSPC && !want) {
				CHECK(injected ||
				      used0 + FSD_NODE_COST + 2 > lim);
				enospc++;
				break;
			}
			CHECK_EQ(got, want);
			if (!got)
				m_add(a, true);
			break;
		case 1:
		case 2: { /* open (create) + write at an offset */
			struct fsd_node *n;
			uint64_t off = (seed >> 4) % 16000;
			uint64_t len = (seed >> 9) % 8000;
			if (op == 2)
				off = e && !e->dir ? e->size : 0; /* append */
			if (len > M_FILE - off)
				len = M_FILE - off;
			for (uint64_t i = 0; i < len; i++)
				buf[i] = (uint8_t)(step + i * 7);
			want = m_lookup(a);
			if (want == -FS_ENOENT)
				want = m_parent(a);
			if (!want && e && e->dir)
				want = -FS_EISDIR;
			got = open_(a, FS_O_WRITE | FS_O_CREATE, &n);
			if (got == -FS_ENOSPC && !want && !e) {
				CHECK(injected ||
				      used0 + FSD_NODE_COST + 2 > lim);
				enospc++;
				break;
			}
			CHECK_EQ(got, want);
			if (got)
				break;
			if (!e)
				e = m_add(a, false);
			used0 = F.tmp_used;
			int64_t w = fsd_write(&F, n, off, buf, len);
			fsd_release(&F, n);
			if (len == 0) {
				CHECK_EQ(w, 0);
				break;
			}
			if (w == -FS_ENOSPC) {
				enospc++;
				CHECK(injected || used0 + FSD_BLOCK > lim);
				break;
			}
			CHECK(w > 0 && (uint64_t)w <= len);
			if ((uint64_t)w < len)
				CHECK(injected || F.tmp_used + FSD_BLOCK > lim);
			if (off + (uint64_t)w > e->size) {
				if (off > e->size)
					memset(e->data + e->size, 0,
					       off - e->size);
				e->size = off + (uint64_t)w;
			}
			memcpy(e->data + off, buf, (size_t)w);
			break;
		}
		case 3: { /* truncate */
			uint64_t sz = (seed >> 5) % 20000;
			struct fsd_node *n;
			want = m_lookup(a);
			if (!want && e->dir)
				want = -FS_EISDIR;
			got = fsd_lookup(&F, path(a), &n);
			if (!got)
				got = fsd_truncate(&F, n, sz);
			CHECK_EQ(got, want);
			if (!got) {
				if (sz > e->size)
					memset(e->data + e->size, 0,
					       sz - e->size);
				e->size = sz;
			}
			break;
		}
		case 4: { /* unlink or rmdir */
			uint32_t h;
			want = m_lookup(a);
			if ((seed >> 3) & 1) {
				if (!want && e->dir)
					want = -FS_EISDIR;
				got = fsd_unlink(&F, path(a), 0, &h);
			} else {
				if (!want && !e->dir)
					want = -FS_ENOTDIR;
				if (!want && m_children(a))
					want = -FS_ENOTEMPTY;
				got = fsd_rmdir(&F, path(a));
			}
			CHECK_EQ(got, want);
			if (!got)
				e->used = false;
			break;
		}
		case 5: /* rename */
			want = m_rename_err(a, b);
			got = rename_(a, b);
			if (want == 1 && got == -FS_ENOSPC) {
				CHECK(injected || used0 + 2 > lim);
				enospc++;
				break;
			}
			CHECK_EQ(got, want == 1 ? 0 : want);
			if (want == 1)
				m_rename(a, b);
			break;
		default: { /* read back and stat */
			struct fsd_node *n;
			want = m_lookup(a);
			got = fsd_lookup(&F, path(a), &n);
			CHECK_EQ(got, want);
			if (got)
				break;
			struct fs_stat st;
			fsd_stat(&F, n, &st);
			if (e->dir) {
				CHECK_EQ(st.mode & FS_MODE_TYPE, FS_MODE_DIR);
				CHECK_EQ(st.size, (uint64_t)m_children(a));
				break;
			}
			CHECK_EQ(st.size, e->size);
			uint64_t off = (seed >> 6) % (e->size + 10);
			int64_t r = fsd_read(&F, n, off, rd, sizeof(rd));
			CHECK_EQ(r,
				 off >= e->size ? 0 : (int64_t)(e->size - off));
			CHECK(r <= 0 || !memcmp(rd, e->data + off, (size_t)r));
		}
		}
		CHECK(F.tmp_used <= lim);
		if (step % 500 == 0) {
			/* /tmp's own node is not charged. */
			CHECK_EQ(F.tmp_used,
				 charged(F.tmp) - (FSD_NODE_COST + 3));
		}
	}
	int live = 0;
	for (int i = 0; i < M_MAX; i++)
		live += M[i].used;
	printf("    ops %d %d %d %d %d %d %d %d, %d ENOSPC, %d entries at "
	       "the end\n",
	       counts[0], counts[1], counts[2], counts[3], counts[4], counts[5],
	       counts[6], counts[7], enospc, live);
	/* Every operation ran, /tmp filled up at times. */
	for (int i = 0; i < 8; i++)
		CHECK(counts[i] > 1000);
	CHECK(enospc > 10);
	fail_every = 0;
	fsd_fs_fini(&F);
	CHECK_EQ(live_allocs, 0);
}
