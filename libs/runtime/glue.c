/* Linux system calls, as musl issues them, translated into exec-rt calls.
 * musl's __syscallN (libs/musl-glue/arch/x86_64/syscall_arch.h) and its few
 * assembly stubs call __execrt_syscall(n, a..f) with Linux numbers and
 * arguments; the result follows the Linux convention (>= 0, or -errno).
 * Runs before TLS is set up: no errno, no stack protector here. The table
 * is in docs/userland.md. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>

#include <execrt/runtime.h>

#include "fd_glue.h"

#define NSEC_PER_SEC 1000000000ull
#define ARCH_SET_FS  0x1002
#define FAKE_TID     1

static long from_err(long r)
{
	return r < 0 ? -(long)execrt_errno(r) : r;
}

static uint64_t page_round(uint64_t len)
{
	return (len + PAGE_SIZE_USER - 1) & ~(PAGE_SIZE_USER - 1);
}

static long check_prot(long prot)
{
	if (prot & ~(long)(PROT_READ | PROT_WRITE | PROT_EXEC))
		return -EINVAL;
	if ((prot & PROT_WRITE) && (prot & PROT_EXEC))
		return -EACCES; /* W^X */
	return 0;
}

static long do_mmap(uint64_t addr, uint64_t len, long prot, long flags, long fd,
		    long off)
{
	int fixed = (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) != 0;
	if (len == 0)
		return -EINVAL;
	if (len > USER_TOP)
		return -ENOMEM;
	if (addr & (PAGE_SIZE_USER - 1)) {
		if (fixed)
			return -EINVAL;
		addr = 0; /* a bad hint is no hint */
	}
	long r = check_prot(prot);
	if (r)
		return r;
	struct vm_map_req req = {
		.addr = addr,
		.len = page_round(len),
		.offset = 0,
		.prot = (uint32_t)prot,
		.flags = fixed ? VM_MAP_FIXED : 0,
	};
	if (!(flags & MAP_ANONYMOUS))
		return fsc_mmap_file(&req, flags, fd, off);
	if (flags & MAP_NORESERVE) {
		r = fsc_mmap_lazy(&req);
		if (r != -ENODEV)
			return r;
		/* no vmgr: eager memory (docs/userland.md) */
	}
	uint64_t out = 0;
	r = sys_vm_map(execrt_handle(START_H_SELF_TASK), HANDLE_INVALID, &req,
		       &out);
	return r < 0 ? from_err(r) : (long)out;
}

static long do_range(long nr, uint64_t addr, uint64_t len, long prot)
{
	if ((addr & (PAGE_SIZE_USER - 1)) || len > USER_TOP)
		return -EINVAL;
	if (len == 0)
		return 0;
	handle_t self = execrt_handle(START_H_SELF_TASK);
	if (nr == SYS_munmap) {
		long r = sys_vm_unmap(self, addr, page_round(len));
		if (!r)
			fsc_munmap_vm(addr, page_round(len));
		return from_err(r);
	}
	long r = check_prot(prot);
	if (r)
		return r;
	return from_err(
		sys_vm_protect(self, addr, page_round(len), (uint32_t)prot));
}

static int clock_ok(long clk)
{
	return clk == CLOCK_REALTIME || clk == CLOCK_MONOTONIC ||
	       clk == CLOCK_MONOTONIC_RAW || clk == CLOCK_REALTIME_COARSE ||
	       clk == CLOCK_MONOTONIC_COARSE || clk == CLOCK_BOOTTIME;
}

/* There is no wall clock yet: every clock counts from boot. */
static long do_clock_gettime(long clk, struct timespec *ts)
{
	if (!clock_ok(clk))
		return -EINVAL;
	long now = sys_clock_now();
	if (now < 0)
		return from_err(now);
	ts->tv_sec = (time_t)((uint64_t)now / NSEC_PER_SEC);
	ts->tv_nsec = (long)((uint64_t)now % NSEC_PER_SEC);
	return 0;
}

