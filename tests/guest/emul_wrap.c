/* Linux run of the guest suite (make guest-emul): only for the harness and
 * the pure parts; runs before TLS exists (no stack protector). Linked with
 * -Wl,--wrap over tests/host-user/linux_emul.c: adds fake memory objects,
 * threads (Linux clone), handle close and constant kernel statistics, and takes
 * the command line from the Linux process, so `guest-tests.elf <filter>`
 * selects tests. Everything else is what the libs emulation answers (mostly
 * ERR_BAD_SYSCALL). */
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>

#include <execrt/sys.h>

#define FIRST_FAKE 100
#define NFAKE	   256

long __real___execrt_emulate(long n, long a, long b, long c, long d, long e,
			     long f);
long __wrap___execrt_emulate(long n, long a, long b, long c, long d, long e,
			     long f);
const struct start_info *__real___execrt_emulate_start_info(void);
const struct start_info *__wrap___execrt_emulate_start_info(void);

enum { FREE, VMO, THREAD };
static unsigned char live[NFAKE];
static struct start_info info;
/* Threads: the clear-tid word (1 while running) and the Linux tid. */
static volatile int running[NFAKE];
static long tids[NFAKE];
/* Exit statuses by tid, written by the exiting thread. */
static struct {
	volatile long tid;
	int64_t status;
} ended[NFAKE];
static volatile int nended;

#define CLONE_FLAGS                                                            \
	(0x100 | 0x200 | 0x400 | 0x800 | 0x10000 | 0x40000 | 0x200000)
/* VM FS FILES SIGHAND THREAD SYSVSEM CHILD_CLEARTID */

static long linux3(long n, long a, long b, long c)
{
	long ret;
	__asm__ __volatile__("syscall"
			     : "=a"(ret)
			     : "a"(n), "D"(a), "S"(b), "d"(c)
			     : "rcx", "r11", "memory");
	return ret;
}

/* A Linux thread entering entry(arg) with rsp = stack, as exec-rt does. */
static long clone_at(uint64_t entry, uint64_t stack, uint64_t arg,
		     volatile int *ctid)
{
	long ret;
	register long r10 __asm__("r10") = (long)ctid;
	register long r8 __asm__("r8") = 0;
	register long r9 __asm__("r9") = (long)entry;
	register long r12 __asm__("r12") = (long)arg;
	__asm__ __volatile__("syscall\n\t"
			     "test %%rax, %%rax\n\t"
			     "jnz 1f\n\t"
			     "mov %%r12, %%rdi\n\t"
			     "jmp *%%r9\n"
			     "1:"
			     : "=a"(ret)
			     : "a"(SYS_clone), "D"(CLONE_FLAGS), "S"(stack),
			       "d"(0), "r"(r10), "r"(r8), "r"(r9), "r"(r12)
			     : "rcx", "r11", "memory");
	return ret;
}

static long slot_new(int kind, handle_t *out)
{
	for (int i = 0; i < NFAKE; i++) {
		if (live[i] == FREE) {
			live[i] = (unsigned char)kind;
			*out = (handle_t)(FIRST_FAKE + i);
			return 0;
		}
	}
	return ERR_NO_RESOURCES;
}

static int slot_of(long h, int kind)
{
	if (h < FIRST_FAKE || h >= FIRST_FAKE + NFAKE ||
	    live[h - FIRST_FAKE] == FREE)
		return -1;
	if (kind && live[h - FIRST_FAKE] != kind)
		return -2;
	return (int)(h - FIRST_FAKE);
}

static long thread_wait(long h, uint64_t deadline, int64_t *status)
{
	int i = slot_of(h, THREAD);
	if (i < 0)
		return i == -1 ? ERR_BAD_HANDLE : ERR_WRONG_TYPE;
	while (running[i]) {
		long now = __real___execrt_emulate(SYS_CLOCK_NOW, 0, 0, 0, 0, 0,
						   0);
		if ((uint64_t)now >= deadline)
			return ERR_TIMED_OUT;
		__real___execrt_emulate(SYS_SLEEP_UNTIL, now + 1000000, 0, 0, 0,
					0, 0);
	}
	for (int k = 0; k < nended; k++)
		if (ended[k].tid == tids[i])
			*status = ended[k].status;
	return 0;
}

const struct start_info *__wrap___execrt_emulate_start_info(void)
{
	memcpy(&info, __real___execrt_emulate_start_info(), sizeof(info));
	memset(info.cmdline, 0, sizeof(info.cmdline));
	long fd = linux3(SYS_open, (long)"/proc/self/cmdline", O_RDONLY, 0);
	long n = fd < 0 ? 0
			: linux3(SYS_read, fd, (long)info.cmdline,
				 sizeof(info.cmdline) - 1);
	if (fd >= 0)
		linux3(SYS_close, fd, 0, 0);
	for (long i = 0; i < n; i++)
		if (!info.cmdline[i])
			info.cmdline[i] = ' ';
	return &info;
}

long __wrap___execrt_emulate(long n, long a, long b, long c, long d, long e,
			     long f)
{
	switch (n) {
	case SYS_VMO_CREATE:
		return slot_new(VMO, (handle_t *)b);
	case SYS_THREAD_CREATE:
		return slot_new(THREAD, (handle_t *)d);
	case SYS_THREAD_START: {
		int i = slot_of(a, THREAD);
		if (i < 0)
			return ERR_BAD_HANDLE;
		if (tids[i])
			return ERR_BAD_STATE;
		running[i] = 1;
		tids[i] = clone_at((uint64_t)b, (uint64_t)c, (uint64_t)d,
				   &running[i]);
		return tids[i] < 0 ? ERR_NO_RESOURCES : 0;
	}
	case SYS_THREAD_EXIT: {
		int k = __atomic_fetch_add(&nended, 1, __ATOMIC_SEQ_CST);
		ended[k % NFAKE].status = a;
		ended[k % NFAKE].tid = linux3(SYS_gettid, 0, 0, 0);
		return __real___execrt_emulate(n, a, b, c, d, e, f);
	}
	case SYS_OBJECT_WAIT:
		return thread_wait(a, (uint64_t)b, (int64_t *)c);
	case SYS_HANDLE_CLOSE: {
		int i = slot_of(a, 0);
		if (i < 0)
			return ERR_BAD_HANDLE;
		live[i] = FREE;
		tids[i] = 0;
		return 0;
	}
	case SYS_KERNEL_STATS: {
		struct kernel_stats s = {.frames_total = 1000,
					 .frames_free = 500,
					 .kobjects_live = 10,
					 .slab_objects = 10,
					 .tasks = 1,
					 .threads = 1,
					 .cpus_online = 1};
		memcpy((void *)b, &s, sizeof(s));
		return 0;
	}
	default:
		return __real___execrt_emulate(n, a, b, c, d, e, f);
	}
}
