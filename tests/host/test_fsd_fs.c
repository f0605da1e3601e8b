/* fsd's tree and ramfs (servers/fsd/fsd_fs.c, fsd_data.c): the fixed
 * directories, read-only /boot and `/`, the rules of open, mkdir, rmdir,
 * unlink and rename, holes and truncation, /tmp full (ENOSPC, never a
 * crash, nothing half-done), allocation failures, /boot from a cpio
 * archive (bad entries skipped), /dev nodes, readdir in pieces. Every
 * allocation is counted: each test ends with all of it freed. The random
 * sequence against a model is test_fsd_model.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsd_fix.h"
#include "harness.h"

TEST(fsd_fs_fixed_tree_and_read_only_places)
{
	CHECK_EQ(fx_setup(1 << 20), 0);
	STR_EQ(fx_listing("/", 4096), "boot dev tmp");
	struct fsd_node *n;
	CHECK_EQ(fsd_mkdir(&fx_fs, fx_path("/x"), 0755), -FS_EROFS);
	CHECK_EQ(fx_open("/x", FS_O_WRITE | FS_O_CREATE, &n), -FS_EROFS);
	CHECK_EQ(fsd_mkdir(&fx_fs, fx_path("/boot/x"), 0755), -FS_EROFS);
	CHECK_EQ(fsd_mkdir(&fx_fs, fx_path("/dev/x"), 0755), -FS_EPERM);
	CHECK_EQ(fx_open("/dev/x", FS_O_WRITE | FS_O_CREATE, &n), -FS_EPERM);
	CHECK_EQ(fsd_mkdir(&fx_fs, fx_path("/tmp"), 0755), -FS_EEXIST);
	CHECK_EQ(fsd_mkdir(&fx_fs, fx_path("/"), 0755), -FS_EEXIST);
	CHECK_EQ(fsd_rmdir(&fx_fs, fx_path("/tmp")), -FS_EBUSY);
	CHECK_EQ(fsd_rmdir(&fx_fs, fx_path("/")), -FS_EBUSY);
	CHECK_EQ(fx_rename("/tmp", "/tmp2"), -FS_EBUSY);
	CHECK_EQ(fx_rename("/boot", "/tmp/boot"), -FS_EBUSY);
	CHECK_EQ(fx_open("/tmp", FS_O_WRITE, &n), -FS_EISDIR);
	CHECK_EQ(fx_open("/", FS_O_READ | FS_O_WRITE, &n), -FS_EISDIR);
	CHECK_EQ(fx_open("/tmp", FS_O_READ | FS_O_DIRECTORY, &n), 0);
	fsd_release(&fx_fs, n);
	CHECK_EQ(fx_open("/tmp", 0, &n), -FS_EINVAL);
	CHECK_EQ(fx_open("/tmp", FS_O_READ | 0x80, &n), -FS_EINVAL);
	CHECK_EQ(fx_open("/tmp", FS_O_READ | FS_O_TRUNC, &n), -FS_EINVAL);
	CHECK_EQ(fx_fs.tmp_used, 0);
	fsd_fs_fini(&fx_fs);
	CHECK_EQ(fx_live_allocs, 0);
}

TEST(fsd_fs_open_create_rules)
{
	CHECK_EQ(fx_setup(1 << 20), 0);
	struct fsd_node *n, *m;
	CHECK_EQ(fx_open("/tmp/a", FS_O_READ, &n), -FS_ENOENT);
	CHECK_EQ(
		fx_open("/tmp/a", FS_O_READ | FS_O_CREATE | FS_O_DIRECTORY, &n),
		-FS_EINVAL);
	CHECK_EQ(fx_open("/tmp/a", FS_O_READ | FS_O_CREATE | FS_O_EXCL, &n), 0);
	CHECK_EQ(fx_open("/tmp/a", FS_O_READ | FS_O_CREATE | FS_O_EXCL, &m),
		 -FS_EEXIST);
	CHECK_EQ(fx_open("/tmp/a", FS_O_READ | FS_O_DIRECTORY, &m),
		 -FS_ENOTDIR);
	CHECK_EQ(fx_open("/tmp/a/b", FS_O_READ | FS_O_CREATE, &m), -FS_ENOTDIR);
	CHECK_EQ(fx_open("/tmp/x/b", FS_O_READ | FS_O_CREATE, &m), -FS_ENOENT);
	CHECK_EQ(fsd_write(&fx_fs, n, 0, "hello", 5), 5);
	CHECK_EQ(fx_open("/tmp/a", FS_O_WRITE | FS_O_TRUNC, &m), 0);
	CHECK_EQ(m, n);
	CHECK_EQ(n->size, 0);
	CHECK_EQ(n->refs, 2);
	fsd_release(&fx_fs, m);
	fsd_release(&fx_fs, n);
	struct fs_stat st;
	CHECK_EQ(fsd_lookup(&fx_fs, fx_path("/tmp/a"), &n), 0);
	fsd_stat(&fx_fs, n, &st);
	CHECK_EQ(st.mode, FS_MODE_REG | 0644);
	CHECK_EQ(st.nlink, 1);
	CHECK_EQ(st.flags, 0);
	CHECK_EQ(fsd_lookup(&fx_fs, fx_path("/tmp"), &n), 0);
	fsd_stat(&fx_fs, n, &st);
	CHECK_EQ(st.mode & FS_MODE_TYPE, FS_MODE_DIR);
	CHECK_EQ(st.size, 1);
	CHECK_EQ(fsd_unlink(&fx_fs, fx_path("/tmp/a"), 0, &(uint32_t){0}), 0);
	CHECK_EQ(fx_fs.tmp_used, 0);
	fsd_fs_fini(&fx_fs);
	CHECK_EQ(fx_live_allocs, 0);
}

TEST(fsd_fs_unlinked_open_file_lives_until_released)
{
	CHECK_EQ(fx_setup(1 << 20), 0);
	struct fsd_node *n;
	char buf[16];
	CHECK_EQ(fx_put("/tmp/f", 0, "data", 4), 4);
	CHECK_EQ(fx_open("/tmp/f", FS_O_READ, &n), 0);
	uint32_t h;
	CHECK_EQ(fsd_unlink(&fx_fs, fx_path("/tmp/f"), 0, &h), 0);
	CHECK_EQ(fsd_lookup(&fx_fs, fx_path("/tmp/f"), &(struct fsd_node *){0}),
		 -FS_ENOENT);
	CHECK_EQ(fsd_read(&fx_fs, n, 0, buf, sizeof(buf)), 4);
	CHECK(!memcmp(buf, "data", 4));
	struct fs_stat st;
	fsd_stat(&fx_fs, n, &st);
	CHECK_EQ(st.nlink, 0);
	CHECK(fx_fs.tmp_used > 0);
	fsd_release(&fx_fs, n);
	CHECK_EQ(fx_fs.tmp_used, 0);
	fsd_fs_fini(&fx_fs);
	CHECK_EQ(fx_live_allocs, 0);
}

TEST(fsd_fs_rename_rules)
{
	CHECK_EQ(fx_setup(1 << 20), 0);
	uint32_t h;
	CHECK_EQ(fsd_mkdir(&fx_fs, fx_path("/tmp/d"), 0755), 0);
	CHECK_EQ(fsd_mkdir(&fx_fs, fx_path("/tmp/e"), 0755), 0);
	CHECK_EQ(fx_put("/tmp/d/f", 0, "x", 1), 1);
	CHECK_EQ(fx_put("/tmp/g", 0, "y", 1), 1);
	CHECK_EQ(fx_rename("/tmp/nope", "/tmp/z"), -FS_ENOENT);
	CHECK_EQ(fx_rename("/tmp/g", "/tmp/nope/z"), -FS_ENOENT);
	CHECK_EQ(fx_rename("/tmp/g", "/tmp/g/z"), -FS_ENOTDIR);
	CHECK_EQ(fx_rename("/tmp/d", "/tmp/g"), -FS_ENOTDIR);
	CHECK_EQ(fx_rename("/tmp/g", "/tmp/e"), -FS_EISDIR);
	CHECK_EQ(fx_rename("/tmp/e", "/tmp/d"), -FS_ENOTEMPTY);
	CHECK_EQ(fx_rename("/tmp/d", "/tmp/d/sub"), -FS_EINVAL);
	CHECK_EQ(fx_rename("/tmp/g", "/boot/g"), -FS_EXDEV);
	CHECK_EQ(fx_rename("/tmp/g", "/g"), -FS_EXDEV);
	CHECK_EQ(fx_rename("/tmp/g", "/"), -FS_EBUSY);
	CHECK_EQ(fx_rename("/tmp/g", "/tmp/g"), 0);
	CHECK_EQ(fx_rename("/tmp/d", "/tmp/e"), 0); /* onto an empty dir */
	STR_EQ(fx_listing("/tmp", 4096), "e g");
	STR_EQ(fx_listing("/tmp/e", 4096), "f");
	CHECK_EQ(fx_rename("/tmp/g", "/tmp/e/f"), 0); /* replaces a file */
	STR_EQ(fx_listing("/tmp", 4096), "e");
	char c;
	struct fsd_node *n;
	CHECK_EQ(fsd_lookup(&fx_fs, fx_path("/tmp/e/f"), &n), 0);
	CHECK_EQ(fsd_read(&fx_fs, n, 0, &c, 1), 1);
	CHECK_EQ(c, 'y');
	CHECK_EQ(fx_rename("/tmp/e/f", "/tmp/a-much-longer-name"), 0);
	STR_EQ(fx_listing("/tmp", 4096), "a-much-longer-name e");
	CHECK_EQ(fsd_rmdir(&fx_fs, fx_path("/tmp/e")), 0);
	CHECK_EQ(fsd_rmdir(&fx_fs, fx_path("/tmp/a-much-longer-name")),
		 -FS_ENOTDIR);
	CHECK_EQ(fsd_unlink(&fx_fs, fx_path("/tmp/a-much-longer-name"), 0, &h),
		 0);
	CHECK_EQ(fx_fs.tmp_used, 0);
	fsd_fs_fini(&fx_fs);
	CHECK_EQ(fx_live_allocs, 0);
}

