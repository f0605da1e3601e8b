/* Linux smoke test of the user runtime (make user-smoke): the exec-rt
 * system calls that a hello-world program makes, emulated with Linux system
 * calls, so a program linked with musl + libexecrt built with
 * -DEXECRT_EMULATE runs as an ordinary Linux process. Only for this check;
 * the handle values here are made up. */
#include <errno.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>

#include <execrt/sys.h>

#define H_TASK	  1
#define H_THREAD  2
#define H_CONSOLE 3

const struct start_info *__execrt_emulate_start_info(void);

static long linux6(long n, long a, long b, long c, long d, long e, long f)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long ret;
	__asm__ __volatile__("syscall"
			     : "=a"(ret)
			     : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10),
			       "r"(r8), "r"(r9)
			     : "rcx", "r11", "memory");
	return ret;
}

static struct start_info info = {
	.magic = START_INFO_MAGIC,
	.nhandles = START_H_COUNT,
	.argc = 3,
	.handles = {[START_H_SELF_TASK] = H_TASK,
		    [START_H_SELF_THREAD] = H_THREAD,
		    [START_H_CONSOLE] = H_CONSOLE},
	.mem_quota = 64 << 20,
	.cmdline = "hello  one\ttwo ",
};

const struct start_info *__execrt_emulate_start_info(void)
{
	return &info;
}

static long err_of(long linux_ret)
{
	if (linux_ret >= 0)
		return linux_ret;
	return linux_ret == -ENOMEM   ? ERR_NO_MEMORY
	       : linux_ret == -EEXIST ? ERR_ALREADY_EXISTS
	       : linux_ret == -EFAULT ? ERR_FAULT
				      : ERR_INVALID_ARGS;
}

static long vm_map(long task, long vmo, const struct vm_map_req *req,
		   uint64_t *out)
{
	if (task != H_TASK)
		return ERR_BAD_HANDLE;
	if (vmo != HANDLE_INVALID)
		return ERR_NOT_SUPPORTED;
	if ((req->prot & VM_PROT_WRITE) && (req->prot & VM_PROT_EXEC))
		return ERR_INVALID_ARGS;
	if (!req->len || (req->len | req->addr) & (PAGE_SIZE_USER - 1))
		return ERR_INVALID_ARGS;
	long flags = MAP_PRIVATE | MAP_ANONYMOUS |
		     ((req->flags & VM_MAP_FIXED) ? MAP_FIXED_NOREPLACE : 0);
	long r = linux6(SYS_mmap, (long)req->addr, (long)req->len,
			(long)req->prot, flags, -1, 0);
	if (r < 0)
		return err_of(r);
	*out = (uint64_t)r;
	return 0;
}

long __execrt_emulate(long n, long a, long b, long c, long d, long e, long f)
{
	struct timespec ts;
	(void)e;
	(void)f;
	switch (n) {
	case SYS_DEBUG_WRITE:
		if (a != H_CONSOLE)
			return ERR_BAD_HANDLE;
		return err_of(linux6(SYS_write, 1, b, c, 0, 0, 0));
	case SYS_CLOCK_NOW:
		linux6(SYS_clock_gettime, CLOCK_MONOTONIC, (long)&ts, 0, 0, 0,
		       0);
		return ts.tv_sec * 1000000000l + ts.tv_nsec;
	case SYS_YIELD:
		return err_of(linux6(SYS_sched_yield, 0, 0, 0, 0, 0, 0));
	case SYS_SLEEP_UNTIL:
		ts.tv_sec = (time_t)((uint64_t)a / 1000000000u);
		ts.tv_nsec = (long)((uint64_t)a % 1000000000u);
		return err_of(linux6(SYS_clock_nanosleep, CLOCK_MONOTONIC,
				     TIMER_ABSTIME, (long)&ts, 0, 0, 0));
	case SYS_TASK_EXIT:
		for (;;)
			linux6(SYS_exit_group, a, 0, 0, 0, 0, 0);
	case SYS_THREAD_EXIT:
		for (;;)
			linux6(SYS_exit, a, 0, 0, 0, 0, 0);
	case SYS_THREAD_SET_TLS:
		return err_of(linux6(SYS_arch_prctl, 0x1002, a, 0, 0, 0, 0));
	case SYS_VM_MAP:
		return vm_map(a, b, (const struct vm_map_req *)c,
			      (uint64_t *)d);
	case SYS_VM_UNMAP:
		return a != H_TASK
			       ? ERR_BAD_HANDLE
			       : err_of(linux6(SYS_munmap, b, c, 0, 0, 0, 0));
	case SYS_VM_PROTECT:
		return a != H_TASK
			       ? ERR_BAD_HANDLE
			       : err_of(linux6(SYS_mprotect, b, c, d, 0, 0, 0));
	default:
		return ERR_BAD_SYSCALL;
	}
}