static long do_sleep(long clk, long flags, const struct timespec *req,
		     struct timespec *rem)
{
	if (!clock_ok(clk))
		return -EINVAL;
	if (req->tv_sec < 0 || req->tv_nsec < 0 ||
	    (uint64_t)req->tv_nsec >= NSEC_PER_SEC)
		return -EINVAL;
	uint64_t ns = (uint64_t)req->tv_nsec, sec = (uint64_t)req->tv_sec;
	uint64_t dl = sec > (UINT64_MAX - ns) / NSEC_PER_SEC
			      ? DEADLINE_NONE
			      : sec * NSEC_PER_SEC + ns;
	if (!(flags & TIMER_ABSTIME)) {
		long now = sys_clock_now();
		if (now < 0)
			return from_err(now);
		dl = dl > DEADLINE_NONE - (uint64_t)now ? DEADLINE_NONE
							: dl + (uint64_t)now;
	}
	if (rem) {
		rem->tv_sec = 0;
		rem->tv_nsec = 0;
	}
	return from_err(sys_sleep_until(dl));
}

static _Noreturn void die_by_signal(long sig)
{
	static const char msg[] = "task killed by signal ";
	char buf[sizeof(msg) + 4];
	size_t n = sizeof(msg) - 1;
	__builtin_memcpy(buf, msg, n);
	if (sig >= 10)
		buf[n++] = (char)('0' + sig / 10 % 10);
	buf[n++] = (char)('0' + sig % 10);
	buf[n++] = '\n';
	fsc_write(2, buf, n);
	sys_task_exit(128 + sig);
}

static long do_getrandom(unsigned char *buf, size_t len)
{
	static uint64_t state;
	uint64_t x = state ^ (uint64_t)sys_clock_now();
	for (size_t i = 0; i < len; i++) {
		uint32_t lo, hi;
		__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
		x = (x ^ ((uint64_t)hi << 32 | lo)) * 0x9e3779b97f4a7c15ull;
		x ^= x >> 29;
		buf[i] = (unsigned char)(x >> 32);
	}
	state = x;
	return (long)len;
}

static long poll_ms(struct pollfd *p, long n, long ms)
{
	uint64_t dl = ms < 0 ? DEADLINE_NONE : 0;
	if (ms >= 0) {
		long now = sys_clock_now();
		dl = (uint64_t)(now < 0 ? 0 : now) + (uint64_t)ms * 1000000ull;
	}
	return rtsk_poll(p, (unsigned long)n, dl);
}

/* select's timeval (musl passes {sec, usec} as two longs). */
static long select_tv(long n, void *r, void *w, void *x, const long *tv)
{
	uint64_t dl = DEADLINE_NONE;
	if (tv) {
		if (tv[0] < 0 || tv[1] < 0 || tv[1] >= 1000000)
			return -EINVAL;
		struct timespec ts = {.tv_sec = tv[0], .tv_nsec = tv[1] * 1000};
		long err = rtsk_ts_deadline(&ts, &dl);
		if (err)
			return err;
	}
	return rtsk_select(n, r, w, x, dl);
}

