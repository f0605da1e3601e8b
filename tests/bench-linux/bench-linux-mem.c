/* Linux references for exec-rt's file-server and pager figures
 * (tests/bench/bench_fs.c, bench_vm.c): reading a 1 MiB file and a 4 KiB
 * piece of it from the page cache (the initramfs root is a RAM file
 * system, as fsd's /tmp is), and the first touch of anonymous memory per
 * 4 KiB page. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lbench.h"

#define FAULT_PAGES 256

static int file_fd;
static char *buf;

/* As fsd's "read 1 MiB, 1 bulk call + copy": one read into a buffer. */
static void read_1m(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (pread(file_fd, buf, MIB, 0) != (ssize_t)MIB)
			errors++;
}

static void read_4k(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (pread(file_fd, buf, 4096, (off_t)(i % 256) * 4096) != 4096)
			errors++;
}

static void stat_path(unsigned n)
{
	struct stat st;
	for (unsigned i = 0; i < n; i++)
		if (stat("/bench-file", &st))
			errors++;
}

void file_benches(void)
{
	file_fd = open("/bench-file", O_RDWR | O_CREAT | O_TRUNC, 0644);
	buf = malloc(MIB);
	if (file_fd < 0 || !buf) {
		errors++;
		return;
	}
	for (uint32_t i = 0; i < MIB; i++)
		buf[i] = (char)(i * 7);
	if (write(file_fd, buf, MIB) != (ssize_t)MIB) {
		errors++;
		return;
	}
	bench("file_read_1m", 20, read_1m);
	bench("file_pread_4k", 500, read_4k);
	bench("file_stat", 500, stat_path);
	close(file_fd);
	unlink("/bench-file");
	free(buf);
}

/* Cycles per page for touching FAULT_PAGES fresh anonymous pages (one
 * fault each: no MAP_POPULATE, transparent huge pages off for the range),
 * the map and unmap outside the timing. One "operation" of bench() is a
 * whole run; the figure printed is per page. */
static uint64_t per_page[64];
static unsigned runs;

static inline uint64_t tsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

void fault_bench(void)
{
	size_t len = (size_t)FAULT_PAGES * 4096;
	for (runs = 0; runs < 16; runs++) {
		char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			errors++;
			return;
		}
		madvise(p, len, MADV_NOHUGEPAGE);
		uint64_t t0 = tsc();
		for (size_t i = 0; i < len; i += 4096)
			((volatile char *)p)[i] = 1;
		per_page[runs] = (tsc() - t0) / FAULT_PAGES;
		munmap(p, len);
	}
	/* The first run warms up, as bench() does. */
	qsort(per_page + 1, runs - 1, sizeof(per_page[0]), cmp);
	unsigned n = runs - 1;
	printf("lbench: %-24s median %9llu  min %9llu  max %9llu cycles/op\n",
	       "anon_fault_page", (unsigned long long)per_page[1 + n / 2],
	       (unsigned long long)per_page[1],
	       (unsigned long long)per_page[n]);
	fflush(stdout);
}
