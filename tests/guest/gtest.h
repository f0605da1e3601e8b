/* Guest test harness: tests run inside exec-rt as the root task (test mode).
 * GTEST(name) registers a test through a constructor; main.c runs them (or
 * those whose name contains argv[1]) and prints "N passed, N failed". Every
 * test is leak-checked by the harness: the kernel's object, task, thread,
 * slab and frame counters must come back to where they were. */
#pragma once
#include <stdint.h>
#include <stdio.h>

#include <execrt/runtime.h>

typedef void (*gtest_fn)(void);
void gtest_register(const char *name, const char *file, gtest_fn fn);
void gtest_fail(const char *file, int line, const char *expr);
/* This test may leave frames / slab objects behind that belong to the root
 * task itself (its page tables, its grown handle table). Objects, tasks and
 * threads are still checked exactly. */
void gtest_allow_growth(void);
/* Runs the tests whose name contains one of the comma-separated words of
 * filter (NULL: all); 0 if all passed. */
int gtest_run(const char *filter);

#define GTEST(name)                                                            \
	static void name(void);                                                \
	__attribute__((constructor)) static void gtest_reg_##name(void)        \
	{                                                                      \
		gtest_register(#name, __FILE__, name);                         \
	}                                                                      \
	static void name(void)

/* A failed check fails the test and returns from it. */
#define GCHECK(cond)                                                           \
	do {                                                                   \
		if (!(cond)) {                                                 \
			gtest_fail(__FILE__, __LINE__, #cond);                 \
			return;                                                \
		}                                                              \
	} while (0)

#define GCHECK_EQ(a, b)                                                        \
	do {                                                                   \
		long long _a = (long long)(a), _b = (long long)(b);            \
		if (_a != _b) {                                                \
			printf("    %s = %lld (%#llx), %s = %lld (%#llx)\n",   \
			       #a, _a, (unsigned long long)_a, #b, _b,         \
			       (unsigned long long)_b);                        \
			gtest_fail(__FILE__, __LINE__, #a " == " #b);          \
			return;                                                \
		}                                                              \
	} while (0)

/* A system call's result: shows the error's name on a mismatch. */
#define GCHECK_ERR(call, want)                                                 \
	do {                                                                   \
		long _r = (long)(call), _w = (long)(want);                     \
		if (_r != _w) {                                                \
			printf("    got %ld (%s), want %ld (%s)\n", _r,        \
			       err_name(_r), _w, err_name(_w));                \
			gtest_fail(__FILE__, __LINE__, #call);                 \
			return;                                                \
		}                                                              \
	} while (0)

#define GCHECK_OK(call) GCHECK_ERR(call, 0)
