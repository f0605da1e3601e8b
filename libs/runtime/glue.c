/* Linux system calls, as musl issues them, translated into exec-rt calls.
 * musl's __syscallN (libs/musl-glue/arch/x86_64/syscall_arch.h) and its few
 * assembly stubs call __execrt_syscall(n, a..f) with Linux numbers and
 * arguments; the result follows the Linux convention (>= 0, or -errno).
 * Runs before TLS is set up: no errno, no stack protector here. The table
 * is in docs/userland.md. */
#include <errno.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>

#include <execrt/runtime.h>

#define NSEC_PER_SEC 1000000000ull
#define ARCH_SET_FS  0x1002
#define IOV_MAX_GLUE 1024
#define COALESCE_MAX 512 /* writev up to this size goes out in one write */
#define FAKE_TID     1

static long from_err(long r)
{
	return r < 0 ? -(long)execrt_errno(r) : r;
}

static handle_t console(int fd)
{
	if (fd != 1 && fd != 2)
		return HANDLE_INVALID;
	return execrt_handle(START_H_CONSOLE);
}

/* START_H_CONSOLE is the kernel's debug console or a port send handle
 * (a log port of init, the console server): docs/userland.md. The type
 * is looked up once; a handle cannot change type. */
static int console_is_port(handle_t h)
{
	static handle_t known;
	static int is_port;
	if (known != h) {
		struct handle_info hi;
		is_port = sys_handle_info(h, &hi) == 0 &&
			  hi.type == OBJ_PORT_SEND;
		known = h;
	}
	return is_port;
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

static long do_write(int fd, const char *buf, size_t len)
{
	handle_t h = console(fd);
	if (h == HANDLE_INVALID)
		return -EBADF;
	if (len == 0)
		return 0;
	if (console_is_port(h))
		return port_write(h, buf, len);
	return from_err(sys_debug_write(h, buf, len));
}

static long do_writev(int fd, const struct iovec *iov, int cnt)
{
	if (cnt < 0 || cnt > IOV_MAX_GLUE)
		return -EINVAL;
	if (console(fd) == HANDLE_INVALID)
		return -EBADF;
	size_t total = 0;
	for (int i = 0; i < cnt; i++) {
		if (iov[i].iov_len > (size_t)INT64_MAX - total)
			return -EINVAL;
		total += iov[i].iov_len;
	}
	/* Small writes (a stdio line) go out whole, so lines of different
	 * tasks do not interleave on the console. */
	if (total <= COALESCE_MAX) {
		char buf[COALESCE_MAX];
		size_t n = 0;
		for (int i = 0; i < cnt; i++) {
			if (iov[i].iov_len)
				__builtin_memcpy(buf + n, iov[i].iov_base,
						 iov[i].iov_len);
			n += iov[i].iov_len;
		}
		return do_write(fd, buf, n);
	}
	long done = 0;
	for (int i = 0; i < cnt; i++) {
		long r = do_write(fd, iov[i].iov_base, iov[i].iov_len);
		if (r < 0)
			return done ? done : r;
		done += r;
		if ((size_t)r < iov[i].iov_len)
			break;
	}
	return done;
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
	if (!(flags & MAP_ANONYMOUS))
		return -EBADF; /* no files */
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
	uint64_t out = 0;
	r = sys_vm_map(execrt_handle(START_H_SELF_TASK), HANDLE_INVALID, &req,
		       &out);
	(void)fd;
	(void)off;
	return r < 0 ? from_err(r) : (long)out;
}

static long do_range(long nr, uint64_t addr, uint64_t len, long prot)
{
	if ((addr & (PAGE_SIZE_USER - 1)) || len > USER_TOP)
		return -EINVAL;
	if (len == 0)
		return 0;
	handle_t self = execrt_handle(START_H_SELF_TASK);
	if (nr == SYS_munmap)
		return from_err(sys_vm_unmap(self, addr, page_round(len)));
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

static long do_ioctl(long fd, long req, struct winsize *ws)
{
	/* The debug console answers like a terminal, so stdout is line
	 * buffered (musl asks TIOCGWINSZ) and isatty(1) holds. */
	if (console((int)fd) == HANDLE_INVALID || req != TIOCGWINSZ)
		return -ENOTTY;
	ws->ws_row = 25;
	ws->ws_col = 80;
	ws->ws_xpixel = 0;
	ws->ws_ypixel = 0;
	return 0;
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
	do_write(2, buf, n);
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

long __execrt_syscall(long n, long a, long b, long c, long d, long e, long f)
{
	switch (n) {
	case SYS_write:
		return do_write((int)a, (const char *)b, (size_t)c);
	case SYS_writev:
		return do_writev((int)a, (const struct iovec *)b, (int)c);
	case SYS_read:
		return a == 0 ? 0 : -EBADF; /* stdin: always end of file */
	case SYS_close:
		return a >= 0 && a <= 2 ? 0 : -EBADF;
	case SYS_lseek:
		return a >= 0 && a <= 2 ? -ESPIPE : -EBADF;
	case SYS_ioctl:
		return do_ioctl(a, b, (struct winsize *)c);
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
		return -ENOSYS;
	}
}
