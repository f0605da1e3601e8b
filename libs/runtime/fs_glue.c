/* The Linux path calls (openat, newfstatat, faccessat, mkdirat,
 * unlinkat, renameat2, truncate, getcwd, chdir, fchdir) as fsd calls on
 * the task's connection (fs_conn.c). Paths are joined with the working
 * directory (or an open directory's path for the *at calls) and
 * normalised here (fs_path.c): fsd takes absolute normalised paths only.
 * docs/userland.md "Files". */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <execrt/fs_path.h>
#include <execrt/runtime.h>

#include "fd_glue.h"
#include "fs_int.h"
#include "sock_int.h"

static char cwd[EXECRT_PATH_MAX];
static unsigned cmask = 022; /* umask: applied to the modes sent to fsd */

/* Directory fds keep their path: in a few static slots first, so the
 * common case (opendir, a shell's cd) never mallocs, else on the heap. */
#define DIR_SLOTS 8
static char dir_slot[DIR_SLOTS][EXECRT_PATH_MAX];
static bool dir_used[DIR_SLOTS];

char *fsc_path_dup(const char *p)
{
	size_t n = strlen(p) + 1;
	for (int i = 0; i < DIR_SLOTS; i++) {
		/* claimed atomically: two threads may open directories */
		if (n <= sizeof(dir_slot[i]) &&
		    !__atomic_exchange_n(&dir_used[i], true, __ATOMIC_ACQUIRE))
			return memcpy(dir_slot[i], p, n);
	}
	char *h = malloc(n);
	return h ? memcpy(h, p, n) : NULL;
}

void fsc_path_free(char *p)
{
	for (int i = 0; i < DIR_SLOTS; i++) {
		if (p == dir_slot[i]) {
			__atomic_store_n(&dir_used[i], false, __ATOMIC_RELEASE);
			return;
		}
	}
	free(p);
}

/* The working directory: start_info.cwd (what the parent had) until
 * chdir; "/" when there is none or it is not a usable path. */
const char *fsc_cwd(void)
{
	if (cwd[0])
		return cwd;
	const struct start_info *si = execrt_start_info();
	if (!si || si->cwd[0] != '/' ||
	    strnlen(si->cwd, sizeof(si->cwd)) == sizeof(si->cwd) ||
	    execrt_path_join("/", si->cwd, cwd, sizeof(cwd), NULL) < 0) {
		cwd[0] = '/';
		cwd[1] = '\0';
	}
	return cwd;
}

/* The path of directory fd fd into out (EXECRT_PATH_MAX bytes). */
static long dir_path(long fd, char *out)
{
	long r = 0;
	fsc_fd(fd); /* the table set up */
	rtsk_lock();
	struct execrt_fd *e = fsc_fd(fd);
	if (!e)
		r = -EBADF;
	else if (e->kind != FDK_DIR || !e->path ||
		 strlen(e->path) >= EXECRT_PATH_MAX)
		r = -ENOTDIR;
	else
		memcpy(out, e->path, strlen(e->path) + 1);
	rtsk_unlock();
	return r;
}

/* dirfd + path -> out (normalised, absolute). */
static long resolve(long dirfd, const char *path, char *out, int *must_dir)
{
	const char *base = fsc_cwd();
	char dir[EXECRT_PATH_MAX];
	if (path && path[0] != '/' && dirfd != AT_FDCWD) {
		/* copied under the lock: a close on another thread frees the
		 * entry's path (fd_glue.c's rule) */
		long r = dir_path(dirfd, dir);
		if (r < 0)
			return r;
		base = dir;
	}
	return execrt_path_join(base, path, out, EXECRT_PATH_MAX, must_dir);
}

/* FS_STAT of a normalised path. */
static long stat_path(const char *p, struct fs_stat *fs)
{
	struct fs_call c = {.req = {.op = FS_STAT},
			    .path = p,
			    .out = fs,
			    .outcap = sizeof(*fs)};
	long r = fsc_path_call(&c);
	if (r == 0 && c.outlen != sizeof(*fs))
		r = -EIO;
	return r;
}

static bool is_dir(const struct fs_stat *fs)
{
	return (fs->mode & FS_MODE_TYPE) == FS_MODE_DIR;
}

/* path (relative to dirfd) resolved into path1 and stat'ed; a trailing
 * '/' asks for a directory (ENOTDIR otherwise). */
static long stat_at(long dirfd, const char *path, struct fs_stat *fs)
{
	char path1[EXECRT_PATH_MAX];
	int must_dir;
	long r = resolve(dirfd, path, path1, &must_dir);
	if (r < 0)
		return r;
	r = stat_path(path1, fs);
	if (r < 0)
		return r;
	return must_dir && !is_dir(fs) ? -ENOTDIR : 0;
}

