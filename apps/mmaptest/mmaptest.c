/* mmaptest: plain mmap()/munmap() through vmgr (docs/userland.md "Memory
 * mappings"). One line per check ("PASS what" / "FAIL what: why"), then
 * "mmaptest: N passed, M failed"; the exit status is 0 only if all passed.
 * Needs its start_info's sysinfo handle (its own memory account).
 *
 *   mmaptest          with vmgr: a file of /boot/share mapped read-only
 *                     (byte for byte, at an offset, the bad cases), a
 *                     64 MiB MAP_NORESERVE region touched sparsely within
 *                     this task's small quota, munmap giving both back
 *                     (the task's mem_used and vmgr's usage)
 *   mmaptest novmgr   no vmgr: a file mapping is ENODEV, MAP_NORESERVE is
 *                     eager memory */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <execrt/runtime.h>

#include "vmgr_client.h"

#include "../fstest/ptest.h"

#define FILE_PATH "/boot/share/lines.txt"
#define PAGE	  4096ul
#define BIG	  (64ul << 20)
#define STRIDE	  (4ul << 20)
#define AHEAD	  16 /* pages vmgr supplies per fault (docs/vmgr.md) */

static char want[64 * 1024];
static size_t want_len;
#define FAILED(p) ((void *)(p) == MAP_FAILED)

/* This task's memory account: bytes charged to it (~0 if unknown). */
static uint64_t used(void)
{
	struct kernel_stats ks;
	if (sys_kernel_stats(execrt_handle(START_H_SYSINFO), &ks) < 0)
		return ~0ull;
	return ks.mem_used;
}

static uint64_t my_koid(void)
{
	struct handle_info hi;
	return sys_handle_info(execrt_handle(START_H_SELF_TASK), &hi) ? 0
								      : hi.koid;
}

static int read_file(void)
{
	int fd = open(FILE_PATH, O_RDONLY);
	if (fd < 0)
		return -1;
	ssize_t n;
	while ((n = read(fd, want + want_len, sizeof(want) - want_len)) > 0)
		want_len += (size_t)n;
	close(fd);
	return want_len > 2 * PAGE ? 0 : -1;
}

/* Every byte of the mapping (len bytes from file offset off) is the
 * file's, zeros after its end up to the page's. */
static int same_as_file(const unsigned char *p, size_t off, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char w = off + i < want_len ? want[off + i] : 0;
		if (p[i] != w) {
			printf("  byte %zu: %u, want %u\n", off + i, p[i], w);
			return 0;
		}
	}
	return 1;
}

static void file_mappings(void)
{
	CHECK(read_file() == 0, "read " FILE_PATH);
	int fd = open(FILE_PATH, O_RDONLY);
	CHECK(fd >= 0, "open " FILE_PATH);
	/* The first mapping connects the glue to vmgr (handles kept). */
	void *w = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
	CHECK(!FAILED(w) && munmap(w, PAGE) == 0, "a first mapping");
	uint64_t before = used();
	size_t rounded = (want_len + PAGE - 1) & ~(PAGE - 1);
	unsigned char *p = mmap(NULL, want_len, PROT_READ, MAP_PRIVATE, fd, 0);
	CHECK(!FAILED(p), "mmap the file, PROT_READ, MAP_PRIVATE");
	if (!FAILED(p)) {
		result(same_as_file(p, 0, rounded), "file bytes, byte for byte",
		       "differs");
		CHECK(used() > before, "its pages charged to this task");
		CHECK(munmap(p, want_len) == 0, "munmap the file mapping");
		result(used() == before, "munmap gives the pages back",
		       "mem_used not back");
	}
	/* MAP_SHARED, from the second page on. */
	p = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, (off_t)PAGE);
	CHECK(!FAILED(p), "mmap MAP_SHARED at offset 4096");
	if (!FAILED(p)) {
		result(same_as_file(p, PAGE, PAGE), "offset bytes", "differ");
		CHECK(munmap(p, PAGE) == 0, "munmap it");
	}
	/* Past the end of the file: zeros. */
	p = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, (off_t)(rounded));
	CHECK(!FAILED(p), "mmap past the end of the file");
	if (!FAILED(p)) {
		result(same_as_file(p, rounded, PAGE), "zeros past the end",
		       "not zero");
		CHECK(munmap(p, PAGE) == 0, "munmap it");
	}
	FAILS(mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0),
	      EACCES, "PROT_WRITE on a file: EACCES");
	FAILS(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 100), EINVAL,
	      "unaligned offset: EINVAL");
	FAILS(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, 40, 0), EBADF,
	      "a closed fd: EBADF");
	FAILS(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, 1, 0), ENODEV,
	      "stdout (not a file): ENODEV");
	int dfd = open("/boot", O_RDONLY | O_DIRECTORY);
	FAILS(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, dfd, 0), ENODEV,
	      "a directory: ENODEV");
	close(dfd);
	int wfd = open("/tmp/mmaptest.w", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	FAILS(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, wfd, 0), EACCES,
	      "a write-only fd: EACCES");
	close(wfd);
	unlink("/tmp/mmaptest.w");
	/* The mapping outlives the fd (vmgr holds its own). */
	p = mmap(NULL, want_len, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	CHECK(!FAILED(p), "mmap, then close the fd");
	if (!FAILED(p)) {
		result(same_as_file(p, 0, rounded), "read after close",
		       "differs");
		munmap(p, want_len);
	}
	result(used() == before, "everything given back", "mem_used not back");
}

