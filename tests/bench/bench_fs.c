/* File-server figures (docs/fsd.md, issue 13): reading a 1 MiB /tmp file
 * through fsd's bulk window (one call, and four 256 KiB calls), each with
 * the copy from the window into the caller's buffer that read() makes,
 * against the goal's reference: mapping a 1 MiB grant, copying it and
 * unmapping; and the latency of a 4 KiB read (bulk), a 3 KiB inline read
 * and a stat. fsd runs as a child task on a port this program made
 * (`fsd --port`), so no name service is needed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <execrt/fs_proto.h>
#include <execrt/sys.h>

#include "../guest/gutil.h"
#include "bench.h"

#define RUNS  15
#define MIB   (1u << 20)
#define QUART (256u << 10)

static handle_t file, conn;
static uint8_t *win, *user;
static uint64_t slot;
static long errors;
static uint8_t ans[PORT_MSG_MAX];
static struct port_rx rx;

/* One call with no inline data; the answer's val (or errors++). */
static uint64_t call(handle_t ep, uint32_t op, uint32_t flags, uint64_t a,
		     uint64_t b, uint64_t c, const char *path, handle_t *got)
{
	uint8_t msg[sizeof(struct fs_req) + 64];
	struct fs_req q = {.op = op, .flags = flags, .a = a, .b = b, .c = c};
	q.path_len = path ? (uint16_t)strlen(path) : 0;
	memcpy(msg, &q, sizeof(q));
	if (path)
		memcpy(msg + sizeof(q), path, q.path_len);
	handle_t h[PORT_HANDLES_MAX];
	struct port_msg m = {.data = msg, .len = sizeof(q) + q.path_len};
	rx = (struct port_rx){.buf = ans,
			      .cap = sizeof(ans),
			      .handles = h,
			      .hcap = PORT_HANDLES_MAX};
	struct fs_resp r;
	if (sys_port_call(ep, &m, &rx, DEADLINE_NONE) < 0 ||
	    rx.len < sizeof(r)) {
		errors++;
		return 0;
	}
	memcpy(&r, ans, sizeof(r));
	if (r.err)
		errors++;
	if (got)
		*got = rx.nhandles ? h[0] : HANDLE_INVALID;
	return r.val;
}

static void read_1m_one_call(unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (call(file, FS_PREAD, FS_IO_BULK, 0, slot, MIB, NULL,
			 NULL) != MIB)
			errors++;
		memcpy(user, win, MIB);
	}
}

static void read_1m_quarters(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		for (uint32_t o = 0; o < MIB; o += QUART) {
			call(file, FS_PREAD, FS_IO_BULK, o, slot, QUART, NULL,
			     NULL);
			memcpy(user + o, win, QUART);
		}
}

static handle_t ref_grant;

static void grant_map_copy(unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		uint64_t a = 0;
		if (sys_grant_map(g_self(), ref_grant, VM_PROT_READ, 0, &a) <
		    0) {
			errors++;
			continue;
		}
		memcpy(user, (void *)a, MIB);
		sys_grant_unmap(g_self(), a);
	}
}

static void read_4k_bulk(unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		uint64_t off = (uint64_t)(i % 256) * 4096;
		call(file, FS_PREAD, FS_IO_BULK, off, slot, 4096, NULL, NULL);
		memcpy(user, win, 4096);
	}
}

static void read_3k_inline(unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		call(file, FS_PREAD, 0, (uint64_t)(i % 256) * 4096, 0, 3072,
		     NULL, NULL);
		memcpy(user, ans + sizeof(struct fs_resp), 3072);
	}
}

static void stat_path(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		call(conn, FS_STAT, 0, 0, 0, 0, "/tmp/bench", NULL);
}

/* Median of RUNS batches, cycles per operation. */
static uint64_t run(const char *name, unsigned iters, void (*fn)(unsigned))
{
	uint64_t per[RUNS];
	fn(iters / 4 + 1);
	for (int b = 0; b < RUNS; b++) {
		uint64_t t0 = bench_rdtsc();
		fn(iters);
		per[b] = (bench_rdtsc() - t0) / iters;
	}
	qsort(per, RUNS, sizeof(per[0]), bench_cmp_u64);
	printf("bench: %-34s median %8llu  min %8llu  max %8llu cycles/op\n",
	       name, (unsigned long long)per[RUNS / 2],
	       (unsigned long long)per[0], (unsigned long long)per[RUNS - 1]);
	return per[RUNS / 2];
}

static long start(struct child *c, handle_t *pub)
{
	handle_t r;
	long e = sys_port_create(0, &r, pub);
	if (e < 0)
		return e;
	e = g_spawn_ex("fsd", "--port @ --tmp-size 4M", 16ull << 20, 0, r,
		       RIGHT_SAME, c);
	if (e < 0) {
		sys_handle_close(r);
		sys_handle_close(*pub);
	}
	return e;
}

void fs_benches(void)
{
	struct child c;
	handle_t pub, grant = HANDLE_INVALID;
	if (g_initrd_load() < 0 || start(&c, &pub) < 0) {
		printf("bench: file-server figures skipped (no fsd)\n");
		return;
	}
	user = g_map(MIB);
	conn = HANDLE_INVALID;
	call(pub, FS_CONNECT, 0, FS_PROTO_VERSION, 0, 0, NULL, &conn);
	if (conn)
		call(conn, FS_OPEN, FS_O_READ | FS_O_WRITE | FS_O_CREATE, 0644,
		     0, 0, "/tmp/bench", &file);
	if (file)
		slot = call(file, FS_BULK_SETUP, 0, 0, 0, MIB, NULL, &grant);
	uint64_t a = 0;
	if (!user || !file || errors ||
	    sys_grant_map(g_self(), grant, VM_PROT_READ | VM_PROT_WRITE, 0,
			  &a) < 0 ||
	    sys_grant_create(g_self(), 0, MIB, VM_PROT_READ, &ref_grant) < 0) {
		printf("bench: file-server figures skipped (set-up failed)\n");
		goto out;
	}
	win = (uint8_t *)a;
	for (uint32_t i = 0; i < MIB; i++)
		win[i] = (uint8_t)(i * 7);
	call(file, FS_PWRITE, FS_IO_BULK, 0, slot, MIB, NULL, NULL);
	uint64_t one =
		run("fsd read 1 MiB, 1 bulk call + copy", 20, read_1m_one_call);
	run("fsd read 1 MiB, 4 x 256 KiB + copy", 20, read_1m_quarters);
	uint64_t ref =
		run("grant map + copy + unmap, 1 MiB", 20, grant_map_copy);
	if (ref)
		printf("bench: fsd 1 MiB read / grant map + copy: %llu.%02llu "
		       "(goal <= 2)\n",
		       (unsigned long long)(one / ref),
		       (unsigned long long)(one * 100 / ref % 100));
	run("fsd read 4 KiB (bulk) latency", 500, read_4k_bulk);
	run("fsd read 3 KiB (inline) latency", 500, read_3k_inline);
	run("fsd stat (path) latency", 500, stat_path);
	if (errors)
		printf("bench: WARNING: %ld fsd calls failed; the figures "
		       "above "
		       "are not valid\n",
		       errors);
	sys_grant_unmap(g_self(), a);
	sys_handle_close(ref_grant);
out:
	if (grant)
		sys_handle_close(grant);
	if (file)
		sys_handle_close(file);
	if (conn)
		sys_handle_close(conn);
	sys_handle_close(pub);
	sys_task_kill(c.task, 0);
	g_reap(&c, 1000 * MS, NULL);
	if (user)
		g_unmap(user, MIB);
}
