/* The Linux calls on fds (read, write, readv, writev, pread64, pwrite64,
 * lseek, close, dup*, fcntl, ioctl, fstat, getdents64, ftruncate) over
 * the runtime's fd table (fd.c). What an fd is decides where the bytes
 * go: a port taking bytes (the console server, init's log port), the
 * kernel's debug console, or an fsd open file, whose endpoint gets
 * fs_proto.h calls (inline up to FS_INLINE_MAX, larger transfers through
 * a bulk window mapped once per fd). docs/userland.md "The fd table".
 *
 * Locking and lifetime (REVIEW-17 F20): an fd's entry and what it holds
 * (its handle, its socket reference, its path) change together under
 * rtsk_lock (sock_int.h), and only there:
 *  - close takes the entry out of the table under the lock, then gives
 *    back what it held (handle closed, socket reference dropped: maybe a
 *    NET_CLOSE call) outside it;
 *  - dup/dup2/F_DUPFD copy the entry AND take their own hold on its
 *    object (sys_handle_dup of the handle, rtsk_ref of the socket, a
 *    copy of the path) in the same hold of the lock, so a close on
 *    another thread either came first (EBADF) or finds the object still
 *    referenced by the copy; the copy is installed under the lock again,
 *    dup2 replacing the target entry in that one step (no window for
 *    another open to take it), and the replaced entry is given back
 *    outside the lock.
 * Under the lock only non-blocking work: table edits, reference counts,
 * handle duplication, memcpy; never a call, a wait or malloc. Socket
 * calls take their own reference (rtsk_get); the file and port calls use
 * the entry without the lock, so a close racing them on another thread
 * may make them fail (EBADF, ESTALE), as a program that does that
 * deserves, but never changes a count.
 *
 * Threads doing file I/O at once (REVIEW-18 R1): each fsd call holds the
 * file client's lock (fs_conn.c); an fd's bulk window is used under that
 * lock from the copy in to the copy out (and set up and freed under it),
 * so two threads never see each other's bytes in it; writev joins small
 * pieces in a buffer on the caller's stack. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <execrt/fs_path.h>
#include <execrt/runtime.h>

#include "fd_glue.h"
#include "fs_int.h"
#include "sock_int.h"

#define IOV_MAX_GLUE  1024
#define COALESCE_CONS 512	   /* a console writev this small: one write */
#define BULK_WINDOW   (64u * 1024) /* per fd, set up on the first large I/O */
#define BULK_REFUSED  (~0u)

static bool fd_ready;

static int is_port(handle_t h)
{
	struct handle_info hi;
	return sys_handle_info(h, &hi) == 0 && hi.type == OBJ_PORT_SEND;
}

struct execrt_fd *fsc_fd(long fd)
{
	if (!fd_ready) {
		execrt_fd_init(execrt_start_info(), is_port);
		fd_ready = true;
	}
	return execrt_fd_get(fd);
}

static long from_err(long r)
{
	return r < 0 ? -(long)execrt_errno(r) : r;
}

static handle_t self_task(void)
{
	return execrt_handle(START_H_SELF_TASK);
}

/* An op on an open file's endpoint: fsd's answer, ESTALE when that fsd
 * is gone (the fd is dead for good: close it and open again). */
static long file_call_locked(struct execrt_fd *e, struct fs_call *c)
{
	long r = fsc_call_locked(e->h, c);
	if (r == FSC_GONE)
		return -ESTALE;
	if (r < 0)
		return r;
	if (c->hout) { /* no file op but FS_BULK_SETUP hands one back */
		sys_handle_close(c->hout);
		c->hout = HANDLE_INVALID;
	}
	return c->resp.err;
}

static long file_call(struct execrt_fd *e, struct fs_call *c)
{
	fsc_lock();
	long r = file_call_locked(e, c);
	fsc_unlock();
	return r;
}

static void bulk_free(struct execrt_fd *e)
{
	fsc_lock();
	if (e->bulk_size && e->bulk_size != BULK_REFUSED) {
		struct fs_call c = {
			.req = {.op = FS_BULK_FREE, .b = e->bulk_slot}};
		file_call_locked(e, &c);
		sys_grant_unmap(self_task(), e->bulk_addr);
		sys_handle_close(e->bulk_grant);
	}
	e->bulk_size = 0;
	e->bulk_addr = 0;
	e->bulk_grant = HANDLE_INVALID;
	fsc_unlock();
}

