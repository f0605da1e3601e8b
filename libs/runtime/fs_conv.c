/* Linux <-> fs_proto.h conversions of the file calls (fs_int.h). Pure:
 * tests/host/test_fsclient_conv.c. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/types.h>

#include "fs_int.h"

int fsc_open_flags(long oflags, uint32_t *fs_flags)
{
	uint32_t f = 0;
	switch (oflags & O_ACCMODE) {
	case O_RDONLY:
		f = FS_O_READ;
		break;
	case O_WRONLY:
		f = FS_O_WRITE;
		break;
	case O_RDWR:
		f = FS_O_READ | FS_O_WRITE;
		break;
	default:
		return -EINVAL;
	}
	if (oflags & O_CREAT)
		f |= FS_O_CREATE;
	/* O_TRUNC on a read-only open is unspecified: Linux truncates,
	 * fsd wants write access for it; it is left out. */
	if ((oflags & O_TRUNC) && (f & FS_O_WRITE))
		f |= FS_O_TRUNC;
	if (oflags & O_APPEND)
		f |= FS_O_APPEND;
	if ((oflags & O_EXCL) && (oflags & O_CREAT))
		f |= FS_O_EXCL;
	if (oflags & O_DIRECTORY)
		f |= FS_O_DIRECTORY;
	*fs_flags = f;
	return 0;
}

void fsc_to_stat(const struct fs_stat *fs, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_dev = 1;
	st->st_ino = fs->ino;
	st->st_mode = fs->mode;
	st->st_nlink = fs->nlink;
	st->st_size = (off_t)fs->size;
	st->st_blksize = fs->blksize ? fs->blksize : 4096;
	st->st_blocks = (blkcnt_t)((fs->size + 511) / 512);
	st->st_mtim.tv_sec = (time_t)(fs->mtime_ns / 1000000000u);
	st->st_mtim.tv_nsec = (long)(fs->mtime_ns % 1000000000u);
	st->st_ctim.tv_sec = (time_t)(fs->ctime_ns / 1000000000u);
	st->st_ctim.tv_nsec = (long)(fs->ctime_ns % 1000000000u);
	st->st_atim = st->st_mtim;
}

long fsc_err(int32_t err)
{
	if (err > 0 || err < -4095)
		return -EIO;
	return err;
}
