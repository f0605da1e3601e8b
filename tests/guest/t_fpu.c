/* User x87/SSE/AVX state across thread switches (kernel/arch/x86_64/fpu.c:
 * saved and loaded on every switch between user threads, XSAVEOPT or
 * FXSAVE). Each thread fills all 16 XMM registers, an x87 register, the
 * x87 control word and MXCSR with its own values, yields many times (the
 * others run in between, on other CPUs too when they are moved), and then
 * finds every value as it left it. The same for all 16 YMM registers,
 * upper halves included, when the kernel has turned AVX on. */
#include <cpuid.h>
#include <stdbool.h>
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

/* ---- AVX (YMM) ---- */

#define CPUID1_XSAVE   (1u << 26)
#define CPUID1_OSXSAVE (1u << 27)
#define CPUID1_AVX     (1u << 28)

static uint32_t cpuid1_ecx(void)
{
	unsigned a, b, c, d;
	return __get_cpuid(1, &a, &b, &c, &d) ? c : 0;
}

static uint64_t xgetbv0(void)
{
	uint32_t lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return (uint64_t)hi << 32 | lo;
}

/* What user code checks before using AVX: OSXSAVE, AVX, XCR0 bits 1-2. */
static bool avx_usable(void)
{
	uint32_t c = cpuid1_ecx();
	if (!(c & CPUID1_OSXSAVE) || !(c & CPUID1_AVX))
		return false;
	return (xgetbv0() & 6) == 6;
}

/* A CPU with XSAVE and AVX (-cpu max) gets x87, SSE and AVX in XCR0, and
 * CPUID shows OSXSAVE so user code may ask. Booting with fpu=noavx or
 * fpu=fxsave makes this fail, as it should. */
GTEST(fpu_xgetbv_shows_avx)
{
	uint32_t c = cpuid1_ecx();
	if (!(c & CPUID1_XSAVE) || !(c & CPUID1_AVX)) {
		printf("    (CPUID: no XSAVE or no AVX, ecx %#x: nothing to "
		       "enable)\n",
		       c);
		return;
	}
	GCHECK(c & CPUID1_OSXSAVE);
	uint64_t xcr0 = xgetbv0();
	printf("    XCR0 %#llx\n", (unsigned long long)xcr0);
	GCHECK_EQ(xcr0 & 7, 7);
}

#define YMM_WORDS 64 /* 16 registers of 4 x 64 bits */

static void make_ymm(uint64_t *w, uint64_t seed)
{
	for (int i = 0; i < YMM_WORDS; i++)
		w[i] = (seed * 131 + (uint64_t)i) * 0xbf58476d1ce4e5b9ull;
}

/* Loads `in` into ymm0-15, makes n yield calls, stores them into `out`.
 * One asm statement, so the compiler puts nothing in them in between;
 * vzeroupper leaves the upper halves clean for the SSE code around. */