TEST(fsd_fs_holes_and_truncate)
{
	CHECK_EQ(fx_setup(1 << 20), 0);
	static uint8_t buf[20000];
	struct fsd_node *n;
	CHECK_EQ(fx_open("/tmp/h", FS_O_READ | FS_O_WRITE | FS_O_CREATE, &n),
		 0);
	CHECK_EQ(fsd_write(&fx_fs, n, 10000, "abc", 3), 3);
	CHECK_EQ(n->size, 10003);
	/* Only the block written is allocated: the hole costs nothing. */
	CHECK_EQ(fx_fs.tmp_used,
		 FSD_NODE_COST + 1 + FSD_BLOCK + 4 * sizeof(void *));
	memset(buf, 0xee, sizeof(buf));
	CHECK_EQ(fsd_read(&fx_fs, n, 0, buf, sizeof(buf)), 10003);
	for (int i = 0; i < 10000; i++)
		CHECK_EQ(buf[i], 0);
	CHECK(!memcmp(buf + 10000, "abc", 3));
	CHECK_EQ(fsd_read(&fx_fs, n, 10003, buf, 10), 0);
	CHECK_EQ(fsd_read(&fx_fs, n, 1ull << 40, buf, 10), 0);
	CHECK_EQ(fsd_truncate(&fx_fs, n, 10001), 0);
	CHECK_EQ(fsd_truncate(&fx_fs, n, 12000), 0);
	CHECK_EQ(fsd_read(&fx_fs, n, 10000, buf, 100), 100);
	CHECK_EQ(buf[0], 'a');
	CHECK_EQ(buf[1], 0); /* cut, then grown: zeros */
	CHECK_EQ(buf[2], 0);
	CHECK_EQ(fsd_truncate(&fx_fs, n, 0), 0);
	CHECK_EQ(fx_fs.tmp_used, FSD_NODE_COST + 1 + 4 * sizeof(void *));
	CHECK_EQ(fsd_write(&fx_fs, n, FSD_FILE_SIZE_MAX, "x", 1), -FS_EFBIG);
	CHECK_EQ(fsd_truncate(&fx_fs, n, FSD_FILE_SIZE_MAX + 1), -FS_EFBIG);
	struct fsd_node *d;
	CHECK_EQ(fsd_lookup(&fx_fs, fx_path("/tmp"), &d), 0);
	CHECK_EQ(fsd_write(&fx_fs, d, 0, "x", 1), -FS_EISDIR);
	CHECK_EQ(fsd_read(&fx_fs, d, 0, buf, 1), -FS_EISDIR);
	CHECK_EQ(fsd_truncate(&fx_fs, d, 0), -FS_EISDIR);
	fsd_release(&fx_fs, n);
	fsd_fs_fini(&fx_fs);
	CHECK_EQ(fx_live_allocs, 0);
}