/* The fd's bulk window (set up on first use): true when there is one.
 * Under fsc_lock. */
static bool bulk_ready(struct execrt_fd *e)
{
	if (e->bulk_size == BULK_REFUSED)
		return false;
	if (e->bulk_size)
		return true;
	struct fs_call c = {.req = {.op = FS_BULK_SETUP, .c = BULK_WINDOW}};
	long r = fsc_call_locked(e->h, &c);
	uint64_t addr = 0;
	if (r == 0 && c.resp.err == 0 && c.hout &&
	    sys_grant_map(self_task(), c.hout, VM_PROT_READ | VM_PROT_WRITE, 0,
			  &addr) == 0) {
		e->bulk_slot = (uint32_t)c.resp.val;
		e->bulk_size = BULK_WINDOW;
		e->bulk_grant = c.hout;
		e->bulk_addr = addr;
		return true;
	}
	/* Inline from now on (the protocol allows it always). */
	if (c.hout)
		sys_handle_close(c.hout);
	e->bulk_size = BULK_REFUSED;
	return false;
}

/* One FS_READ/FS_PREAD or FS_WRITE/FS_PWRITE of at most one inline
 * message or one bulk window: bytes moved (short is fine: read and write
 * may return less) or -errno. */
static long file_io(struct execrt_fd *e, uint32_t op, char *buf, size_t len,
		    uint64_t off)
{
	bool wr = op == FS_WRITE || op == FS_PWRITE;
	if (len == 0)
		return 0;
	struct fs_call c = {.req = {.op = op, .a = off}};
	if (len > FS_INLINE_MAX) {
		fsc_lock(); /* the window is this call's until the copy out */
		if (bulk_ready(e)) {
			size_t n = len < e->bulk_size ? len : e->bulk_size;
			c.req.flags = FS_IO_BULK;
			c.req.b = e->bulk_slot;
			c.req.c = n;
			if (wr)
				memcpy((void *)e->bulk_addr, buf, n);
			long r = file_call_locked(e, &c);
			if (r >= 0 && c.resp.val > n)
				r = -EIO;
			if (r >= 0 && !wr)
				memcpy(buf, (const void *)e->bulk_addr,
				       c.resp.val);
			fsc_unlock();
			return r < 0 ? r : (long)c.resp.val;
		}
		fsc_unlock();
	}
	size_t n = len < FS_INLINE_MAX ? len : FS_INLINE_MAX;
	if (wr) {
		c.data = buf;
		c.req.data_len = (uint32_t)n;
	} else {
		c.req.c = n;
		c.out = buf;
		c.outcap = (uint32_t)n;
	}
	long r = file_call(e, &c);
	if (r < 0)
		return r;
	if (c.resp.val > n || (!wr && c.resp.val != c.outlen))
		return -EIO;
	return (long)c.resp.val;
}

/* One-way messages of at most PORT_MSG_MAX bytes; a full queue blocks
 * the writer (back-pressure lands on whoever floods). */
static long port_write(handle_t h, const char *buf, size_t len)
{
	size_t done = 0;
	while (done < len) {
		size_t n = len - done;
		if (n > PORT_MSG_MAX)
			n = PORT_MSG_MAX;
		struct port_msg m = {.data = buf + done, .len = (uint32_t)n};
		long r = sys_port_send(h, &m, DEADLINE_NONE);
		if (r < 0)
			return done ? (long)done : from_err(r);
		done += n;
	}
	return (long)done;
}

static long seek_end(struct execrt_fd *e)
{
	struct fs_call c = {.req = {.op = FS_SEEK, .b = FS_SEEK_END}};
	return file_call(e, &c);
}

long fsc_write(long fd, const char *buf, size_t len)
{
	struct execrt_fd *e = fsc_fd(fd);
	if (!e || (e->flags & O_ACCMODE) == O_RDONLY)
		return -EBADF;
	if (len == 0)
		return 0;
	switch (e->kind) {
	case FDK_SOCKET: {
		struct iovec v = {.iov_base = (void *)buf, .iov_len = len};
		return rtsk_rw(fd, &v, 1, true);
	}
	case FDK_PORT:
		return port_write(e->h, buf, len);
	case FDK_KCONSOLE:
		return from_err(sys_debug_write(e->h, buf, len));
	case FDK_FILE: {
		/* O_APPEND set later with F_SETFL: the end is sought first. */
		long r = (e->flags & O_APPEND) && !e->srv_append ? seek_end(e)
								 : 0;
		if (r < 0)
			return r;
		size_t done = 0;
		while (done < len) {
			r = file_io(e, FS_WRITE, (char *)buf + done, len - done,
				    0);
			if (r <= 0)
				return done ? (long)done : r;
			done += (size_t)r;
		}
		return (long)done;
	}
	default:
		return -EBADF;
	}
}

