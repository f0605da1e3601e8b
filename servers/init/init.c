/* init: the root task of a normal boot. For now it proves user space works
 * (console, memory, the clock, kernel statistics), shows the scheduler at
 * work with one timeline-inspect report, and exits; it will start the
 * servers and the shell once they exist. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <execrt/cpio.h>
#include <execrt/runtime.h>
#include <execrt/spawn.h>
#include <execrt/sys.h>

#define MS 1000000ull

/* One timeline-inspect report, if the initrd has the program: it gets
 * the console and the telemetry handle, nothing else. */
static void inspect(const struct start_info *si)
{
	handle_t initrd = si->handles[START_H_INITRD];
	uint64_t size = 0;
	if (!si->handles[START_H_TELEMETRY] ||
	    sys_vmo_get_size(initrd, &size) < 0)
		return;
	void *buf = malloc(size);
	struct cpio_file f;
	if (!buf || sys_vmo_read(initrd, buf, 0, size) < 0 ||
	    cpio_find(buf, size, "bin/timeline-inspect", &f) != CPIO_OK) {
		free(buf);
		return;
	}
	struct execrt_spawn_args a = {
		.image = f.data,
		.image_len = f.size,
		.cmdline = "timeline-inspect --interval 200 --timeline 16",
		.quota = 8ull << 20};
	a.give[START_H_CONSOLE] = si->handles[START_H_CONSOLE];
	a.give[START_H_TELEMETRY] = si->handles[START_H_TELEMETRY];
	struct execrt_child c;
	long r = execrt_spawn_create("timeline-inspect", a.quota, &c);
	if (r == 0) {
		r = execrt_spawn_start(&c, &a, NULL);
		int64_t st = 0;
		if (r == 0)
			r = sys_object_wait(c.task, sys_clock_now() + 5000 * MS,
					    &st);
		execrt_spawn_abort(&c); /* ends it if it is still running */
	}
	if (r < 0)
		printf("init: timeline-inspect: %s\n", err_name(r));
	free(buf);
}

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
	inspect(si);
	printf("init: nothing more to start yet; exiting\n");
	return 0;
}
