/* init: the root task of a normal boot. For now it proves user space works
 * (console, memory, the clock, kernel statistics) and reports; it will
 * start the servers and the shell once they exist. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <execrt/runtime.h>
#include <execrt/sys.h>

int main(int argc, char **argv)
{
	const struct start_info *si = execrt_start_info();
	printf("init: exec-rt user space is up (%s, %d argument%s)\n", argv[0],
	       argc - 1, argc == 2 ? "" : "s");
	if (!si) {
		printf("init: no start info\n");
		return 1;
	}
	struct kernel_stats ks;
	long err = sys_kernel_stats(si->handles[START_H_SYSINFO], &ks);
	if (err < 0) {
		printf("init: kernel_stats: %s\n", err_name(err));
		return 1;
	}
	printf("init: %llu CPUs, %llu of %llu MiB free, %llu tasks, %llu "
	       "threads, memory quota %llu MiB\n",
	       (unsigned long long)ks.cpus_online,
	       (unsigned long long)(ks.frames_free >> 8),
	       (unsigned long long)(ks.frames_total >> 8),
	       (unsigned long long)ks.tasks, (unsigned long long)ks.threads,
	       (unsigned long long)(si->mem_quota >> 20));
	char *buf = malloc(1 << 20);
	if (!buf) {
		perror("init: malloc");
		return 1;
	}
	memset(buf, 0x5a, 1 << 20);
	free(buf);
	printf("init: nothing more to start yet; exiting\n");
	return 0;
}