/* The socket calls and poll/select (sock_glue.c, sock_poll.c). */
static long sock_call(long n, long a, long b, long c, long d, long e, long f)
{
	uint64_t dl;
	long r;
	(void)f;
	switch (n) {
	case SYS_socket:
		return rtsk_socket(a, b, c);
	case SYS_socketpair:
		return -EOPNOTSUPP;
	case SYS_bind:
		return rtsk_bind(a, (const void *)b, c);
	case SYS_listen:
		return rtsk_listen(a, b);
	case SYS_accept:
		return rtsk_accept4(a, (void *)b, (uint32_t *)c, 0);
	case SYS_accept4:
		return rtsk_accept4(a, (void *)b, (uint32_t *)c, d);
	case SYS_connect:
		return rtsk_connect(a, (const void *)b, c);
	case SYS_sendto:
		return rtsk_sendto(a, (const void *)b, (size_t)c, d,
				   (const void *)e, (uint32_t)f);
	case SYS_recvfrom:
		return rtsk_recvfrom(a, (void *)b, (size_t)c, d, (void *)e,
				     (uint32_t *)f);
	case SYS_sendmsg:
		return rtsk_sendmsg(a, (const void *)b, c);
	case SYS_recvmsg:
		return rtsk_recvmsg(a, (void *)b, c);
	case SYS_sendmmsg:
		return rtsk_mmsg(a, (void *)b, (unsigned long)c, d, true);
	case SYS_recvmmsg:
		return rtsk_mmsg(a, (void *)b, (unsigned long)c, d, false);
	case SYS_shutdown:
		return rtsk_shutdown(a, b);
	case SYS_getsockname:
	case SYS_getpeername:
		return rtsk_getname(a, (void *)b, (uint32_t *)c,
				    n == SYS_getpeername);
	case SYS_setsockopt:
		return rtsk_setsockopt(a, b, c, (const void *)d, e);
	case SYS_getsockopt:
		return rtsk_getsockopt(a, b, c, (void *)d, (uint32_t *)e);
	case SYS_poll:
		return poll_ms((struct pollfd *)a, b, c);
	case SYS_ppoll:
		r = rtsk_ts_deadline((const struct timespec *)c, &dl);
		return r ? r
			 : rtsk_poll((struct pollfd *)a, (unsigned long)b, dl);
	case SYS_select:
		return select_tv(a, (void *)b, (void *)c, (void *)d,
				 (const long *)e);
	case SYS_pselect6:
		r = rtsk_ts_deadline((const struct timespec *)e, &dl);
		return r ? r
			 : rtsk_select(a, (void *)b, (void *)c, (void *)d, dl);
	default:
		return -ENOSYS;
	}
}