long fsc_openat(long dirfd, const char *path, long flags, long mode)
{
	char path1[EXECRT_PATH_MAX];
	uint32_t ff;
	int must_dir;
	if (fsc_open_flags(flags, &ff) < 0)
		return -EINVAL;
	long r = resolve(dirfd, path, path1, &must_dir);
	if (r < 0)
		return r;
	if (must_dir && (flags & O_CREAT))
		return -EISDIR; /* "dir/" with O_CREAT, as Linux */
	if (must_dir)
		ff |= FS_O_DIRECTORY;
	struct fs_stat fs;
	struct fs_call c = {.req = {.op = FS_OPEN,
				    .flags = ff,
				    .a = (uint64_t)mode & 07777 & ~cmask},
			    .path = path1,
			    .out = &fs,
			    .outcap = sizeof(fs)};
	r = fsc_path_call(&c);
	if (r < 0 || !c.hout) {
		if (c.hout)
			sys_handle_close(c.hout);
		return r < 0 ? r : -EIO;
	}
	struct execrt_fd e = {.kind = FDK_FILE,
			      .cloexec = (flags & O_CLOEXEC) != 0,
			      .owned = 1,
			      .srv_append = (flags & O_APPEND) != 0,
			      .flags = (uint32_t)flags &
				       (O_ACCMODE | O_APPEND | O_NONBLOCK),
			      .h = c.hout};
	if (c.resp.flags & FS_RESP_DEVICE) {
		e.kind = FDK_PORT; /* a driver's endpoint: bytes as messages */
	} else if (c.outlen == sizeof(fs) && is_dir(&fs)) {
		e.kind = FDK_DIR;
		if (!(e.path = fsc_path_dup(path1))) {
			fsc_fd_release(&e);
			return -ENOMEM;
		}
	}
	fsc_fd(0); /* the table set up before the first install */
	rtsk_lock();
	r = execrt_fd_install(0, &e);
	rtsk_unlock();
	if (r < 0)
		fsc_fd_release(&e);
	return r;
}

long fsc_fstatat(long dirfd, const char *path, struct stat *st, long flags)
{
	if (flags &
	    ~(long)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT))
		return -EINVAL;
	if ((flags & AT_EMPTY_PATH) && path && !path[0])
		return dirfd == AT_FDCWD ? fsc_fstatat(AT_FDCWD, ".", st, 0)
					 : fsc_fstat(dirfd, st);
	struct fs_stat fs;
	long r = stat_at(dirfd, path, &fs);
	if (r < 0)
		return r;
	fsc_to_stat(&fs, st);
	return 0;
}

/* Linux's struct statx (musl 1.2.3 has no header for it). */
struct statx_ts {
	int64_t tv_sec;
	uint32_t tv_nsec;
	int32_t pad;
};
struct statx_buf {
	uint32_t stx_mask, stx_blksize;
	uint64_t stx_attributes;
	uint32_t stx_nlink, stx_uid, stx_gid;
	uint16_t stx_mode, pad1;
	uint64_t stx_ino, stx_size, stx_blocks, stx_attributes_mask;
	struct statx_ts stx_atime, stx_btime, stx_ctime, stx_mtime;
	uint32_t stx_rdev_major, stx_rdev_minor, stx_dev_major, stx_dev_minor;
	uint64_t spare[14];
};
_Static_assert(sizeof(struct statx_buf) == 256, "Linux's statx layout");

#define STATX_BASIC_STATS 0x7ffu
#define STATX_SYNC_TYPE	  0x6000 /* AT_STATX_* sync flags: no meaning here */

static struct statx_ts stx_time(struct timespec t)
{
	return (struct statx_ts){.tv_sec = t.tv_sec,
				 .tv_nsec = (uint32_t)t.tv_nsec};
}

long fsc_statx(long dirfd, const char *path, long flags, long mask, void *out)
{
	struct stat st;
	(void)mask; /* everything basic is there anyway */
	long r = fsc_fstatat(dirfd, path, &st, flags & ~(long)STATX_SYNC_TYPE);
	if (r < 0)
		return r;
	struct statx_buf *x = out;
	memset(x, 0, sizeof(*x));
	x->stx_mask = STATX_BASIC_STATS;
	x->stx_blksize = (uint32_t)st.st_blksize;
	x->stx_nlink = (uint32_t)st.st_nlink;
	x->stx_mode = (uint16_t)st.st_mode;
	x->stx_ino = st.st_ino;
	x->stx_size = (uint64_t)st.st_size;
	x->stx_blocks = (uint64_t)st.st_blocks;
	x->stx_atime = stx_time(st.st_atim);
	x->stx_mtime = stx_time(st.st_mtim);
	x->stx_ctime = stx_time(st.st_ctim);
	x->stx_dev_minor = (uint32_t)st.st_dev;
	return 0;
}

