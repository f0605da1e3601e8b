/* The PASS/FAIL lines of the libc test programs (fstest, mmaptest): one
 * line per check, counted, so a guest test or a person at the shell sees
 * exactly which one failed and why. Header-only: each program is one
 * file. */
#pragma once
#include <errno.h>
#include <stdio.h>
#include <string.h>

static int passed, failed;

static void result(int ok, const char *what, const char *why)
{
	if (ok) {
		passed++;
		printf("PASS %s\n", what);
	} else {
		failed++;
		printf("FAIL %s: %s\n", what, why);
	}
}

/* A check with errno's text as the reason. */
#define CHECK(cond, what) result((cond) != 0, what, strerror(errno))
/* A call that must fail with errno e. */
#define FAILS(call, e, what)                                                   \
	do {                                                                   \
		errno = 0;                                                     \
		long _r = (long)(call);                                        \
		char _why[96];                                                 \
		snprintf(_why, sizeof(_why),                                   \
			 "got %ld, errno %d (%s), want %s", _r, errno,         \
			 strerror(errno), #e);                                 \
		result(_r == -1 && errno == (e), what, _why);                  \
	} while (0)