long fsc_read(long fd, char *buf, size_t len)
{
	struct execrt_fd *e = fsc_fd(fd);
	if (!e || (e->flags & O_ACCMODE) == O_WRONLY)
		return -EBADF;
	switch (e->kind) {
	case FDK_EMPTY:
		return 0; /* nothing behind stdin: end of file */
	case FDK_DIR:
		return -EISDIR;
	case FDK_FILE:
		return file_io(e, FS_READ, buf, len, 0);
	case FDK_SOCKET: {
		struct iovec v = {.iov_base = buf, .iov_len = len};
		return rtsk_rw(fd, &v, 1, false);
	}
	default:
		return -EINVAL;
	}
}

long fsc_pio(long fd, char *buf, size_t len, long off, bool wr)
{
	struct execrt_fd *e = fsc_fd(fd);
	if (!e || (e->flags & O_ACCMODE) == (wr ? O_RDONLY : O_WRONLY))
		return -EBADF;
	if (e->kind != FDK_FILE)
		return e->kind == FDK_DIR && !wr ? -EISDIR : -ESPIPE;
	if (off < 0)
		return -EINVAL;
	size_t done = 0;
	while (done < len) {
		long r = file_io(e, wr ? FS_PWRITE : FS_PREAD, buf + done,
				 len - done, (uint64_t)off + done);
		if (r < 0)
			return done ? (long)done : r;
		done += (size_t)r;
		if (r == 0 || !wr)
			break; /* a short read ends it */
	}
	return (long)done;
}

static long iov_total(const struct iovec *iov, long cnt, size_t *total)
{
	if (cnt < 0 || cnt > IOV_MAX_GLUE)
		return -EINVAL;
	*total = 0;
	for (long i = 0; i < cnt; i++) {
		if (iov[i].iov_len > (size_t)INT64_MAX - *total)
			return -EINVAL;
		*total += iov[i].iov_len;
	}
	return 0;
}

long fsc_writev(long fd, const struct iovec *iov, long cnt)
{
	char join[FS_INLINE_MAX]; /* the caller's own: threads write at once */
	size_t total;
	long r = iov_total(iov, cnt, &total);
	if (r)
		return r;
	struct execrt_fd *e = fsc_fd(fd);
	if (!e)
		return -EBADF;
	if (e->kind == FDK_SOCKET) /* one send, no shared join buffer */
		return rtsk_rw(fd, iov, cnt, true);
	/* Small writes (a stdio line) go out whole: lines of different
	 * tasks do not interleave on the console, and a file gets one call. */
	size_t lim = e->kind == FDK_FILE ? sizeof(join) : COALESCE_CONS;
	if (total <= lim) {
		size_t n = 0;
		for (long i = 0; i < cnt; i++) {
			if (iov[i].iov_len)
				memcpy(join + n, iov[i].iov_base,
				       iov[i].iov_len);
			n += iov[i].iov_len;
		}
		return fsc_write(fd, join, n);
	}
	long done = 0;
	for (long i = 0; i < cnt; i++) {
		r = fsc_write(fd, iov[i].iov_base, iov[i].iov_len);
		if (r < 0)
			return done ? done : r;
		done += r;
		if ((size_t)r < iov[i].iov_len)
			break;
	}
	return done;
}

long fsc_readv(long fd, const struct iovec *iov, long cnt)
{
	size_t total;
	long r = iov_total(iov, cnt, &total);
	if (r)
		return r;
	struct execrt_fd *e = fsc_fd(fd);
	if (!e)
		return -EBADF;
	if (e->kind == FDK_SOCKET)
		return rtsk_rw(fd, iov, cnt, false);
	long done = 0;
	for (long i = 0; i < cnt; i++) {
		if (!iov[i].iov_len)
			continue;
		r = fsc_read(fd, iov[i].iov_base, iov[i].iov_len);
		if (r < 0)
			return done ? done : r;
		done += r;
		if ((size_t)r < iov[i].iov_len)
			break;
	}
	return done;
}

