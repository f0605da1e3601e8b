/* Minimal host unit-test harness. Tests register themselves; the runner
 * (harness.c) runs all (or those matching argv[1]) and prints
 * "N passed, N failed". Built with ASan+UBSan. */
#pragma once
#include <setjmp.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

typedef void (*test_fn)(void);
void harness_register(const char *name, const char *file, test_fn fn);
void harness_fail(const char *file, int line, const char *expr);
/* Redirect arch_console_write into a buffer (for log tests); NULL: stdout. */
void harness_capture_console(char *buf, size_t len, size_t *used);
/* Fresh pmm + slab over an arena (fixture_mm.c); 0 on success. */
int host_mm_setup(void);

#define TEST(name)                                                           \
	static void name(void);                                              \
	__attribute__((constructor)) static void harness_reg_##name(void)    \
	{                                                                    \
		harness_register(#name, __FILE__, name);                     \
	}                                                                    \
	static void name(void)

/* A failed CHECK fails the test and returns from it. */
#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond)) {                                               \
			harness_fail(__FILE__, __LINE__, #cond);             \
			return;                                              \
		}                                                            \
	} while (0)

#define CHECK_EQ(a, b)                                                       \
	do {                                                                 \
		long long _a = (long long)(a), _b = (long long)(b);          \
		if (_a != _b) {                                              \
			fprintf(stderr, "    %s = %lld, %s = %lld\n", #a, _a,    \
				#b, _b);                                     \
			harness_fail(__FILE__, __LINE__, #a " == " #b);      \
			return;                                              \
		}                                                            \
	} while (0)

/* Two C strings equal; both printed when not. */
#define STR_EQ(got, want)                                                    \
	do {                                                                 \
		const char *_g = (got), *_w = (want);                        \
		if (strcmp(_g, _w)) {                                        \
			fprintf(stderr, "    got  \"%s\"\n    want \"%s\"\n", \
				_g, _w);                                     \
			harness_fail(__FILE__, __LINE__, #got " == " #want); \
			return;                                              \
		}                                                            \
	} while (0)

/* The kernel's panic() ends in arch_exit(false); stubs.c longjmps back when
 * a test armed host_panic_jmp. PANICS(stmt) is true if stmt panicked. */
extern jmp_buf *host_panic_jmp;
#define PANICS(stmt)                                                         \
	({                                                                   \
		jmp_buf _jb;                                                 \
		volatile bool _p = false;                                    \
		if (setjmp(_jb))                                             \
			_p = true;                                           \
		else {                                                       \
			host_panic_jmp = &_jb;                               \
			stmt;                                                \
		}                                                            \
		host_panic_jmp = NULL;                                       \
		_p;                                                          \
	})
