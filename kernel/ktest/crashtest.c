/* Deliberate kernel crashes, selected by "crashtest=<kind>" on the command
 * line, so `make check` can prove that an unhandled fault is reported
 * (vector, registers, CR2, symbolized backtrace) and fails the run. */
#include <kern/ktest.h>
#include <kern/lib.h>
#include <kern/log.h>

/* An address in the (empty) user half: always unmapped in the kernel. */
#define CRASH_ADDR 0x00007f0000000ba0ul

__attribute__((noinline)) static int crashtest_pf(void)
{
	return *(volatile int *)CRASH_ADDR;
}

__attribute__((noinline)) static void crashtest_ud(void)
{
	__builtin_trap();
}

void crashtest(const char *kind)
{
	pr_info("crashtest: %s", kind);
	if (!strcmp(kind, "pf"))
		crashtest_pf();
	else if (!strcmp(kind, "ud"))
		crashtest_ud();
	else if (!strcmp(kind, "panic"))
		panic("crashtest");
	panic("crashtest: unknown kind '%s'", kind);
}