long fsc_lseek(long fd, long off, long whence)
{
	struct execrt_fd *e = fsc_fd(fd);
	if (!e)
		return -EBADF;
	if (e->kind != FDK_FILE && e->kind != FDK_DIR)
		return -ESPIPE;
	if (whence != SEEK_SET && whence != SEEK_CUR && whence != SEEK_END)
		return -EINVAL;
	struct fs_call c = {.req = {.op = FS_SEEK,
				    .a = (uint64_t)off,
				    .b = (uint64_t)whence}};
	long r = file_call(e, &c);
	if (r < 0)
		return r;
	return c.resp.val > (uint64_t)INT64_MAX ? -EOVERFLOW : (long)c.resp.val;
}

void fsc_fd_release(struct execrt_fd *e)
{
	if (e->kind == FDK_FILE)
		bulk_free(e);
	if (e->kind == FDK_SOCKET)
		rtsk_put(e->sock); /* the last fd closes the socket */
	if (e->owned && e->h)
		sys_handle_close(e->h);
	fsc_path_free(e->path);
	memset(e, 0, sizeof(*e));
}

long fsc_close(long fd)
{
	struct execrt_fd e;
	fsc_fd(fd); /* the table set up */
	rtsk_lock();
	long r = execrt_fd_take(fd, &e);
	rtsk_unlock();
	if (r < 0)
		return -EBADF;
	fsc_fd_release(&e);
	return 0;
}

/* A copy of fd's entry holding the object on its own: a handle of its
 * own, a socket reference, its own path. The entry is read and the holds
 * taken in one hold of the lock (see the top of the file). */
static long dup_entry(long fd, bool cloexec, struct execrt_fd *n)
{
	char path[EXECRT_PATH_MAX];
	bool has_path = false;
	long r = 0;
	rtsk_lock();
	struct execrt_fd *e = fsc_fd(fd);
	if (!e) {
		rtsk_unlock();
		return -EBADF;
	}
	*n = *e;
	n->cloexec = cloexec;
	n->owned = 1;
	n->bulk_size = 0;
	n->bulk_addr = 0;
	n->bulk_grant = HANDLE_INVALID;
	n->path = NULL;
	n->h = HANDLE_INVALID;
	if (e->kind == FDK_SOCKET)
		rtsk_ref(n->sock); /* released by fsc_fd_release */
	if (e->h)
		r = sys_handle_dup(e->h, RIGHT_SAME, &n->h);
	if (e->path && strlen(e->path) < sizeof(path)) {
		memcpy(path, e->path, strlen(e->path) + 1);
		has_path = true;
	}
	rtsk_unlock();
	if (r < 0) {
		n->h = HANDLE_INVALID;
		fsc_fd_release(n);
		return r == ERR_NO_MEMORY || r == ERR_NO_RESOURCES
			       ? -EMFILE
			       : from_err(r);
	}
	if (has_path && !(n->path = fsc_path_dup(path))) {
		fsc_fd_release(n);
		return -ENOMEM;
	}
	return 0;
}

/* A second fd for fd at the lowest free slot >= min, or at exact (>= 0:
 * dup2/dup3, replacing what was there). */
static long dup_to(long fd, long min, long exact, bool cloexec)
{
	struct execrt_fd n, old;
	long r = dup_entry(fd, cloexec, &n);
	if (r < 0)
		return r;
	memset(&old, 0, sizeof(old));
	rtsk_lock();
	if (exact >= 0) {
		execrt_fd_take(exact, &old); /* -EBADF: it was free */
		r = execrt_fd_put(exact, &n);
	} else {
		r = execrt_fd_install(min, &n);
	}
	rtsk_unlock();
	if (old.kind != FDK_FREE)
		fsc_fd_release(&old);
	if (r < 0)
		fsc_fd_release(&n);
	return r;
}

long fsc_dup(long fd, long min, bool cloexec)
{
	if (!fsc_fd(fd))
		return -EBADF;
	if (min < 0 || min >= EXECRT_FD_MAX)
		return -EINVAL;
	return dup_to(fd, min, -1, cloexec);
}

