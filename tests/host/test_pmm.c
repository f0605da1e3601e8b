/* Host tests for the buddy frame allocator. "Physical memory" is a malloc'd
 * arena standing for [16 MiB, 80 MiB), reached through physmap_offset. */
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "harness.h"
#include <kern/bootinfo.h>
#include <kern/mm.h>
#include <kern/pmm.h>

#define ARENA_BASE MiB(16)
#define ARENA_SIZE MiB(64)
#define ARENA_END  (ARENA_BASE + ARENA_SIZE)
#define NFRAMES	   (ARENA_SIZE / PAGE_SIZE)

static uint8_t *arena;
static struct boot_info bi;

static void use_arena(void)
{
	if (!arena)
		arena = aligned_alloc(MiB(2), ARENA_SIZE);
	physmap_offset = (uintptr_t)arena - ARENA_BASE;
	memset(&bi, 0, sizeof(bi));
}

static void add_mem(phys_addr_t base, uint64_t len, uint32_t type)
{
	bi.mem[bi.nmem].base = base;
	bi.mem[bi.nmem].len = len;
	bi.mem[bi.nmem].type = type;
	bi.nmem++;
}

static void add_mod(phys_addr_t base, uint64_t len)
{
	bi.mods[bi.nmods].base = base;
	bi.mods[bi.nmods].len = len;
	bi.nmods++;
}

/* A PC-like map: low RAM, an EBDA hole, the kernel at 16 MiB, two modules,
 * a reserved hole in the middle of the arena. */
#define KSTART MiB(16)
#define KEND   (MiB(18) + 0x1234)
#define MOD1   (MiB(30) + 0x800)
#define MOD1E  MiB(31)
#define MOD2   MiB(40)
#define MOD2E  (MiB(40) + 3 * PAGE_SIZE)
#define HOLE   MiB(56)
#define HOLEE  MiB(60)

static void pc_map(void)
{
	use_arena();
	add_mem(0, 0x9f000, MEM_USABLE);
	add_mem(0x9f000, 0x61000, MEM_RESERVED);
	add_mem(ARENA_BASE, HOLE - ARENA_BASE, MEM_USABLE);
	add_mem(HOLE, HOLEE - HOLE, MEM_RESERVED);
	add_mem(HOLEE, ARENA_END - HOLEE, MEM_USABLE);
	bi.kernel_start = KSTART;
	bi.kernel_end = KEND;
	add_mod(MOD1, MOD1E - MOD1);
	add_mod(MOD2, MOD2E - MOD2);
}

static bool excluded(phys_addr_t pa)
{
	return pa < MiB(1) || (pa >= KSTART && pa < ALIGN_UP(KEND, 4096)) ||
	       (pa >= ALIGN_DOWN(MOD1, 4096) && pa < MOD1E) ||
	       (pa >= MOD2 && pa < MOD2E) || (pa >= HOLE && pa < HOLEE) ||
	       pa >= ARENA_END;
}

/* Frames the pc_map leaves to the allocator, metadata included. */
static uint64_t pc_expected_with_meta(void)
{
	uint64_t n = 0;
	for (phys_addr_t pa = ARENA_BASE; pa < ARENA_END; pa += PAGE_SIZE)
		n += !excluded(pa);
	return n;
}

/* Number of max-order blocks obtainable, all given back afterwards. */
static int count_max_blocks(void)
{
	static phys_addr_t got[64];
	int n = 0;
	size_t pages = 1u << PMM_MAX_ORDER;
	while (n < 64 && (got[n] = pmm_alloc_contig(pages, pages, 0)))
		n++;
	for (int i = 0; i < n; i++)
		pmm_free_contig(got[i], pages);
	return n;
}

TEST(pmm_init_rejects_empty_map)
{
	use_arena();
	add_mem(ARENA_BASE, ARENA_SIZE, MEM_RESERVED);
	CHECK(pmm_init(&bi) < 0);
	CHECK_EQ(pmm_alloc(), 0);
}

