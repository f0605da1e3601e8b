#include "harness.h"

#include <stdlib.h>
#include <string.h>

#define MAX_TESTS 1024

static struct {
	const char *name, *file;
	test_fn fn;
} tests[MAX_TESTS];
static int ntests;
static int cur_failed;

void harness_register(const char *name, const char *file, test_fn fn)
{
	if (ntests == MAX_TESTS) {
		fprintf(stderr, "harness: too many tests\n");
		exit(2);
	}
	tests[ntests].name = name;
	tests[ntests].file = file;
	tests[ntests].fn = fn;
	ntests++;
}

void harness_fail(const char *file, int line, const char *expr)
{
	fprintf(stderr, "    %s:%d: CHECK(%s) failed\n", file, line, expr);
	cur_failed = 1;
}

int main(int argc, char **argv)
{
	int passed = 0, failed = 0;
	for (int i = 0; i < ntests; i++) {
		if (argc > 1 && !strstr(tests[i].name, argv[1]) &&
		    !strstr(tests[i].file, argv[1]))
			continue;
		cur_failed = 0;
		tests[i].fn();
		printf("%s %s\n", cur_failed ? "FAIL" : "ok  ", tests[i].name);
		if (cur_failed)
			failed++;
		else
			passed++;
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