long fsc_dup3(long old, long new, long flags, bool is_dup2)
{
	if (!fsc_fd(old) || new < 0 || new >= EXECRT_FD_MAX)
		return -EBADF;
	if (old == new)
		return is_dup2 ? new : -EINVAL;
	if (flags & ~(long)O_CLOEXEC)
		return -EINVAL;
	return dup_to(old, 0, new, (flags & O_CLOEXEC) != 0);
}

long fsc_fcntl(long fd, long cmd, long arg)
{
	struct execrt_fd *e = fsc_fd(fd);
	if (!e)
		return -EBADF;
	switch (cmd) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		return fsc_dup(fd, arg, cmd == F_DUPFD_CLOEXEC);
	case F_GETFD:
		return e->cloexec ? FD_CLOEXEC : 0;
	case F_SETFD:
		e->cloexec = (arg & FD_CLOEXEC) != 0;
		return 0;
	case F_GETFL:
		return e->flags;
	case F_SETFL:
		e->flags = (e->flags & ~(uint32_t)(O_APPEND | O_NONBLOCK)) |
			   ((uint32_t)arg & (O_APPEND | O_NONBLOCK));
		return 0;
	default:
		return -EINVAL;
	}
}

long fsc_ioctl(long fd, long req, void *arg)
{
	struct execrt_fd *e = fsc_fd(fd);
	if (!e)
		return -EBADF;
	if (e->kind == FDK_SOCKET)
		return rtsk_ioctl(fd, req, arg);
	/* A console answers like a terminal, so stdout is line buffered
	 * (musl asks TIOCGWINSZ) and isatty(1) holds; files do not. */
	if ((e->kind != FDK_PORT && e->kind != FDK_KCONSOLE) ||
	    req != TIOCGWINSZ)
		return -ENOTTY;
	struct winsize *ws = arg;
	ws->ws_row = 25;
	ws->ws_col = 80;
	ws->ws_xpixel = 0;
	ws->ws_ypixel = 0;
	return 0;
}

long fsc_fstat(long fd, struct stat *st)
{
	struct execrt_fd *e = fsc_fd(fd);
	if (!e)
		return -EBADF;
	if (e->kind != FDK_FILE && e->kind != FDK_DIR) {
		/* A console or an empty stdin: a character device. */
		memset(st, 0, sizeof(*st));
		st->st_mode = e->kind == FDK_SOCKET ? S_IFSOCK | 0777
						    : S_IFCHR | 0620;
		st->st_nlink = 1;
		st->st_blksize = 1024;
		return 0;
	}
	struct fs_stat fs;
	struct fs_call c = {
		.req = {.op = FS_FSTAT}, .out = &fs, .outcap = sizeof(fs)};
	long r = file_call(e, &c);
	if (r < 0)
		return r;
	if (c.outlen != sizeof(fs))
		return -EIO;
	fsc_to_stat(&fs, st);
	return 0;
}

long fsc_getdents64(long fd, void *buf, size_t len)
{
	struct execrt_fd *e = fsc_fd(fd);
	if (!e)
		return -EBADF;
	if (e->kind != FDK_DIR)
		return -ENOTDIR;
	size_t n = len < FS_RESP_DATA_MAX ? len : FS_RESP_DATA_MAX;
	struct fs_call c = {.req = {.op = FS_READDIR, .c = n},
			    .out = buf,
			    .outcap = (uint32_t)n};
	long r = file_call(e, &c);
	if (r < 0)
		return r;
	if (c.resp.val != c.outlen)
		return -EIO;
	return (long)c.resp.val;
}

long fsc_ftruncate(long fd, long len)
{
	struct execrt_fd *e = fsc_fd(fd);
	if (!e)
		return -EBADF;
	if (e->kind != FDK_FILE || len < 0)
		return -EINVAL;
	if ((e->flags & O_ACCMODE) == O_RDONLY)
		return -EINVAL; /* Linux: EINVAL for an fd not open for writing
				 */
	struct fs_call c = {.req = {.op = FS_FTRUNCATE, .a = (uint64_t)len}};
	return file_call(e, &c);
}

long fsc_fsync(long fd)
{
	struct execrt_fd *e = fsc_fd(fd);
	if (!e)
		return -EBADF;
	return e->kind == FDK_FILE || e->kind == FDK_DIR ? 0 : -EINVAL;
}