TEST(pmm_exclusions_and_counts)
{
	static uint8_t seen[NFRAMES];
	struct pmm_stats st;
	uint64_t n = 0,
		 meta_pages = ALIGN_UP(ARENA_END / PAGE_SIZE, 4096) / PAGE_SIZE;
	phys_addr_t pa;

	pc_map();
	CHECK_EQ(pmm_init(&bi), 0);
	CHECK_EQ(pmm_verify(), 0);
	pmm_get_stats(&st);
	/* One state byte per frame up to the top of RAM, nothing more. */
	CHECK_EQ(st.total_frames, pc_expected_with_meta() - meta_pages);
	CHECK_EQ(st.free_frames, st.total_frames);
	CHECK_EQ(st.used_frames, 0);
	/* Every usable frame is either managed or reserved. */
	CHECK_EQ(st.total_frames + st.reserved_frames,
		 0x9f + (HOLE - ARENA_BASE + ARENA_END - HOLEE) / PAGE_SIZE);

	memset(seen, 0, sizeof(seen));
	while ((pa = pmm_alloc())) {
		CHECK(IS_ALIGNED(pa, PAGE_SIZE));
		CHECK(!excluded(pa));
		CHECK(!seen[(pa - ARENA_BASE) / PAGE_SIZE]);
		seen[(pa - ARENA_BASE) / PAGE_SIZE] = 1;
		/* Scribble: a frame overlapping metadata or a free-list link
		 * would corrupt the allocator and fail pmm_verify() below. */
		memset(phys_to_virt(pa), 0xa5, PAGE_SIZE);
		n++;
	}
	CHECK_EQ(n, st.total_frames);
	pmm_get_stats(&st);
	CHECK_EQ(st.free_frames, 0);
	CHECK_EQ(st.used_frames, n);
	CHECK_EQ(pmm_alloc_contig(1, 1, 0), 0);
	CHECK_EQ(pmm_verify(), 0);
	for (uint64_t i = 0; i < NFRAMES; i++)
		if (seen[i])
			pmm_free(ARENA_BASE + i * PAGE_SIZE);
	pmm_get_stats(&st);
	CHECK_EQ(st.free_frames, st.total_frames);
	CHECK_EQ(pmm_verify(), 0);
}

TEST(pmm_unsorted_overlapping_map)
{
	struct pmm_stats a, b;

	pc_map();
	CHECK_EQ(pmm_init(&bi), 0);
	pmm_get_stats(&a);
	/* Same map backwards, with a duplicated usable region. */
	struct mem_region r[BOOT_MAX_REGIONS];
	size_t n = bi.nmem;
	memcpy(r, bi.mem, sizeof(r));
	for (size_t i = 0; i < n; i++)
		bi.mem[i] = r[n - 1 - i];
	add_mem(ARENA_BASE + MiB(4), MiB(8), MEM_USABLE);
	CHECK_EQ(pmm_init(&bi), 0);
	pmm_get_stats(&b);
	CHECK_EQ(b.total_frames, a.total_frames);
	CHECK_EQ(b.reserved_frames, a.reserved_frames);
	CHECK_EQ(pmm_verify(), 0);
}