long __execrt_syscall(long n, long a, long b, long c, long d, long e, long f)
{
	switch (n) {
	case SYS_write:
		return fsc_write(a, (const char *)b, (size_t)c);
	case SYS_writev:
		return fsc_writev(a, (const struct iovec *)b, c);
	case SYS_read:
		return fsc_read(a, (char *)b, (size_t)c);
	case SYS_readv:
		return fsc_readv(a, (const struct iovec *)b, c);
	case SYS_pread64:
		return fsc_pio(a, (char *)b, (size_t)c, d, false);
	case SYS_pwrite64:
		return fsc_pio(a, (char *)b, (size_t)c, d, true);
	case SYS_close:
		return fsc_close(a);
	case SYS_lseek:
		return fsc_lseek(a, b, c);
	case SYS_ioctl:
		return fsc_ioctl(a, b, (void *)c);
	case SYS_fstat:
		return fsc_fstat(a, (struct stat *)b);
	case SYS_getdents64:
		return fsc_getdents64(a, (void *)b, (size_t)c);
	case SYS_ftruncate:
		return fsc_ftruncate(a, b);
	case SYS_fsync:
	case SYS_fdatasync:
		return fsc_fsync(a);
	case SYS_dup:
		return fsc_dup(a, 0, false);
	case SYS_dup2:
		return fsc_dup3(a, b, 0, true);
	case SYS_dup3:
		return fsc_dup3(a, b, c, false);
	case SYS_fcntl:
		return fsc_fcntl(a, b, c);
	case SYS_open:
		return fsc_openat(AT_FDCWD, (const char *)a, b, c);
	case SYS_openat:
		return fsc_openat(a, (const char *)b, c, d);
	case SYS_creat:
		return fsc_openat(AT_FDCWD, (const char *)a,
				  O_CREAT | O_WRONLY | O_TRUNC, b);
	case SYS_stat:
		return fsc_fstatat(AT_FDCWD, (const char *)a, (struct stat *)b,
				   0);
	case SYS_lstat:
		return fsc_fstatat(AT_FDCWD, (const char *)a, (struct stat *)b,
				   AT_SYMLINK_NOFOLLOW);
	case SYS_newfstatat:
		return fsc_fstatat(a, (const char *)b, (struct stat *)c, d);
	case SYS_statx:
		return fsc_statx(a, (const char *)b, c, d, (void *)e);
	case SYS_readlink:
		return fsc_readlinkat(AT_FDCWD, (const char *)a, (char *)b, c);
	case SYS_readlinkat:
		return fsc_readlinkat(a, (const char *)b, (char *)c, d);
	case SYS_access:
		return fsc_faccessat(AT_FDCWD, (const char *)a, b, 0);
	case SYS_faccessat:
		return fsc_faccessat(a, (const char *)b, c, 0);
	case SYS_faccessat2:
		return fsc_faccessat(a, (const char *)b, c, d);
	case SYS_mkdir:
		return fsc_mkdirat(AT_FDCWD, (const char *)a, b);
	case SYS_mkdirat:
		return fsc_mkdirat(a, (const char *)b, c);
	case SYS_unlink:
		return fsc_unlinkat(AT_FDCWD, (const char *)a, 0);
	case SYS_rmdir:
		return fsc_unlinkat(AT_FDCWD, (const char *)a, AT_REMOVEDIR);
	case SYS_unlinkat:
		return fsc_unlinkat(a, (const char *)b, c);
	case SYS_rename:
		return fsc_renameat(AT_FDCWD, (const char *)a, AT_FDCWD,
				    (const char *)b, 0);
	case SYS_renameat:
		return fsc_renameat(a, (const char *)b, c, (const char *)d, 0);
	case SYS_renameat2:
		return fsc_renameat(a, (const char *)b, c, (const char *)d, e);
	case SYS_truncate:
		return fsc_truncate((const char *)a, b);
	case SYS_getcwd:
		return fsc_getcwd((char *)a, (size_t)b);
	case SYS_chdir:
		return fsc_chdir((const char *)a);
	case SYS_fchdir:
		return fsc_fchdir(a);
	case SYS_umask:
		return fsc_umask(a);
	case SYS_mmap:
		return do_mmap((uint64_t)a, (uint64_t)b, c, d, e, f);
	case SYS_munmap:
	case SYS_mprotect:
		return do_range(n, (uint64_t)a, (uint64_t)b, c);
	case SYS_madvise:
		return 0;
	case SYS_brk:
		return 0; /* no heap break: malloc falls back to mmap */
	case SYS_exit:
		sys_thread_exit(a);
	case SYS_exit_group:
		sys_task_exit(a);
	case SYS_clock_gettime:
		return do_clock_gettime(a, (struct timespec *)b);
	case SYS_clock_getres:
		if (!clock_ok(a))
			return -EINVAL;
		if (b) {
			((struct timespec *)b)->tv_sec = 0;
			((struct timespec *)b)->tv_nsec = 1;
		}
		return 0;
	case SYS_nanosleep:
		return do_sleep(CLOCK_MONOTONIC, 0, (const struct timespec *)a,
				(struct timespec *)b);
	case SYS_clock_nanosleep:
		return do_sleep(a, b, (const struct timespec *)c,
				(struct timespec *)d);
	case SYS_sched_yield:
		return from_err(sys_yield());
	case SYS_arch_prctl:
		if (a != ARCH_SET_FS)
			return -EINVAL;
		return from_err(sys_thread_set_tls((uint64_t)b));
	case SYS_set_tid_address:
	case SYS_gettid:
		return FAKE_TID;
	case SYS_getpid:
		return 1;
	case SYS_getuid:
	case SYS_geteuid:
	case SYS_getgid:
	case SYS_getegid:
		return 0;
	case SYS_rt_sigprocmask:
	case SYS_rt_sigaction:
	case SYS_sigaltstack:
		return 0;
	case SYS_tkill:
	case SYS_tgkill:
	case SYS_kill: {
		/* Only this task's one thread can be named: a signal that is
		 * not 0 ends the task (there are no handlers). */
		long who = n == SYS_tgkill ? b : a;
		long sig = n == SYS_tgkill ? c : b;
		int self = n == SYS_kill ? (who == 0 || who == 1)
					 : who == FAKE_TID;
		if (sig < 0 || sig >= 65)
			return -EINVAL;
		if (!self)
			return -ESRCH;
		if (sig == 0)
			return 0;
		die_by_signal(sig);
	}
	case SYS_getrandom:
		return do_getrandom((unsigned char *)a, (size_t)b);
	default:
		return sock_call(n, a, b, c, d, e, f);
	}
}
