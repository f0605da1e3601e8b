/* In-kernel test suite: tests that need the real machine (paging, timers,
 * faults). Selected with the kernel command line option "ktest" (all) or
 * "ktest=<substring>". Prints one line per test and "N passed, N failed",
 * then exits QEMU with the success or failure code. */
#pragma once
#include <kern/log.h>
#include <kern/types.h>

struct ktest {
	const char *name;
	const char *file;
	void (*fn)(void);
};

#define KTEST(name)                                                          \
	static void name(void);                                              \
	static const struct ktest ktest_desc_##name                          \
		__attribute__((used, section(".ktest"), aligned(8))) = {     \
			#name, __FILE__, name};                              \
	static void name(void)

void ktest_fail(const char *file, int line, const char *expr);

/* A failed check fails the test and returns from it. */
#define KT_CHECK(cond)                                                       \
	do {                                                                 \
		if (!(cond)) {                                               \
			ktest_fail(__FILE__, __LINE__, #cond);               \
			return;                                              \
		}                                                            \
	} while (0)

#define KT_CHECK_EQ(a, b)                                                    \
	do {                                                                 \
		unsigned long long _a = (unsigned long long)(a),             \
				   _b = (unsigned long long)(b);             \
		if (_a != _b) {                                              \
			kprintf("    %s = %llu (0x%llx), %s = %llu (0x%llx)\n", \
				#a, _a, _a, #b, _b, _b);                     \
			ktest_fail(__FILE__, __LINE__, #a " == " #b);        \
			return;                                              \
		}                                                            \
	} while (0)

/* Runs the selected tests and leaves the machine. */
__noreturn void ktest_main(const char *filter);
/* Deliberately crash the kernel (fault-report tests). */
void crashtest(const char *kind);