TEST(pmm_contig_alignment_and_limit)
{
	struct pmm_stats st0, st;
	phys_addr_t a, b, c, d;

	pc_map();
	CHECK_EQ(pmm_init(&bi), 0);
	pmm_get_stats(&st0);

	a = pmm_alloc_contig(3, 4, 0);
	CHECK(a && IS_ALIGNED(a, 4 * PAGE_SIZE));
	pmm_get_stats(&st);
	CHECK_EQ(st.free_frames, st0.free_frames - 3); /* tail given back */

	b = pmm_alloc_contig(5, 1, MiB(20));
	CHECK(b && b + 5 * PAGE_SIZE <= MiB(20) && !excluded(b));

	/* Bigger than the largest buddy block: the scan path. */
	c = pmm_alloc_contig(1500, 512, 0);
	CHECK(c && IS_ALIGNED(c, 512 * PAGE_SIZE));
	for (phys_addr_t p = c; p < c + 1500 * PAGE_SIZE; p += PAGE_SIZE)
		CHECK(!excluded(p));
	d = pmm_alloc_contig(2000, 1, MiB(40));
	CHECK(d && d + 2000 * PAGE_SIZE <= MiB(40));

	CHECK_EQ(pmm_alloc_contig(1, 1, MiB(16)), 0); /* nothing below */
	CHECK_EQ(pmm_alloc_contig(1, 3, 0), 0);	      /* bad alignment */
	CHECK_EQ(pmm_alloc_contig(0, 1, 0), 0);	      /* nothing asked */
	CHECK_EQ(pmm_alloc_contig(NFRAMES, 1, 0), 0); /* too big */
	pmm_get_stats(&st);
	CHECK_EQ(st.free_frames, st0.free_frames - 3 - 5 - 1500 - 2000);
	CHECK_EQ(pmm_verify(), 0);

	pmm_free_contig(a, 3);
	pmm_free_contig(b, 5);
	pmm_free_contig(c, 1500);
	pmm_free_contig(d, 2000);
	pmm_get_stats(&st);
	CHECK_EQ(st.free_frames, st0.free_frames);
	CHECK_EQ(pmm_verify(), 0);
}

TEST(pmm_coalesces_after_fragmentation)
{
	static phys_addr_t all[NFRAMES];
	struct pmm_stats st0, st;
	int big0;
	size_t n = 0;

	pc_map();
	CHECK_EQ(pmm_init(&bi), 0);
	pmm_get_stats(&st0);
	big0 = count_max_blocks();
	CHECK(big0 >= 8);

	while ((all[n] = pmm_alloc()))
		n++;
	srand(42);
	for (size_t i = n - 1; i > 0; i--) { /* free in random order */
		size_t j = (size_t)rand() % (i + 1);
		phys_addr_t t = all[i];
		all[i] = all[j];
		all[j] = t;
	}
	for (size_t i = 0; i < n; i++) {
		pmm_free(all[i]);
		if (i == n / 2)
			CHECK_EQ(pmm_verify(), 0);
	}
	pmm_get_stats(&st);
	CHECK_EQ(st.free_frames, st0.free_frames);
	CHECK_EQ(st.used_frames, 0);
	CHECK_EQ(count_max_blocks(), big0);
	CHECK_EQ(pmm_verify(), 0);
}

TEST(pmm_detects_bad_frees)
{
	struct pmm_stats st0, st;
	phys_addr_t a, b;

	pc_map();
	CHECK_EQ(pmm_init(&bi), 0);
	a = pmm_alloc();
	b = pmm_alloc_contig(4, 1, 0);
	pmm_get_stats(&st0);
	pmm_free(a);
	CHECK(PANICS(pmm_free(a)));		     /* double free */
	CHECK(PANICS(pmm_free(KSTART)));	     /* kernel image */
	CHECK(PANICS(pmm_free(0)));		     /* frame 0 */
	CHECK(PANICS(pmm_free(MiB(1) - PAGE_SIZE))); /* below 1 MiB */
	CHECK(PANICS(pmm_free(HOLE)));		     /* reserved */
	CHECK(PANICS(pmm_free(GiB(8))));	     /* beyond RAM */
	CHECK(PANICS(pmm_free(b + 1)));		     /* unaligned */
	CHECK(PANICS(pmm_free_contig(b, 5)));	     /* one too many */
	/* A rejected free changes nothing, and the lock was released. */
	pmm_get_stats(&st);
	CHECK_EQ(st.free_frames, st0.free_frames + 1);
	CHECK_EQ(pmm_verify(), 0);
	pmm_free_contig(b, 4);
	CHECK(PANICS(pmm_free_contig(b + PAGE_SIZE, 2)));
	CHECK_EQ(pmm_verify(), 0);
}

struct run {
	phys_addr_t pa;
	size_t n;
};

