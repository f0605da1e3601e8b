/* The first user program: musl's stdio and malloc over exec-rt. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <execrt/runtime.h>

int main(int argc, char **argv)
{
	printf("hello from user space\n");
	for (int i = 0; i < argc; i++)
		printf("argv[%d] = \"%s\"\n", i, argv[i]);

	/* Small blocks and one big enough to get its own mapping. */
	char *small = malloc(100);
	char *big = malloc(1 << 20);
	if (!small || !big) {
		fprintf(stderr, "hello: malloc failed\n");
		return 1;
	}
	memset(big, 0xa5, 1 << 20);
	int n = snprintf(small, 100, "%s %d 0x%x %.3f", "snprintf", 42, 0xbeef,
			 3.25);
	printf("%s (%d chars), big[12345] = 0x%02x\n", small, n,
	       (unsigned char)big[12345]);
	free(big);
	free(small);

	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	const struct start_info *si = execrt_start_info();
	printf("uptime %lld.%09ld s, start_info %s\n", (long long)ts.tv_sec,
	       ts.tv_nsec, si ? "present" : "missing");
	return 0;
}