/* There are no symbolic links: a path that exists is not one. */
long fsc_readlinkat(long dirfd, const char *path, char *buf, long len)
{
	(void)buf;
	if (len <= 0)
		return -EINVAL;
	struct stat st;
	long r = fsc_fstatat(dirfd, path, &st, AT_SYMLINK_NOFOLLOW);
	return r < 0 ? r : -EINVAL;
}

long fsc_faccessat(long dirfd, const char *path, long amode, long flags)
{
	if ((amode & ~(long)(R_OK | W_OK | X_OK)) ||
	    (flags & ~(long)(AT_EACCESS | AT_SYMLINK_NOFOLLOW)))
		return -EINVAL;
	struct fs_stat fs;
	long r = stat_at(dirfd, path, &fs);
	if (r < 0)
		return r;
	/* Everyone is root: only a read-only file system and missing
	 * execute bits say no. */
	if ((amode & W_OK) && (fs.flags & FS_ST_RDONLY))
		return -EROFS;
	if ((amode & X_OK) && !(fs.mode & 0111))
		return -EACCES;
	return 0;
}

/* One path op (FS_MKDIR, FS_RMDIR, FS_UNLINK, FS_TRUNCATE). */
static long path_op(uint32_t op, const char *p, uint64_t a)
{
	struct fs_call c = {.req = {.op = op, .a = a}, .path = p};
	return fsc_path_call(&c);
}

long fsc_mkdirat(long dirfd, const char *path, long mode)
{
	char path1[EXECRT_PATH_MAX];
	long r = resolve(dirfd, path, path1, NULL);
	if (r < 0)
		return r;
	return path_op(FS_MKDIR, path1, (uint64_t)mode & 07777 & ~cmask);
}

long fsc_unlinkat(long dirfd, const char *path, long flags)
{
	char path1[EXECRT_PATH_MAX];
	if (flags & ~(long)AT_REMOVEDIR)
		return -EINVAL;
	int must_dir;
	long r = resolve(dirfd, path, path1, &must_dir);
	if (r < 0)
		return r;
	if (flags & AT_REMOVEDIR)
		return path_op(FS_RMDIR, path1, 0);
	if (must_dir) {
		/* "x/": a file is not a directory, a directory is one. */
		struct fs_stat fs;
		r = stat_path(path1, &fs);
		if (r < 0)
			return r;
		return is_dir(&fs) ? -EISDIR : -ENOTDIR;
	}
	return path_op(FS_UNLINK, path1, 0);
}

long fsc_renameat(long olddir, const char *old, long newdir, const char *new,
		  long flags)
{
	char path1[EXECRT_PATH_MAX];
	char path2[EXECRT_PATH_MAX];
	if (flags)
		return -EINVAL; /* RENAME_NOREPLACE & co.: not there */
	long r = resolve(olddir, old, path1, NULL);
	if (r < 0)
		return r;
	r = resolve(newdir, new, path2, NULL);
	if (r < 0)
		return r;
	struct fs_call c = {
		.req = {.op = FS_RENAME}, .path = path1, .path2 = path2};
	return fsc_path_call(&c);
}

long fsc_truncate(const char *path, long len)
{
	char path1[EXECRT_PATH_MAX];
	if (len < 0)
		return -EINVAL;
	long r = resolve(AT_FDCWD, path, path1, NULL);
	if (r < 0)
		return r;
	return path_op(FS_TRUNCATE, path1, (uint64_t)len);
}

long fsc_getcwd(char *buf, size_t size)
{
	const char *c = fsc_cwd();
	size_t n = strlen(c) + 1;
	if (size < n)
		return -ERANGE;
	memcpy(buf, c, n);
	return (long)n;
}

long fsc_chdir(const char *path)
{
	char path1[EXECRT_PATH_MAX];
	long r = resolve(AT_FDCWD, path, path1, NULL);
	if (r < 0)
		return r;
	struct fs_stat fs;
	r = stat_path(path1, &fs);
	if (r < 0)
		return r;
	if (!is_dir(&fs))
		return -ENOTDIR;
	memcpy(cwd, path1, strlen(path1) + 1);
	return 0;
}

long fsc_fchdir(long fd)
{
	char dir[EXECRT_PATH_MAX];
	long r = dir_path(fd, dir);
	if (r < 0)
		return r;
	memcpy(cwd, dir, strlen(dir) + 1);
	return 0;
}

long fsc_umask(long mask)
{
	long old = cmask;
	cmask = (unsigned)mask & 0777;
	return old;
}