TEST(pmm_random_stress)
{
	static struct run live[4096];
	static uint8_t shadow[NFRAMES];
	struct pmm_stats st0, st;
	size_t nlive = 0;
	int big0;

	pc_map();
	CHECK_EQ(pmm_init(&bi), 0);
	pmm_get_stats(&st0);
	big0 = count_max_blocks();
	memset(shadow, 0, sizeof(shadow));
	srand(1234);
	for (int op = 0; op < 20000; op++) {
		bool do_alloc = nlive == 0 ||
				(nlive < ARRAY_SIZE(live) && rand() % 100 < 55);
		if (do_alloc) {
			size_t n =
				rand() % 4 ? 1 + rand() % 8 : 1 + rand() % 300;
			size_t align = (size_t)1 << (rand() % 6);
			phys_addr_t max =
				rand() % 8 ? 0 : MiB(32 + rand() % 40);
			phys_addr_t pa;
			if (n == 1 && rand() % 3 == 0) {
				align = 1;
				max = 0;
				pa = pmm_alloc();
			} else {
				pa = pmm_alloc_contig(n, align, max);
			}
			if (!pa)
				continue;
			CHECK(IS_ALIGNED(pa, align * PAGE_SIZE));
			CHECK(!max || pa + n * PAGE_SIZE <= max);
			for (size_t i = 0; i < n; i++) {
				phys_addr_t f = pa + i * PAGE_SIZE;
				CHECK(!excluded(f));
				CHECK(!shadow[(f - ARENA_BASE) / PAGE_SIZE]);
				shadow[(f - ARENA_BASE) / PAGE_SIZE] = 1;
				*(uint64_t *)phys_to_virt(f) = f ^ 0x5a5a;
			}
			live[nlive].pa = pa;
			live[nlive++].n = n;
		} else {
			size_t k = (size_t)rand() % nlive;
			struct run r = live[k];
			live[k] = live[--nlive];
			for (size_t i = 0; i < r.n; i++) {
				phys_addr_t f = r.pa + i * PAGE_SIZE;
				/* Nobody wrote into an allocated frame. */
				CHECK_EQ(*(uint64_t *)phys_to_virt(f),
					 f ^ 0x5a5a);
				shadow[(f - ARENA_BASE) / PAGE_SIZE] = 0;
			}
			if (r.n == 1 && rand() % 2)
				pmm_free(r.pa);
			else
				pmm_free_contig(r.pa, r.n);
		}
		if (op % 2000 == 0) {
			uint64_t used = 0;
			for (size_t i = 0; i < nlive; i++)
				used += live[i].n;
			pmm_get_stats(&st);
			CHECK_EQ(st.used_frames, used);
			CHECK_EQ(pmm_verify(), 0);
		}
	}
	while (nlive) {
		nlive--;
		pmm_free_contig(live[nlive].pa, live[nlive].n);
	}
	pmm_get_stats(&st);
	CHECK_EQ(st.free_frames, st0.free_frames);
	CHECK_EQ(st.total_frames, st0.total_frames);
	CHECK_EQ(pmm_verify(), 0);
	CHECK_EQ(count_max_blocks(), big0);
}

/* 64 GiB of RAM around a PCI hole, backed by a sparse mapping: checks
 * that metadata stays at one byte per frame and the hole is skipped. */
