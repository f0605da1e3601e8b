/* blitterd's row kernels (services/blitterd/blit_kern.c, blit_simd.c):
 * SSE2 and (when this CPU and OS run it) AVX2 against the scalar
 * reference, byte for byte, at many lengths, alignments and overlaps,
 * with guard bytes around every destination. */
#include <stdint.h>
#include <stdlib.h>

#include "blit_kern.h"
#include "harness.h"

#define BUF 10240

static uint8_t a[BUF + 64], b[BUF + 64];
static uint32_t rng = 12345;

static uint8_t rnd(void)
{
	rng = rng * 1103515245u + 12345u;
	return (uint8_t)(rng >> 16);
}

static void randomize(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = rnd();
}

static const struct blit_kern *const impls[] = {
#if defined(__x86_64__)
	&blit_kern_sse2,
	&blit_kern_avx2,
#endif
	NULL,
};

static bool runs(const struct blit_kern *k)
{
#if defined(__x86_64__)
	return k != &blit_kern_avx2 || blit_cpu_avx2();
#else
	return true;
#endif
}

static const size_t lens[] = {0,   1,	2,   3,	  4,   5,   7,	 8,   15,
			      16,  17,	31,  32,  33,  63,  64,	 65,  127,
			      128, 129, 255, 256, 257, 300, 511, 700, 1000};

TEST(blit_kern_fill_matches_scalar)
{
	for (int m = 0; impls[m]; m++) {
		if (!runs(impls[m]))
			continue;
		for (size_t li = 0; li < sizeof(lens) / sizeof(lens[0]); li++)
			for (size_t off = 0; off < 40; off++) {
				size_t n = lens[li];
				uint32_t px =
					0x11223344u + (uint32_t)(off * 77);
				randomize(a, sizeof(a));
				memcpy(b, a, sizeof(a));
				blit_kern_scalar.fill(a + off, n, px);
				impls[m]->fill(b + off, n, px);
				CHECK(!memcmp(a, b, sizeof(a)));
			}
	}
}

TEST(blit_kern_copy_matches_scalar_disjoint_and_overlapping)
{
	for (int m = 0; impls[m]; m++) {
		if (!runs(impls[m]))
			continue;
		for (size_t li = 0; li < sizeof(lens) / sizeof(lens[0]); li++)
			for (int so = 0; so < 40; so += 3)
				for (int shift = -70; shift <= 70; shift += 7) {
					size_t n = lens[li];
					size_t s = 1200 + (size_t)so;
					size_t d = (size_t)((long)s + shift);
					randomize(a, sizeof(a));
					memcpy(b, a, sizeof(a));
					blit_kern_scalar.copy(a + d, a + s, n);
					impls[m]->copy(b + d, b + s, n);
					CHECK(!memcmp(a, b, sizeof(a)));
				}
	}
}

TEST(blit_kern_copy_far_and_large)
{
	for (int m = 0; impls[m]; m++) {
		if (!runs(impls[m]))
			continue;
		for (size_t n = 1000; n < 2000; n += 37) {
			randomize(a, sizeof(a));
			memcpy(b, a, sizeof(a));
			blit_kern_scalar.copy(a + 5, a + 2100, n);
			impls[m]->copy(b + 5, b + 2100, n);
			CHECK(!memcmp(a, b, sizeof(a)));
			blit_kern_scalar.copy(a + 2101, a + 3, n);
			impls[m]->copy(b + 2101, b + 3, n);
			CHECK(!memcmp(a, b, sizeof(a)));
		}
	}
}

TEST(blit_kern_swap_rb_matches_scalar_and_in_place)
{
	for (int m = 0; impls[m]; m++) {
		if (!runs(impls[m]))
			continue;
		for (size_t li = 0; li < sizeof(lens) / sizeof(lens[0]); li++)
			for (size_t off = 0; off < 36; off++) {
				size_t n = lens[li];
				randomize(a, sizeof(a));
				memcpy(b, a, sizeof(a));
				/* disjoint */
				blit_kern_scalar.swap_rb(a + 5000 + off,
							 a + off, n);
				impls[m]->swap_rb(b + 5000 + off, b + off, n);
				CHECK(!memcmp(a, b, sizeof(a)));
				/* in place */
				blit_kern_scalar.swap_rb(a + off, a + off, n);
				impls[m]->swap_rb(b + off, b + off, n);
				CHECK(!memcmp(a, b, sizeof(a)));
			}
	}
}

TEST(blit_kern_scalar_reference_is_right)
{
	uint8_t p[8] = {1, 2, 3, 4, 5, 6, 7, 8}, q[8];
	blit_kern_scalar.swap_rb(q, p, 2);
	CHECK(q[0] == 3 && q[1] == 2 && q[2] == 1 && q[3] == 4);
	CHECK(q[4] == 7 && q[5] == 6 && q[6] == 5 && q[7] == 8);
	blit_kern_scalar.fill(q, 2, 0x04030201u);
	CHECK(!memcmp(q, "\1\2\3\4\1\2\3\4", 8));
	uint8_t r[6] = {1, 2, 3, 4, 5, 6};
	blit_kern_scalar.copy(r + 1, r, 5);
	CHECK(!memcmp(r, "\1\1\2\3\4\5", 6));
	blit_kern_scalar.copy(r, r + 1, 5);
	CHECK(!memcmp(r, "\1\2\3\4\5\5", 6));
}

TEST(blit_kern_pick_follows_cpuid)
{
	const struct blit_kern *k = blit_kern_pick();
#if defined(__x86_64__)
	CHECK(k == (blit_cpu_avx2() ? &blit_kern_avx2 : &blit_kern_sse2));
#else
	CHECK(k == &blit_kern_scalar);
#endif
}