static void lazy_memory(struct vmgr_client *vc)
{
	uint64_t koid = my_koid();
	struct vmgr_usage u0 = {0}, u1 = {0}, u2 = {0};
	CHECK(vmgr_usage_of(vc, koid, &u0) == 0, "vmgr usage of this task");
	uint64_t before = used();
	FAILS(mmap(NULL, BIG, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
	      ENOMEM, "64 MiB of eager memory: ENOMEM (small quota)");
	unsigned char *p =
		mmap(NULL, BIG, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	CHECK(!FAILED(p), "64 MiB MAP_NORESERVE");
	if (FAILED(p))
		return;
	uint64_t mapped = used();
	char why[96];
	snprintf(why, sizeof(why), "%llu bytes at mmap",
		 (unsigned long long)(mapped - before));
	/* The object's page index (8 bytes a page) only. */
	result(mapped - before <= (BIG / PAGE) * 8 + 2 * PAGE,
	       "no page committed at mmap", why);
	printf("  at mmap: %llu bytes (the object's index)\n",
	       (unsigned long long)(mapped - before));
	int ok = 1;
	for (size_t off = 0; off < BIG; off += STRIDE)
		p[off + 1] = (unsigned char)(off / STRIDE + 1);
	for (size_t off = 0; off < BIG; off += STRIDE)
		ok &= p[off] == 0 &&
		      p[off + 1] == (unsigned char)(off / STRIDE + 1) &&
		      p[off + AHEAD * PAGE - 1] == 0;
	result(ok, "sparse touches read back, the rest zeros", "wrong bytes");
	uint64_t pages = (BIG / STRIDE) * AHEAD, touched = used();
	snprintf(why, sizeof(why), "%llu bytes more, want %llu + tables",
		 (unsigned long long)(touched - mapped),
		 (unsigned long long)(pages * PAGE));
	/* The pages, and at most a page table per touched 2 MiB. */
	result(touched - mapped >= pages * PAGE &&
		       touched - mapped <= (pages + BIG / STRIDE) * PAGE,
	       "16 runs of 16 pages charged (and page tables)", why);
	printf("  after %lu touches: %llu bytes more\n", BIG / STRIDE,
	       (unsigned long long)(touched - mapped));
	CHECK(vmgr_usage_of(vc, koid, &u1) == 0, "vmgr usage again");
	snprintf(why, sizeof(why), "lazy_pages %llu -> %llu",
		 (unsigned long long)u0.lazy_pages,
		 (unsigned long long)u1.lazy_pages);
	result(u1.lazy_pages == u0.lazy_pages + pages && u1.used == touched,
	       "vmgr counts the pages it supplied", why);
	CHECK(munmap(p, BIG) == 0, "munmap the 64 MiB");
	snprintf(why, sizeof(why), "mem_used %llu, before %llu",
		 (unsigned long long)used(), (unsigned long long)before);
	result(used() == before, "munmap gives the pages back", why);
	CHECK(vmgr_usage_of(vc, koid, &u2) == 0, "vmgr usage after");
	result(u2.lazy_pages == u0.lazy_pages && u2.used == before,
	       "vmgr's usage back", "not back");
	/* munmap of a part keeps the object: the rest still reads. */
	p = mmap(NULL, 2 * AHEAD * PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	CHECK(!FAILED(p), "a second NORESERVE region");
	if (!FAILED(p)) {
		p[AHEAD * PAGE] = 7;
		CHECK(munmap(p, PAGE) == 0, "munmap its first page");
		result(p[AHEAD * PAGE] == 7 && p[AHEAD * PAGE + 1] == 0,
		       "the rest still there", "lost");
		CHECK(munmap(p, 2 * AHEAD * PAGE) == 0, "munmap all of it");
		result(used() == before, "given back", "mem_used not back");
	}
}

static void without_vmgr(void)
{
	int fd = open(FILE_PATH, O_RDONLY);
	CHECK(fd >= 0, "open " FILE_PATH);
	FAILS(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 0), ENODEV,
	      "file mapping without vmgr: ENODEV");
	close(fd);
	uint64_t before = used();
	unsigned char *p =
		mmap(NULL, 64 * PAGE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	CHECK(!FAILED(p), "MAP_NORESERVE without vmgr");
	if (FAILED(p))
		return;
	result(used() - before >= 64 * PAGE, "eager: charged at mmap",
	       "not charged");
	p[63 * PAGE] = 1;
	CHECK(munmap(p, 64 * PAGE) == 0, "munmap");
	result(used() == before, "given back", "mem_used not back");
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "novmgr")) {
		without_vmgr();
	} else {
		struct vmgr_client vc;
		long r = vmgr_client_open(&vc, DEADLINE_POLL);
		result(r == 0, "connect to vmgr", err_name(r));
		file_mappings();
		if (!r) {
			lazy_memory(&vc);
			vmgr_client_close(&vc);
		}
	}
	printf("mmaptest: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
