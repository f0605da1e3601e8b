/* gfxtest: in-guest checks of compositord, copperd and blitterd (see
 * gfxtest.h). Each mode prints one line per check and a last line
 * "gfxtest: <mode>: N ok, M failed"; the exit status is 0 only when
 * nothing failed. */
#include "gfxtest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <execrt/sys.h>

uint64_t gt_now(void)
{
	long t = sys_clock_now();
	return t < 0 ? 0 : (uint64_t)t;
}

static int usage(void)
{
	printf("usage: gfxtest errors | blit | scene [--hold MS] | "
	       "bench-set N | bench-comp alpha4|pixel4|sprite N | hog S | flood S\n");
	return 2;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	if (!strcmp(argv[1], "errors"))
		return gt_errors();
	if (!strcmp(argv[1], "blit"))
		return gt_blit();
	uint32_t n = argc > 2 ? (uint32_t)strtoul(argv[argc - 1], NULL, 10) : 0;
	if (!strcmp(argv[1], "bench-set") && argc == 3 && n)
		return gt_bench_set(n);
	if (!strcmp(argv[1], "bench-comp") && argc == 4 && n)
		return gt_bench_comp(argv[2], n);
	if (!strcmp(argv[1], "hog") && argc == 3 && n)
		return gt_hog(n);
	if (!strcmp(argv[1], "flood") && argc == 3 && n)
		return gt_flood(n);
	if (!strcmp(argv[1], "scene")) {
		uint32_t hold = 3000;
		if (argc == 4 && !strcmp(argv[2], "--hold"))
			hold = (uint32_t)strtoul(argv[3], NULL, 10);
		else if (argc != 2)
			return usage();
		return gt_scene(hold);
	}
	return usage();
}