TEST(pmm_large_sparse_map)
{
	const uint64_t top = GiB(65);
	struct pmm_stats st;
	uint8_t *mem = mmap(NULL, top, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	phys_addr_t a, b;

	if (mem == MAP_FAILED) {
		fprintf(stderr, "    (skipped: no 65 GiB sparse mapping)\n");
		return;
	}
	memset(&bi, 0, sizeof(bi));
	physmap_offset = (uintptr_t)mem;
	add_mem(0, 0x9f000, MEM_USABLE);
	add_mem(MiB(1), GiB(3) - MiB(1), MEM_USABLE);
	add_mem(GiB(3), GiB(1), MEM_RESERVED);
	add_mem(GiB(4), top - GiB(4), MEM_USABLE);
	bi.kernel_start = MiB(1);
	bi.kernel_end = MiB(4);
	CHECK_EQ(pmm_init(&bi), 0);
	pmm_get_stats(&st);
	uint64_t usable = 0x9f + (GiB(3) - MiB(1) + top - GiB(4)) / PAGE_SIZE;
	uint64_t meta = top / PAGE_SIZE / PAGE_SIZE; /* pages of state */
	CHECK_EQ(st.total_frames + st.reserved_frames, usable);
	CHECK_EQ(st.reserved_frames, 0x9f + (MiB(3) / PAGE_SIZE) + meta);
	a = pmm_alloc_contig(16, 16, GiB(4));
	CHECK(a && a + 16 * PAGE_SIZE <= GiB(3));
	b = pmm_alloc_contig(2048, 2048, 0);
	CHECK(b && (b + 2048 * PAGE_SIZE <= GiB(3) || b >= GiB(4)));
	pmm_free_contig(a, 16);
	pmm_free_contig(b, 2048);
	pmm_get_stats(&st);
	CHECK_EQ(st.free_frames, st.total_frames);
	CHECK_EQ(pmm_verify(), 0);
	munmap(mem, top);
	/* Leave a sane allocator behind for later tests. */
	pc_map();
	pmm_init(&bi);
}

/* pmm_init() scans the state bytes eight at a time: regions, overlaps and
 * exclusions at every frame offset must still count and free exactly the
 * frames a frame-by-frame model says. */
TEST(pmm_init_odd_boundaries_match_model)
{
	static uint8_t usable[NFRAMES], excl[NFRAMES];
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	for (int round = 0; round < 40; round++) {
		use_arena();
		memset(usable, 0, sizeof(usable));
		memset(excl, 0, sizeof(excl));
		uint64_t lo = NFRAMES, hi = 0;
		for (int i = 0; i < 12; i++) {
			seed = seed * 6364136223846793005ull +
			       1442695040888963407ull;
			uint64_t f = (seed >> 33) % NFRAMES;
			uint64_t n = 1 + (seed >> 17) % 3000;
			if (f + n > NFRAMES)
				n = NFRAMES - f;
			add_mem(ARENA_BASE + f * PAGE_SIZE, n * PAGE_SIZE,
				MEM_USABLE);
			memset(usable + f, 1, n);
			lo = f < lo ? f : lo;
			hi = f + n > hi ? f + n : hi;
		}
		for (int i = 0; i < 4; i++) {
			seed = seed * 6364136223846793005ull +
			       1442695040888963407ull;
			uint64_t f = (seed >> 33) % NFRAMES;
			uint64_t n = 1 + (seed >> 19) % 40;
			if (f + n > NFRAMES)
				n = NFRAMES - f;
			add_mod(ARENA_BASE + f * PAGE_SIZE, n * PAGE_SIZE);
			memset(excl + f, 1, n);
		}
		uint64_t in_union = 0, left = 0;
		for (uint64_t f = 0; f < NFRAMES; f++) {
			in_union += usable[f];
			left += usable[f] && !excl[f];
		}
		uint64_t meta = ALIGN_UP(hi - lo, PAGE_SIZE) / PAGE_SIZE;
		CHECK_EQ(pmm_init(&bi), 0);
		CHECK_EQ(pmm_verify(), 0);
		struct pmm_stats st;
		pmm_get_stats(&st);
		CHECK_EQ(st.total_frames + st.reserved_frames, in_union);
		CHECK_EQ(st.total_frames, left - meta);
		CHECK_EQ(st.free_frames, st.total_frames);
		uint64_t got = 0;
		phys_addr_t pa;
		while ((pa = pmm_alloc())) {
			uint64_t f = (pa - ARENA_BASE) / PAGE_SIZE;
			CHECK(usable[f] && !excl[f]);
			got++;
		}
		CHECK_EQ(got, st.total_frames);
	}
}
