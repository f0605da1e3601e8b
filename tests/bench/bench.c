/* exec-rt benchmarks, run as the root task (`make bench`). Each figure is
 * the median over BATCHES batches of TSC cycles per operation (rdtsc in
 * user mode), printed, never asserted. Under `-icount shift=0` the TSC
 * counts guest instructions, so those figures repeat exactly. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <execrt/sys.h>

#include "../guest/gutil.h"

#define BATCHES 15

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Runs fn(iters) BATCHES times; prints min / median / max per operation. */
static void bench(const char *name, unsigned iters, void (*fn)(unsigned))
{
	uint64_t per[BATCHES];
	fn(iters / 10 + 1); /* warm caches and allocators */
	for (int b = 0; b < BATCHES; b++) {
		uint64_t t0 = rdtsc();
		fn(iters);
		per[b] = (rdtsc() - t0) / iters;
	}
	qsort(per, BATCHES, sizeof(per[0]), cmp_u64);
	printf("bench: %-34s median %8llu  min %8llu  max %8llu cycles/op\n",
	       name, (unsigned long long)per[BATCHES / 2],
	       (unsigned long long)per[0],
	       (unsigned long long)per[BATCHES - 1]);
}

static void null_syscall(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		sys_clock_now();
}

static void bad_handle(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		sys_handle_close(0x7fff0000u); /* full decode, error path */
}

static volatile int stop;

static int64_t yielder(uint64_t arg)
{
	(void)arg;
	while (!stop)
		sys_yield();
	return 0;
}

/* Two threads of equal priority yielding to each other: each yield is a
 * system call plus one context switch. */
static void yield_pingpong(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		sys_yield();
}

static void vmo_create_close(unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		handle_t v;
		if (sys_vmo_create(PAGE, &v) == 0)
			sys_handle_close(v);
	}
}

static void map_unmap_1m(unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		struct vm_map_req req = {.len = 1 << 20,
					 .prot = VM_PROT_READ | VM_PROT_WRITE};
		uint64_t a;
		if (sys_vm_map(g_self(), HANDLE_INVALID, &req, &a) == 0)
			sys_vm_unmap(g_self(), a, 1 << 20);
	}
}

static int64_t nothing(uint64_t arg)
{
	return (int64_t)arg;
}

static void thread_start_join(unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		struct gthread t;
		if (gthread_start(&t, nothing, i) == 0)
			gthread_join(&t, DEADLINE_NONE, NULL);
	}
}

int main(void)
{
	printf("bench: exec-rt micro-benchmarks (TSC cycles per operation, "
	       "median of %d batches)\n",
	       BATCHES);
	bench("null system call (clock_now)", 20000, null_syscall);
	bench("system call, bad handle", 20000, bad_handle);
	struct gthread other;
	stop = 0;
	if (gthread_start(&other, yielder, 0) == 0) {
		bench("yield ping-pong (switch + syscall)", 5000,
		      yield_pingpong);
		stop = 1;
		gthread_join(&other, DEADLINE_NONE, NULL);
	}
	bench("vmo create + close", 2000, vmo_create_close);
	bench("anonymous map + unmap, 1 MiB", 100, map_unmap_1m);
	bench("thread create + start + join", 200, thread_start_join);
	printf("bench: done\n");
	return 0;
}
