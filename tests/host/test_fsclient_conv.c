/* Linux <-> fs_proto.h conversions of the runtime's file calls
 * (libs/runtime/fs_conv.c): open flags, struct stat, error values. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "fs_int.h"
#include "harness.h"

static uint32_t F(long o)
{
	uint32_t f = 0xdead;
	return fsc_open_flags(o, &f) ? 0xffffffffu : f;
}

TEST(fsclient_open_flags)
{
	CHECK_EQ(F(O_RDONLY), FS_O_READ);
	CHECK_EQ(F(O_WRONLY), FS_O_WRITE);
	CHECK_EQ(F(O_RDWR), FS_O_READ | FS_O_WRITE);
	CHECK_EQ(F(O_ACCMODE), 0xffffffffu);
	/* fopen "w", "a", "r+", "wx" */
	CHECK_EQ(F(O_WRONLY | O_CREAT | O_TRUNC),
		 FS_O_WRITE | FS_O_CREATE | FS_O_TRUNC);
	CHECK_EQ(F(O_WRONLY | O_CREAT | O_APPEND),
		 FS_O_WRITE | FS_O_CREATE | FS_O_APPEND);
	CHECK_EQ(F(O_WRONLY | O_CREAT | O_EXCL | O_TRUNC),
		 FS_O_WRITE | FS_O_CREATE | FS_O_EXCL | FS_O_TRUNC);
	/* O_EXCL alone means nothing; O_TRUNC without write is left out. */
	CHECK_EQ(F(O_RDONLY | O_EXCL), FS_O_READ);
	CHECK_EQ(F(O_RDONLY | O_TRUNC), FS_O_READ);
	/* opendir's flags; the flags fsd has no use for vanish. */
	CHECK_EQ(F(O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_LARGEFILE | O_NOCTTY |
		   O_NONBLOCK | O_NOFOLLOW),
		 FS_O_READ | FS_O_DIRECTORY);
	/* Never a bit fsd would refuse. */
	for (long o = 0; o < (1L << 23); o += 0x1ff)
		CHECK((F(o) & ~FS_O_ALL) == 0 || F(o) == 0xffffffffu);
}

TEST(fsclient_stat_conversion)
{
	struct fs_stat fs = {.ino = 42,
			     .size = 1000,
			     .mode = FS_MODE_REG | 0644,
			     .nlink = 1,
			     .mtime_ns = 3500000000ull,
			     .ctime_ns = 1000000001ull,
			     .blksize = 0,
			     .flags = FS_ST_RDONLY};
	struct stat st;
	memset(&st, 0xa5, sizeof(st));
	fsc_to_stat(&fs, &st);
	CHECK_EQ(st.st_ino, 42);
	CHECK_EQ(st.st_size, 1000);
	CHECK(S_ISREG(st.st_mode));
	CHECK_EQ(st.st_mode & 07777, 0644);
	CHECK_EQ(st.st_nlink, 1);
	CHECK_EQ(st.st_blksize, 4096);
	CHECK_EQ(st.st_blocks, 2);
	CHECK_EQ(st.st_mtim.tv_sec, 3);
	CHECK_EQ(st.st_mtim.tv_nsec, 500000000);
	CHECK_EQ(st.st_ctim.tv_sec, 1);
	CHECK_EQ(st.st_ctim.tv_nsec, 1);
	CHECK_EQ(st.st_uid, 0);
	CHECK_EQ(st.st_rdev, 0);
	fs.mode = FS_MODE_DIR | 0755;
	fs.blksize = 65536;
	fsc_to_stat(&fs, &st);
	CHECK(S_ISDIR(st.st_mode));
	CHECK_EQ(st.st_blksize, 65536);
}

TEST(fsclient_error_values)
{
	CHECK_EQ(fsc_err(0), 0);
	CHECK_EQ(fsc_err(-FS_ENOENT), -ENOENT);
	CHECK_EQ(fsc_err(-FS_ENAMETOOLONG), -ENAMETOOLONG);
	CHECK_EQ(fsc_err(-FS_EROFS), -EROFS);
	CHECK_EQ(fsc_err(1), -EIO);
	CHECK_EQ(fsc_err(-5000), -EIO);
	CHECK_EQ(fsc_err(INT32_MIN), -EIO);
}