static void hold_ymm_and_yield(const uint64_t *in, uint64_t *out,
			       unsigned long n)
{
	__asm__ volatile(
		"vmovdqu 0(%[in]), %%ymm0\n\tvmovdqu 32(%[in]), %%ymm1\n\t"
		"vmovdqu 64(%[in]), %%ymm2\n\tvmovdqu 96(%[in]), %%ymm3\n\t"
		"vmovdqu 128(%[in]), %%ymm4\n\tvmovdqu 160(%[in]), %%ymm5\n\t"
		"vmovdqu 192(%[in]), %%ymm6\n\tvmovdqu 224(%[in]), %%ymm7\n\t"
		"vmovdqu 256(%[in]), %%ymm8\n\tvmovdqu 288(%[in]), %%ymm9\n\t"
		"vmovdqu 320(%[in]), %%ymm10\n\tvmovdqu 352(%[in]), %%ymm11\n\t"
		"vmovdqu 384(%[in]), %%ymm12\n\tvmovdqu 416(%[in]), %%ymm13\n\t"
		"vmovdqu 448(%[in]), %%ymm14\n\tvmovdqu 480(%[in]), %%ymm15\n\t"
		"1: movl %[nr], %%eax\n\tsyscall\n\tdec %[n]\n\tjnz 1b\n\t"
		"vmovdqu %%ymm0, 0(%[out])\n\tvmovdqu %%ymm1, 32(%[out])\n\t"
		"vmovdqu %%ymm2, 64(%[out])\n\tvmovdqu %%ymm3, 96(%[out])\n\t"
		"vmovdqu %%ymm4, 128(%[out])\n\tvmovdqu %%ymm5, 160(%[out])\n\t"
		"vmovdqu %%ymm6, 192(%[out])\n\tvmovdqu %%ymm7, 224(%[out])\n\t"
		"vmovdqu %%ymm8, 256(%[out])\n\tvmovdqu %%ymm9, 288(%[out])\n\t"
		"vmovdqu %%ymm10, 320(%[out])\n\tvmovdqu %%ymm11, "
		"352(%[out])\n\t"
		"vmovdqu %%ymm12, 384(%[out])\n\tvmovdqu %%ymm13, "
		"416(%[out])\n\t"
		"vmovdqu %%ymm14, 448(%[out])\n\tvmovdqu %%ymm15, "
		"480(%[out])\n\t"
		"vzeroupper"
		: [n] "+r"(n)
		: [in] "r"(in), [out] "r"(out), [nr] "i"(SYS_YIELD)
		: "rax", "rcx", "r11", "memory", "xmm0", "xmm1", "xmm2", "xmm3",
		  "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",
		  "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
}

/* 0 when all 16 YMM registers came back, else 1 + the first differing
 * 64-bit word (register = word / 4; words 2-3 of each are the upper
 * half). */
static int64_t ymm_holder(uint64_t seed)
{
	uint64_t in[YMM_WORDS], out[YMM_WORDS];
	make_ymm(in, seed);
	memset(out, 0, sizeof(out));
	hold_ymm_and_yield(in, out, YIELDS);
	for (int i = 0; i < YMM_WORDS; i++)
		if (in[i] != out[i])
			return 1 + i;
	return 0;
}

/* A new thread's upper halves start at zero (XSTATE_BV's AVX bit clear in
 * its image: XRSTOR puts the initial state). Word 1 + i differs for
 * register i / 2's upper half. */
static int64_t read_ymm_upper(uint64_t arg)
{
	(void)arg;
	uint64_t w[YMM_WORDS / 2];
	__asm__ volatile("vextractf128 $1, %%ymm0, 0(%[w])\n\t"
			 "vextractf128 $1, %%ymm1, 16(%[w])\n\t"
			 "vextractf128 $1, %%ymm2, 32(%[w])\n\t"
			 "vextractf128 $1, %%ymm3, 48(%[w])\n\t"
			 "vextractf128 $1, %%ymm4, 64(%[w])\n\t"
			 "vextractf128 $1, %%ymm5, 80(%[w])\n\t"
			 "vextractf128 $1, %%ymm6, 96(%[w])\n\t"
			 "vextractf128 $1, %%ymm7, 112(%[w])\n\t"
			 "vextractf128 $1, %%ymm8, 128(%[w])\n\t"
			 "vextractf128 $1, %%ymm9, 144(%[w])\n\t"
			 "vextractf128 $1, %%ymm10, 160(%[w])\n\t"
			 "vextractf128 $1, %%ymm11, 176(%[w])\n\t"
			 "vextractf128 $1, %%ymm12, 192(%[w])\n\t"
			 "vextractf128 $1, %%ymm13, 208(%[w])\n\t"
			 "vextractf128 $1, %%ymm14, 224(%[w])\n\t"
			 "vextractf128 $1, %%ymm15, 240(%[w])"
			 :
			 : [w] "r"(w)
			 : "memory");
	for (int i = 0; i < YMM_WORDS / 2; i++)
		if (w[i])
			return 1 + i;
	return 0;
}

#define NEED_AVX()                                                             \
	do {                                                                   \
		if (!avx_usable()) {                                           \
			printf("    (AVX not enabled: CPUID/XGETBV, "          \
			       "skipped)\n");                                  \
			return;                                                \
		}                                                              \
	} while (0)

/* This thread's upper halves are non-zero while it starts a new one; the
 * new one must not see them. */
GTEST(fpu_avx_new_thread_upper_zero)
{
	NEED_AVX();
	uint64_t junk[YMM_WORDS];
	make_ymm(junk, 5);
	__asm__ volatile("vmovdqu 0(%0), %%ymm0\n\tvmovdqu 32(%0), %%ymm1\n\t"
			 "vmovdqu 64(%0), %%ymm7\n\tvmovdqu 96(%0), %%ymm15"
			 :
			 : "r"(junk)
			 : "xmm0", "xmm1", "xmm7", "xmm15");
	struct gthread t;
	int64_t st = -1;
	long sr = gthread_start(&t, read_ymm_upper, 0);
	long jr = sr == 0 ? gthread_join(&t, DEADLINE_NONE, &st) : sr;
	__asm__ volatile("vzeroupper");
	GCHECK_ERR(sr, 0);
	GCHECK_ERR(jr, 0);
	GCHECK_EQ(st, 0);
}

/* Three threads with different YMM contents yielding to each other on
 * this CPU. */
GTEST(fpu_avx_state_survives_switches)
{
	NEED_AVX();
	struct gthread t[2];
	int64_t st[2] = {-1, -1};
	for (int i = 0; i < 2; i++)
		GCHECK_ERR(gthread_start(&t[i], ymm_holder, 31 + i), 0);
	int64_t mine = ymm_holder(37);
	long jr[2];
	for (int i = 0; i < 2; i++)
		jr[i] = gthread_join(&t[i], DEADLINE_NONE, &st[i]);
	GCHECK_ERR(jr[0], 0);
	GCHECK_ERR(jr[1], 0);
	GCHECK_EQ(mine, 0);
	GCHECK_EQ(st[0], 0);
	GCHECK_EQ(st[1], 0);
}

/* The same while the holders are moved between CPUs. */
GTEST(fpu_avx_state_survives_migration)
{
	NEED_AVX();
	unsigned n = g_ncpus();
	if (n < 2) {
		printf("    (one CPU: nothing to migrate to)\n");
		return;
	}
	struct gthread t[3];
	int64_t st[3] = {-1, -1, -1};
	for (int i = 0; i < 3; i++)
		GCHECK_ERR(gthread_start(&t[i], ymm_holder, 41 + i), 0);
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
	printf("    %u affinity moves while 3 threads held their YMM "
	       "registers\n",
	       moves);
	GCHECK(moves > 0);
}
