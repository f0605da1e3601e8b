/* The in-kernel test runner. Tests live in a linker section (.ktest), so
 * adding a test is writing a KTEST() anywhere in the kernel. */
#include <kern/arch.h>
#include <kern/ktest.h>
#include <kern/lib.h>
#include <kern/log.h>
#include <kern/thread.h>

extern const struct ktest __ktest_start[], __ktest_end[];
static bool cur_failed;

void ktest_fail(const char *file, int line, const char *expr)
{
	kprintf("    %s:%d: check failed: %s\n", file, line, expr);
	cur_failed = true;
}

void ktest_main(const char *filter)
{
	unsigned passed = 0, failed = 0;
	kprintf("ktest: running in-kernel tests%s%s\n",
		filter && *filter ? " matching " : "", filter ? filter : "");
	/* Pinned: the threads a test creates inherit it and share this CPU,
	 * as the scheduler tests assume (placement would spread them). */
	thread_current()->affinity = 1ull << arch_cpu_id();
	for (const struct ktest *t = __ktest_start; t < __ktest_end; t++) {
		if (filter && *filter && !strstr(t->name, filter))
			continue;
		cur_failed = false;
		uint64_t t0 = arch_clock_ns();
		t->fn();
		uint64_t us = (arch_clock_ns() - t0) / 1000;
		kprintf("%s %s (%llu us)\n", cur_failed ? "FAIL" : "ok  ",
			t->name, (unsigned long long)us);
		if (cur_failed)
			failed++;
		else
			passed++;
	}
	kprintf("ktest: %u passed, %u failed\n", passed, failed);
	arch_exit(failed == 0 && passed > 0);
}