TEST(fsd_fs_tmp_full_is_enospc)
{
	const uint64_t lim = 64 << 10;
	CHECK_EQ(fx_setup(lim), 0);
	static uint8_t big[100000];
	memset(big, 'q', sizeof(big));
	struct fsd_node *n;
	CHECK_EQ(fx_open("/tmp/big", FS_O_WRITE | FS_O_CREATE, &n), 0);
	int64_t w = fsd_write(&fx_fs, n, 0, big, sizeof(big));
	CHECK(w > 0 && w < (int64_t)sizeof(big)); /* a short write */
	CHECK(fx_fs.tmp_used <= lim);
	CHECK(fx_fs.tmp_used + FSD_BLOCK > lim);
	CHECK_EQ(fsd_write(&fx_fs, n, (uint64_t)w, big, 10), -FS_ENOSPC);
	CHECK_EQ(n->size, (uint64_t)w);
	/* Names and directories too, once even a node does not fit. */
	int made = 0;
	char name[32];
	for (;; made++) {
		snprintf(name, sizeof(name), "/tmp/d%d", made);
		int e = fsd_mkdir(&fx_fs, fx_path(name), 0755);
		if (e) {
			CHECK_EQ(e, -FS_ENOSPC);
			break;
		}
	}
	CHECK(fx_fs.tmp_used + FSD_NODE_COST + 4 > lim);
	snprintf(name, sizeof(name), "/tmp/f%d", made);
	struct fsd_node *m;
	CHECK_EQ(fx_open(name, FS_O_WRITE | FS_O_CREATE, &m), -FS_ENOSPC);
	CHECK_EQ(fsd_lookup(&fx_fs, fx_path(name), &m), -FS_ENOENT);
	/* Space comes back. */
	CHECK_EQ(fsd_truncate(&fx_fs, n, 0), 0);
	CHECK_EQ(fx_open(name, FS_O_WRITE | FS_O_CREATE, &m), 0);
	fsd_release(&fx_fs, m);
	fsd_release(&fx_fs, n);
	fsd_fs_fini(&fx_fs);
	CHECK_EQ(fx_live_allocs, 0);
}

