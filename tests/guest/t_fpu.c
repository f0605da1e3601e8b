/* User x87/SSE state across thread switches (kernel/arch/x86_64/fpu.c:
 * saved and loaded on every switch between user threads, XSAVEOPT or
 * FXSAVE). Each thread fills all 16 XMM registers, an x87 register, the
 * x87 control word and MXCSR with its own values, yields many times (the
 * others run in between, on other CPUs too when they are moved), and then
 * finds every value as it left it. */
#include <string.h>

#include "gtest.h"
#include "gutil.h"

#define XMM_WORDS 32 /* 16 registers of 2 x 64 bits */

struct fpu_img {
	uint64_t xmm[XMM_WORDS];
	double x87;
	uint16_t fcw;
	uint32_t mxcsr;
};

static void make_img(struct fpu_img *f, uint64_t seed)
{
	for (int i = 0; i < XMM_WORDS; i++)
		f->xmm[i] = (seed + (uint64_t)i) * 0x9e3779b97f4a7c15ull;
	f->x87 = (double)seed + 0.25;
	/* Precision 53 bits / 64 bits, rounding down / up: not the
	 * defaults (0x37f, 0x1f80), different per seed. */
	f->fcw = seed & 1 ? 0x27f : 0x37f | (1u << 10);
	f->mxcsr = seed & 1 ? 0x3f80 : 0x5f80;
}

/* Loads `in`, makes n yield calls, stores the registers into `out`, then
 * puts the default control words back for the C code around. All in one
 * asm statement: the compiler must not use the XMM registers between. */
