/* The fd and path calls of the glue (fd_glue.c, fs_glue.c): Linux
 * arguments, Linux results (>= 0 or -errno). glue.c dispatches to them. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/uio.h>

/* fd_glue.c */
long fsc_write(long fd, const char *buf, size_t len);
long fsc_read(long fd, char *buf, size_t len);
long fsc_pio(long fd, char *buf, size_t len, long off, bool wr);
long fsc_writev(long fd, const struct iovec *iov, long cnt);
long fsc_readv(long fd, const struct iovec *iov, long cnt);
long fsc_lseek(long fd, long off, long whence);
long fsc_close(long fd);
long fsc_dup(long fd, long min, bool cloexec);
long fsc_dup3(long old, long new, long flags, bool is_dup2);
long fsc_fcntl(long fd, long cmd, long arg);
long fsc_ioctl(long fd, long req, void *arg);
long fsc_fstat(long fd, struct stat *st);
long fsc_getdents64(long fd, void *buf, size_t len);
long fsc_ftruncate(long fd, long len);
long fsc_fsync(long fd);

/* fs_glue.c: dirfd AT_FDCWD or an open directory */
long fsc_openat(long dirfd, const char *path, long flags, long mode);
long fsc_fstatat(long dirfd, const char *path, struct stat *st, long flags);
long fsc_faccessat(long dirfd, const char *path, long amode, long flags);
long fsc_mkdirat(long dirfd, const char *path, long mode);
long fsc_unlinkat(long dirfd, const char *path, long flags);
long fsc_renameat(long olddir, const char *old, long newdir, const char *new,
		  long flags);
long fsc_truncate(const char *path, long len);
long fsc_getcwd(char *buf, size_t size);
long fsc_chdir(const char *path);
long fsc_fchdir(long fd);
long fsc_umask(long mask);
long fsc_statx(long dirfd, const char *path, long flags, long mask, void *out);
long fsc_readlinkat(long dirfd, const char *path, char *buf, long len);

/* sock_glue.c, sock_poll.c: the socket calls (docs/net-sockets.md);
 * socklen_t is uint32_t. */
struct msghdr;
struct pollfd;
struct timespec;
long rtsk_socket(long domain, long type, long proto);
long rtsk_bind(long fd, const void *sa, long len);
long rtsk_listen(long fd, long backlog);
long rtsk_accept4(long fd, void *sa, uint32_t *salen, long flags);
long rtsk_connect(long fd, const void *sa, long len);
long rtsk_shutdown(long fd, long how);
long rtsk_getname(long fd, void *sa, uint32_t *salen, bool peer);
long rtsk_setsockopt(long fd, long level, long name, const void *val, long len);
long rtsk_getsockopt(long fd, long level, long name, void *val, uint32_t *len);
long rtsk_sendto(long fd, const void *buf, size_t len, long flags,
		 const void *sa, uint32_t salen);
long rtsk_recvfrom(long fd, void *buf, size_t len, long flags, void *sa,
		   uint32_t *salen);
long rtsk_sendmsg(long fd, const struct msghdr *m, long flags);
long rtsk_recvmsg(long fd, struct msghdr *m, long flags);
struct mmsghdr;
long rtsk_mmsg(long fd, struct mmsghdr *v, unsigned long n, long flags,
	       bool send);
long rtsk_rw(long fd, const struct iovec *iov, long cnt, bool wr);
long rtsk_ioctl(long fd, long req, void *arg);
/* deadline: absolute ns (DEADLINE_NONE: none) */
long rtsk_poll(struct pollfd *p, unsigned long n, uint64_t deadline);
long rtsk_select(long n, void *rd, void *wr, void *ex, uint64_t deadline);
long rtsk_ts_deadline(const struct timespec *ts, uint64_t *dl);

/* mm_glue.c: mappings through vmgr (req checked and page-rounded by
 * glue.c); the address or -errno. -ENODEV from fsc_mmap_lazy: no vmgr. */
struct vm_map_req;
long fsc_mmap_file(const struct vm_map_req *req, long flags, long fd, long off);
long fsc_mmap_lazy(const struct vm_map_req *req);
/* After addr..addr+len was unmapped: vmgr mappings wholly inside it are
 * given back. */
void fsc_munmap_vm(uint64_t addr, uint64_t len);