TEST(fsd_fs_allocation_failure_changes_nothing)
{
	CHECK_EQ(fx_setup(1 << 20), 0);
	struct fsd_node *n;
	uint64_t used = fx_fs.tmp_used;
	fx_fail_every = 1; /* every allocation fails */
	CHECK_EQ(fx_open("/tmp/a", FS_O_WRITE | FS_O_CREATE, &n), -FS_ENOSPC);
	CHECK_EQ(fsd_mkdir(&fx_fs, fx_path("/tmp/d"), 0755), -FS_ENOSPC);
	CHECK_EQ(fx_fs.tmp_used, used);
	fx_fail_every = 0;
	CHECK_EQ(fsd_mkdir(&fx_fs, fx_path("/tmp/d"), 0755), 0);
	CHECK_EQ(fx_open("/tmp/a", FS_O_WRITE | FS_O_CREATE, &n), 0);
	used = fx_fs.tmp_used;
	fx_fail_every = 1;
	CHECK_EQ(fsd_write(&fx_fs, n, 0, "x", 1), -FS_ENOSPC);
	CHECK_EQ(fx_rename("/tmp/a", "/tmp/b"), -FS_ENOSPC);
	CHECK_EQ(fx_fs.tmp_used, used);
	STR_EQ(fx_listing("/tmp", 4096), "a d");
	fx_fail_every = 0;
	fsd_release(&fx_fs, n);
	fsd_fs_fini(&fx_fs);
	CHECK_EQ(fx_live_allocs, 0);
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
	CHECK_EQ(fx_setup(1 << 20), 0);
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
	CHECK_EQ(fsd_boot_load(&fx_fs, ar, ar_len, &skipped), 0);
	CHECK_EQ(skipped, 5);
	STR_EQ(fx_listing("/boot", 4096), "bin etc share");
	STR_EQ(fx_listing("/boot/bin", 4096), "ls sh");
	STR_EQ(fx_listing("/boot/share", 4096), "empty sub");
	struct fsd_node *n;
	char buf[16];
	CHECK_EQ(fx_open("/boot/bin/sh", FS_O_READ, &n), 0);
	CHECK_EQ(fsd_read(&fx_fs, n, 0, buf, sizeof(buf)), 6);
	CHECK(!memcmp(buf, "ELF-sh", 6));
	CHECK_EQ(fsd_read(&fx_fs, n, 4, buf, sizeof(buf)), 2);
	struct fs_stat st;
	fsd_stat(&fx_fs, n, &st);
	CHECK_EQ(st.mode, FS_MODE_REG | 0755);
	CHECK_EQ(st.flags, FS_ST_RDONLY);
	CHECK_EQ(fsd_write(&fx_fs, n, 0, "x", 1), -FS_EROFS);
	CHECK_EQ(fsd_truncate(&fx_fs, n, 0), -FS_EROFS);
	fsd_release(&fx_fs, n);
	CHECK_EQ(fx_open("/boot/bin/sh", FS_O_WRITE, &n), -FS_EROFS);
	CHECK_EQ(fx_open("/boot/bin/sh", FS_O_READ | FS_O_TRUNC, &n),
		 -FS_EINVAL);
	CHECK_EQ(fx_open("/boot/bin/new", FS_O_WRITE | FS_O_CREATE, &n),
		 -FS_EROFS);
	uint32_t h;
	CHECK_EQ(fsd_unlink(&fx_fs, fx_path("/boot/bin/sh"), 0, &h), -FS_EROFS);
	CHECK_EQ(fsd_rmdir(&fx_fs, fx_path("/boot/share/empty")), -FS_EROFS);
	CHECK_EQ(fx_rename("/boot/bin/sh", "/boot/bin/sh2"), -FS_EROFS);
	CHECK_EQ(fx_rename("/boot/bin/sh", "/tmp/sh"), -FS_EROFS);
	CHECK_EQ(fx_fs.tmp_used, 0); /* /boot costs /tmp nothing */
	/* A damaged archive: what came before stays, the error is EIO. */
	ar_len = 0;
	ar_add("x/y", 0100644, "z");
	memcpy(ar + ar_len, "07070X", 6);
	ar_len += 110;
	CHECK_EQ(fsd_boot_load(&fx_fs, ar, ar_len, &skipped), -FS_EIO);
	CHECK_EQ(fsd_lookup(&fx_fs, fx_path("/boot/x/y"), &n), 0);
	fsd_fs_fini(&fx_fs);
	CHECK_EQ(fx_live_allocs, 0);
}

