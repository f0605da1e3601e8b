/* Task start-up. musl's crt1.o (_start, see libs/musl-glue/arch/x86_64/
 * crt_arch.h) calls __execrt_start_c(start_info, main) on an aligned stack.
 * Here the start_info is kept, argv is split from its cmdline, an empty
 * environment and an auxiliary vector are made (what musl reads from the
 * Linux initial stack) and __libc_start_main runs main. Nothing here may use
 * TLS or the stack protector: the thread pointer is set up later, inside
 * __libc_start_main. */
#include <elf.h>
#include <string.h>

#include <execrt/runtime.h>

#define ARGV_MAX START_ARGV_MAX

int __libc_start_main(int (*main)(int, char **, char **), int argc, char **argv,
		      void (*init)(void), void (*fini)(void),
		      void (*ldso)(void));
_Noreturn void __execrt_start_c(struct start_info *si,
				int (*main)(int, char **, char **));

/* The ELF header of this program (ld defines it when the first PT_LOAD
 * segment holds the headers, as it does for static executables). */
extern const Elf64_Ehdr __ehdr_start
	__attribute__((weak, visibility("hidden")));

static const struct start_info *start_info;
/* Read by musl's __unmapself (libs/musl-glue). */
handle_t __execrt_self_task;

static char cmdline[sizeof(((struct start_info *)0)->cmdline)];
static unsigned char at_random[16];
/* argv (ARGV_MAX) + NULL, envp NULL, auxv pairs + AT_NULL. */
static unsigned long vec[ARGV_MAX + 1 + 1 + 2 * 12 + 2];

#ifdef EXECRT_EMULATE
const struct start_info *__execrt_emulate_start_info(void);
#endif

const struct start_info *execrt_start_info(void)
{
	return start_info;
}

handle_t execrt_handle(enum start_handle i)
{
	if (!start_info || (unsigned)i >= START_H_COUNT ||
	    (unsigned)i >= start_info->nhandles)
		return HANDLE_INVALID;
	return start_info->handles[i];
}

static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* Seed bytes for musl (stack-protector canary, malloc secret): RDRAND
 * where the CPU has it, else the TSC and the clock (not for cryptography). */
static void fill_random(unsigned char *buf, size_t len)
{
	uint32_t a, b, c, d;
	__asm__("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
	int rdrand = (c >> 30) & 1;
	uint64_t seed = (uint64_t)sys_clock_now() ^ (uintptr_t)buf;
	for (size_t i = 0; i < len; i += 8) {
		uint32_t lo, hi;
		uint64_t r = 0;
		unsigned char ok = 0;
		__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
		seed = mix64(seed ^ ((uint64_t)hi << 32 | lo));
		if (rdrand)
			__asm__ __volatile__("rdrand %0; setc %1"
					     : "=r"(r), "=qm"(ok));
		uint64_t v = seed ^ (ok ? r : 0);
		memcpy(buf + i, &v, len - i < 8 ? len - i : 8);
	}
}

_Noreturn void __execrt_start_c(struct start_info *si,
				int (*main)(int, char **, char **))
{
#ifdef EXECRT_EMULATE
	if (!si)
		si = (struct start_info *)__execrt_emulate_start_info();
#endif
	if (si && si->magic == START_INFO_MAGIC) {
		start_info = si;
		__execrt_self_task = execrt_handle(START_H_SELF_TASK);
		memcpy(cmdline, si->cmdline, sizeof(cmdline) - 1);
	}
	char **argv = (char **)vec;
	int argc = execrt_split_args(cmdline, argv, ARGV_MAX + 1);
	unsigned long *p = vec + argc + 1;
	*p++ = 0; /* empty environment */
	fill_random(at_random, sizeof(at_random));
	if (&__ehdr_start) {
		*p++ = AT_PHDR;
		*p++ = (uintptr_t)&__ehdr_start + __ehdr_start.e_phoff;
		*p++ = AT_PHENT;
		*p++ = __ehdr_start.e_phentsize;
		*p++ = AT_PHNUM;
		*p++ = __ehdr_start.e_phnum;
	}
	*p++ = AT_PAGESZ;
	*p++ = PAGE_SIZE_USER;
	*p++ = AT_RANDOM;
	*p++ = (uintptr_t)at_random;
	*p++ = AT_UID;
	*p++ = 0;
	*p++ = AT_EUID;
	*p++ = 0;
	*p++ = AT_GID;
	*p++ = 0;
	*p++ = AT_EGID;
	*p++ = 0;
	*p++ = AT_SECURE;
	*p++ = 0;
	*p++ = AT_NULL;
	*p++ = 0;
	__libc_start_main(main, argc, argv, 0, 0, 0);
	sys_task_exit(127);
}