static void hold_and_yield(const struct fpu_img *in, struct fpu_img *out,
			   unsigned long n)
{
	static const uint16_t fcw0 = 0x37f;
	static const uint32_t mxcsr0 = 0x1f80;
	__asm__ volatile(
		"movdqu 0(%[in]), %%xmm0\n\tmovdqu 16(%[in]), %%xmm1\n\t"
		"movdqu 32(%[in]), %%xmm2\n\tmovdqu 48(%[in]), %%xmm3\n\t"
		"movdqu 64(%[in]), %%xmm4\n\tmovdqu 80(%[in]), %%xmm5\n\t"
		"movdqu 96(%[in]), %%xmm6\n\tmovdqu 112(%[in]), %%xmm7\n\t"
		"movdqu 128(%[in]), %%xmm8\n\tmovdqu 144(%[in]), %%xmm9\n\t"
		"movdqu 160(%[in]), %%xmm10\n\tmovdqu 176(%[in]), %%xmm11\n\t"
		"movdqu 192(%[in]), %%xmm12\n\tmovdqu 208(%[in]), %%xmm13\n\t"
		"movdqu 224(%[in]), %%xmm14\n\tmovdqu 240(%[in]), %%xmm15\n\t"
		"fldcw %[fcw]\n\tldmxcsr %[mx]\n\tfldl %[x]\n\t"
		"1: movl %[nr], %%eax\n\tsyscall\n\tdec %[n]\n\tjnz 1b\n\t"
		"fstpl %[ox]\n\tfnstcw %[ofcw]\n\tstmxcsr %[omx]\n\t"
		"fldcw %[fcw0]\n\tldmxcsr %[mx0]\n\t"
		"movdqu %%xmm0, 0(%[out])\n\tmovdqu %%xmm1, 16(%[out])\n\t"
		"movdqu %%xmm2, 32(%[out])\n\tmovdqu %%xmm3, 48(%[out])\n\t"
		"movdqu %%xmm4, 64(%[out])\n\tmovdqu %%xmm5, 80(%[out])\n\t"
		"movdqu %%xmm6, 96(%[out])\n\tmovdqu %%xmm7, 112(%[out])\n\t"
		"movdqu %%xmm8, 128(%[out])\n\tmovdqu %%xmm9, 144(%[out])\n\t"
		"movdqu %%xmm10, 160(%[out])\n\tmovdqu %%xmm11, 176(%[out])\n\t"
		"movdqu %%xmm12, 192(%[out])\n\tmovdqu %%xmm13, 208(%[out])\n\t"
		"movdqu %%xmm14, 224(%[out])\n\tmovdqu %%xmm15, 240(%[out])"
		: [n] "+r"(n), [ox] "=m"(out->x87), [ofcw] "=m"(out->fcw),
		  [omx] "=m"(out->mxcsr)
		: [in] "r"(in->xmm), [out] "r"(out->xmm), [fcw] "m"(in->fcw),
		  [mx] "m"(in->mxcsr), [x] "m"(in->x87), [fcw0] "m"(fcw0),
		  [mx0] "m"(mxcsr0), [nr] "i"(SYS_YIELD)
		: "rax", "rcx", "r11", "memory", "xmm0", "xmm1", "xmm2", "xmm3",
		  "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",
		  "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "st");
}

/* 0 when everything came back, else 1 + the first differing word. */
static int64_t img_diff(const struct fpu_img *a, const struct fpu_img *b)
{
	for (int i = 0; i < XMM_WORDS; i++)
		if (a->xmm[i] != b->xmm[i])
			return 1 + i;
	if (a->x87 != b->x87)
		return 100;
	if (a->fcw != b->fcw)
		return 101;
	if (a->mxcsr != b->mxcsr)
		return 102;
	return 0;
}

#define YIELDS 3000ul

static int64_t holder(uint64_t seed)
{
	struct fpu_img in, out;
	make_img(&in, seed);
	memset(&out, 0, sizeof(out));
	hold_and_yield(&in, &out, YIELDS);
	return img_diff(&in, &out);
}

/* A new thread starts with all exceptions masked, round to nearest. */
static int64_t read_controls(uint64_t arg)
{
	(void)arg;
	uint16_t fcw;
	uint32_t mxcsr;
	__asm__ volatile("fnstcw %0\n\tstmxcsr %1" : "=m"(fcw), "=m"(mxcsr));
	return (int64_t)fcw << 32 | mxcsr;
}

GTEST(fpu_new_thread_default_state)
{
	struct gthread t;
	int64_t st = 0;
	GCHECK_ERR(gthread_start(&t, read_controls, 0), 0);
	GCHECK_ERR(gthread_join(&t, DEADLINE_NONE, &st), 0);
	GCHECK_EQ(st >> 32, 0x37f);
	GCHECK_EQ(st & 0xffffffff, 0x1f80);
}

/* Three threads with different register contents yielding to each other
 * on this CPU. */
GTEST(fpu_state_survives_switches)
{
	struct gthread t[2];
	int64_t st[2] = {-1, -1};
	for (int i = 0; i < 2; i++)
		GCHECK_ERR(gthread_start(&t[i], holder, 11 + i), 0);
	int64_t mine = holder(7);
	long jr[2];
	for (int i = 0; i < 2; i++)
		jr[i] = gthread_join(&t[i], DEADLINE_NONE, &st[i]);
	GCHECK_ERR(jr[0], 0);
	GCHECK_ERR(jr[1], 0);
	GCHECK_EQ(mine, 0);
	GCHECK_EQ(st[0], 0);
	GCHECK_EQ(st[1], 0);
}

/* The same while this thread moves the holders between CPUs (each move
 * switches a holder out on one CPU and in on another). */
GTEST(fpu_state_survives_migration)
{
	unsigned n = g_ncpus();
	if (n < 2) {
		printf("    (one CPU: nothing to migrate to)\n");
		return;
	}
	struct gthread t[3];
	int64_t st[3] = {-1, -1, -1};
	for (int i = 0; i < 3; i++)
		GCHECK_ERR(gthread_start(&t[i], holder, 21 + i), 0);
	unsigned moves = 0;
	for (unsigned r = 0; r < 60; r++)
		for (int i = 0; i < 3; i++)
			if (sys_sched_affinity(g_sched(), t[i].h,
					       1ull << ((r + i) % n)) == 0)
				moves++;
	long jr[3];
	for (int i = 0; i < 3; i++) {
		sys_sched_affinity(g_sched(), t[i].h, ~0ull >> (64 - n));
		jr[i] = gthread_join(&t[i], DEADLINE_NONE, &st[i]);
	}
	for (int i = 0; i < 3; i++) {
		GCHECK_ERR(jr[i], 0);
		GCHECK_EQ(st[i], 0);
	}
	printf("    %u affinity moves while 3 threads held their registers\n",
	       moves);
	GCHECK(moves > 0);
}