static uint32_t dropped[8], ndropped;
static void drop(void *ctx, uint32_t h)
{
	(void)ctx;
	dropped[ndropped++ % 8] = h;
}

TEST(fsd_fs_dev_nodes)
{
	CHECK_EQ(fx_setup(1 << 20), 0);
	ndropped = 0;
	CHECK_EQ(fsd_mknod(&fx_fs, fx_path("/dev/console"), FS_DT_CHR, 100, 7),
		 0);
	CHECK_EQ(fsd_mknod(&fx_fs, fx_path("/dev/console"), FS_DT_CHR, 101, 8),
		 -FS_EEXIST);
	CHECK_EQ(fsd_mknod(&fx_fs, fx_path("/tmp/x"), FS_DT_CHR, 101, 7),
		 -FS_EPERM);
	CHECK_EQ(fsd_mknod(&fx_fs, fx_path("/dev/a/b"), FS_DT_CHR, 101, 7),
		 -FS_EPERM);
	CHECK_EQ(fsd_mknod(&fx_fs, fx_path("/dev/x"), FS_DT_REG, 101, 7),
		 -FS_EINVAL);
	CHECK_EQ(fsd_mknod(&fx_fs, fx_path("/dev/disk"), FS_DT_BLK, 102, 8), 0);
	CHECK_EQ(fsd_mknod(&fx_fs, fx_path("/dev/rtc"), FS_DT_CHR, 103, 7), 0);
	STR_EQ(fx_listing("/dev", 4096), "console disk rtc");
	struct fsd_node *n;
	CHECK_EQ(fx_open("/dev/console", FS_O_READ | FS_O_WRITE, &n), 0);
	CHECK_EQ(n->dev_handle, 100);
	struct fs_stat st;
	fsd_stat(&fx_fs, n, &st);
	CHECK_EQ(st.mode & FS_MODE_TYPE, FS_MODE_CHR);
	fsd_release(&fx_fs, n);
	uint32_t h;
	CHECK_EQ(fsd_unlink(&fx_fs, fx_path("/dev/console"), 8, &h), -FS_EPERM);
	CHECK_EQ(h, 0);
	CHECK_EQ(fsd_unlink(&fx_fs, fx_path("/dev/console"), 7, &h), 0);
	CHECK_EQ(h, 100);
	CHECK_EQ(fx_rename("/dev/rtc", "/dev/rtc2"), -FS_EPERM);
	fsd_dev_drop(&fx_fs, 7, drop, NULL);
	CHECK_EQ(ndropped, 1);
	CHECK_EQ(dropped[0], 103);
	STR_EQ(fx_listing("/dev", 4096), "disk");
	for (uint32_t i = 0; i < FSD_DEV_MAX - 1; i++) {
		char nm[16];
		snprintf(nm, sizeof(nm), "/dev/n%u", i);
		CHECK_EQ(fsd_mknod(&fx_fs, fx_path(nm), FS_DT_CHR, 200 + i, 9),
			 0);
	}
	CHECK_EQ(fsd_mknod(&fx_fs, fx_path("/dev/last"), FS_DT_CHR, 1, 9),
		 -FS_ENOSPC);
	fsd_dev_drop(&fx_fs, UINT64_MAX, drop, NULL);
	CHECK_EQ(ndropped, 1 + FSD_DEV_MAX);
	CHECK_EQ(fx_fs.ndev, 0);
	fsd_fs_fini(&fx_fs);
	CHECK_EQ(fx_live_allocs, 0);
}

TEST(fsd_fs_readdir_in_pieces)
{
	CHECK_EQ(fx_setup(1 << 20), 0);
	char nm[300];
	for (int i = 0; i < 40; i++) {
		snprintf(nm, sizeof(nm), "/tmp/file-%02d-%0*d", i, i * 5, 0);
		CHECK(fx_put(nm, 0, "", 0) == 0);
	}
	static char whole[4096];
	snprintf(whole, sizeof(whole), "%s", fx_listing("/tmp", 4096));
	STR_EQ(fx_listing("/tmp", 300), whole);
	STR_EQ(fx_listing("/tmp", 24), "!"); /* a name longer than that */
	struct fsd_node *d;
	uint8_t buf[64];
	uint64_t pos = 0;
	CHECK_EQ(fsd_lookup(&fx_fs, fx_path("/tmp"), &d), 0);
	CHECK_EQ(fsd_readdir(&fx_fs, d, &pos, buf, sizeof(buf)),
		 48); /* . and .. */
	CHECK_EQ(pos, 2);
	struct fs_dirent *e = (struct fs_dirent *)buf;
	CHECK_EQ(e->d_reclen, 24);
	CHECK_EQ(e->d_type, FS_DT_DIR);
	CHECK_EQ(e->d_off, 1);
	STR_EQ(e->d_name, ".");
	CHECK_EQ(fsd_readdir(&fx_fs, d, &pos, buf, sizeof(buf)), 32);
	e = (struct fs_dirent *)buf;
	STR_EQ(e->d_name, "file-00-0");
	CHECK_EQ(e->d_type, FS_DT_REG);
	CHECK_EQ(e->d_off, 3);
	pos = 1000;
	CHECK_EQ(fsd_readdir(&fx_fs, d, &pos, buf, sizeof(buf)), 0);
	fsd_fs_fini(&fx_fs);
	CHECK_EQ(fx_live_allocs, 0);
}
