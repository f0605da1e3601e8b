/* Host tests for the slab allocator and kmalloc, on a frame allocator over
 * a malloc'd arena standing for physical [16 MiB, 48 MiB). */
#include <pthread.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include <kern/bootinfo.h>
#include <kern/mm.h>
#include <kern/pmm.h>
#include <kern/slab.h>

#define ARENA_BASE MiB(16)
#define ARENA_SIZE MiB(32)

static uint8_t *arena;
static struct boot_info bi;

/* Fresh frame allocator and slab layer for every test. */
static int setup(void)
{
	if (!arena)
		arena = aligned_alloc(MiB(2), ARENA_SIZE);
	/* 2 MiB aligned, like the kernel's direct map: virtual alignment
	 * then equals physical alignment. */
	physmap_offset = (uintptr_t)arena - ARENA_BASE;
	memset(&bi, 0, sizeof(bi));
	bi.mem[0].base = ARENA_BASE;
	bi.mem[0].len = ARENA_SIZE;
	bi.mem[0].type = MEM_USABLE;
	bi.nmem = 1;
	if (pmm_init(&bi))
		return -1;
	kmem_init();
	return 0;
}

static uint64_t free_frames(void)
{
	struct pmm_stats st;
	pmm_get_stats(&st);
	return st.free_frames;
}

static bool all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

static int cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
	return x < y ? -1 : x > y;
}

TEST(slab_objects_distinct_zeroed_reused)
{
	static void *objs[1000], *sorted[1000];
	struct kmem_cache_stats st;
	struct kmem_cache *c;
	uint64_t frames0, base0;

	CHECK_EQ(setup(), 0);
	frames0 = free_frames();
	base0 = kmem_objects_in_use();
	c = kmem_cache_create("obj48", 48, 0);
	CHECK(c);
	for (int i = 0; i < 1000; i++) {
		objs[i] = kmem_cache_alloc(c);
		CHECK(objs[i]);
		CHECK(IS_ALIGNED((uintptr_t)objs[i], 8));
		CHECK(all_zero(objs[i], 48));
		memset(objs[i], 0xee, 48); /* dirty it: must come back zeroed */
	}
	memcpy(sorted, objs, sizeof(objs));
	qsort(sorted, 1000, sizeof(void *), cmp_ptr);
	for (int i = 1; i < 1000; i++) /* no two objects overlap */
		CHECK((uintptr_t)sorted[i] - (uintptr_t)sorted[i - 1] >= 48);

	kmem_cache_get_stats(c, &st);
	CHECK(!strcmp(st.name, "obj48"));
	CHECK_EQ(st.obj_size, 48);
	CHECK_EQ(st.objs_in_use, 1000);
	CHECK_EQ(st.allocs, 1000);
	CHECK_EQ(st.slabs, 13); /* 83 objects behind an 80-byte header */
	CHECK_EQ(kmem_objects_in_use(), base0 + 1000);

	/* Freed objects are reused (LIFO) and come back zeroed. */
	void *o = objs[500];
	kmem_cache_free(c, o);
	objs[500] = kmem_cache_alloc(c);
	CHECK(objs[500] == o);
	CHECK(all_zero(o, 48));

	CHECK_EQ(kmem_cache_destroy(c), -1); /* objects still live */
	for (int i = 0; i < 1000; i++)
		kmem_cache_free(c, objs[i]);
	kmem_cache_get_stats(c, &st);
	CHECK_EQ(st.objs_in_use, 0);
	CHECK_EQ(st.frees, 1001);
	CHECK_EQ(st.slabs, 1); /* a single spare is kept */
	CHECK_EQ(free_frames(), frames0 - 1);
	kmem_cache_shrink(c);
	kmem_cache_get_stats(c, &st);
	CHECK_EQ(st.slabs, 0);
	CHECK_EQ(free_frames(), frames0);
	CHECK_EQ(kmem_cache_destroy(c), 0);
	CHECK_EQ(kmem_objects_in_use(), base0);
	CHECK_EQ(pmm_verify(), 0);
}

TEST(slab_alignment_and_big_objects)
{
	static void *objs[200];
	struct kmem_cache_stats st;
	struct kmem_cache *a, *b;
	uint64_t frames0;

	CHECK_EQ(setup(), 0);
	frames0 = free_frames();
	a = kmem_cache_create("al64", 40, 64);
	b = kmem_cache_create("big3000", 3000, 0);
	CHECK(a && b);
	for (int i = 0; i < 200; i++) {
		void *x = kmem_cache_alloc(a), *y = kmem_cache_alloc(b);
		CHECK(x && y);
		CHECK(IS_ALIGNED((uintptr_t)x, 64));
		CHECK(all_zero(y, 3000));
		memset(y, i, 3000);
		objs[i] = y;
		kmem_cache_free(a, x);
	}
	for (int i = 0; i < 200; i++) { /* no big object overlapped another */
		uint8_t *y = objs[i];
		CHECK(y[0] == (uint8_t)i && y[2999] == (uint8_t)i);
	}
	kmem_cache_get_stats(b, &st);
	CHECK_EQ(st.obj_size, 3000);
	/* 4-frame slabs of 5 objects: the leftover (1304 B) stays under 1/8,
	 * where a 1-frame slab would waste a quarter. */
	CHECK_EQ(st.slabs, 40);
	CHECK_EQ(free_frames(), frames0 - 40 * 4 - 1);
	for (int i = 0; i < 200; i++)
		kmem_cache_free(b, objs[i]);
	CHECK_EQ(kmem_cache_destroy(a), 0);
	CHECK_EQ(kmem_cache_destroy(b), 0);
	CHECK_EQ(free_frames(), frames0);
	CHECK_EQ(pmm_verify(), 0);
}

TEST(slab_bad_create_args)
{
	CHECK_EQ(setup(), 0);
	CHECK(!kmem_cache_create("zero", 0, 0));
	CHECK(!kmem_cache_create("align3", 32, 3));
	CHECK(!kmem_cache_create("huge", MiB(1), 0));
	CHECK(!kmem_cache_create("bigalign", 32, 2 * PAGE_SIZE));
	CHECK_EQ(kmem_cache_destroy(NULL), -1);
}

TEST(slab_detects_misuse)
{
	struct kmem_cache *a, *b;
	struct kmem_cache_stats st;
	char *x, *y;

	CHECK_EQ(setup(), 0);
	a = kmem_cache_create("a", 64, 0);
	b = kmem_cache_create("b", 64, 0);
	x = kmem_cache_alloc(a);
	y = kmem_cache_alloc(b);
	CHECK(x && y);
	CHECK(PANICS(kmem_cache_free(b, x)));	  /* wrong cache */
	CHECK(PANICS(kmem_cache_free(a, x + 8))); /* inside an object */
	kmem_cache_free(a, x);
	CHECK(PANICS(kmem_cache_free(a, x))); /* double free */
	/* The cache lock was released and nothing changed. */
	kmem_cache_get_stats(a, &st);
	CHECK_EQ(st.objs_in_use, 0);
	x = kmem_cache_alloc(a);
	CHECK(x);
	kmem_cache_free(a, x);
	kmem_cache_free(b, y);
	kmem_cache_free(a, NULL); /* no-op */
	CHECK_EQ(kmem_cache_destroy(a), 0);
	CHECK_EQ(kmem_cache_destroy(b), 0);

	/* kfree of something kmalloc never returned. */
	phys_addr_t pa = pmm_alloc();
	CHECK(PANICS(kfree(phys_to_virt(pa))));
	pmm_free(pa);
	char *k = kmalloc(100);
	CHECK(PANICS(kfree(k + 4)));
	kfree(k);
	CHECK(PANICS(kfree(k)));
	CHECK_EQ(pmm_verify(), 0);
}

TEST(slab_out_of_memory)
{
	static phys_addr_t frames[MiB(32) / 4096];
	struct kmem_cache *c;
	size_t n = 0;

	CHECK_EQ(setup(), 0);
	c = kmem_cache_create("oom", 128, 0);
	while ((frames[n] = pmm_alloc()))
		n++;
	CHECK(kmem_cache_alloc(c) == NULL);
	CHECK(kmalloc(100000) == NULL);
	CHECK_EQ(kmem_objects_in_use(), 0);
	pmm_free(frames[--n]);
	void *o = kmem_cache_alloc(c); /* one frame is enough again */
	CHECK(o);
	kmem_cache_free(c, o);
	kmem_cache_shrink(c);
	while (n)
		pmm_free(frames[--n]);
	CHECK_EQ(kmem_cache_destroy(c), 0);
	CHECK_EQ(pmm_verify(), 0);
}

struct kblock {
	uint8_t *p;
	size_t size;
	uint8_t tag;
};

static bool intact(const struct kblock *b)
{
	for (size_t i = 0; i < b->size; i++)
		if (b->p[i] != b->tag)
			return false;
	return true;
}

TEST(kmalloc_sizes_and_large)
{
	static const size_t sizes[] = {
		1,    8,    15,	  16,	17,   31,   32,	   33,	  100,	255,
		256,  257,  511,  512,	513,  1000, 1024,  1025,  2047, 2048,
		2049, 4095, 4096, 4097, 8192, 9000, 65536, 300000};
	static struct kblock blk[ARRAY_SIZE(sizes) * 4];
	uint64_t base0, frames0;
	size_t n = 0;

	CHECK_EQ(setup(), 0);
	base0 = kmem_objects_in_use();
	frames0 = free_frames();
	CHECK(kmalloc(0) == NULL);
	kfree(NULL);
	for (int rep = 0; rep < 4; rep++) {
		for (size_t i = 0; i < ARRAY_SIZE(sizes); i++, n++) {
			blk[n].size = sizes[i];
			blk[n].tag = (uint8_t)(n + 1);
			blk[n].p = kmalloc(sizes[i]);
			CHECK(blk[n].p);
			CHECK(IS_ALIGNED((uintptr_t)blk[n].p, 16));
			if (sizes[i] > 2048)
				CHECK(IS_ALIGNED((uintptr_t)blk[n].p,
						 PAGE_SIZE));
			CHECK(all_zero(blk[n].p, sizes[i]));
			memset(blk[n].p, blk[n].tag, sizes[i]);
		}
	}
	CHECK_EQ(kmem_objects_in_use(), base0 + n);
	for (size_t i = 0; i < n; i++) /* nothing overlapped */
		CHECK(intact(&blk[i]));
	for (size_t i = 0; i < n; i += 2)
		kfree(blk[i].p);
	for (size_t i = 1; i < n; i += 2) {
		CHECK(intact(&blk[i]));
		kfree(blk[i].p);
	}
	CHECK_EQ(kmem_objects_in_use(), base0);
	/* Large blocks went back; the size classes keep one spare each. */
	CHECK(free_frames() <= frames0);
	CHECK(free_frames() + 9 * 8 >= frames0);
	CHECK_EQ(pmm_verify(), 0);
}

TEST(kmalloc_random_stress)
{
	static struct kblock live[2000];
	size_t nlive = 0;
	uint64_t base0;

	CHECK_EQ(setup(), 0);
	base0 = kmem_objects_in_use();
	srand(99);
	for (int op = 0; op < 20000; op++) {
		if (nlive < ARRAY_SIZE(live) && (nlive == 0 || rand() % 2)) {
			size_t size = rand() % 16 ? 1 + rand() % 2048
						  : 1 + rand() % 20000;
			struct kblock *b = &live[nlive];
			b->p = kmalloc(size);
			CHECK(b->p);
			CHECK(all_zero(b->p, size));
			b->size = size;
			b->tag = (uint8_t)(1 + rand() % 255);
			memset(b->p, b->tag, size);
			nlive++;
		} else {
			size_t k = (size_t)rand() % nlive;
			CHECK(intact(&live[k]));
			kfree(live[k].p);
			live[k] = live[--nlive];
		}
		if (op % 5000 == 0) {
			CHECK_EQ(kmem_objects_in_use(), base0 + nlive);
			CHECK_EQ(pmm_verify(), 0);
		}
	}
	while (nlive) {
		nlive--;
		CHECK(intact(&live[nlive]));
		kfree(live[nlive].p);
	}
	CHECK_EQ(kmem_objects_in_use(), base0);
	CHECK_EQ(pmm_verify(), 0);
}

/* Four threads hammer kmalloc and the frame allocator at once: the locks
 * must keep every block private and the counters exact. */
static void *smp_worker(void *arg)
{
	struct kblock mine[64];
	unsigned seed = (unsigned)(uintptr_t)arg;
	size_t n = 0;
	long bad = 0;

	for (int op = 0; op < 20000; op++) {
		if (n < 64 && (n == 0 || rand_r(&seed) % 2)) {
			size_t size = rand_r(&seed) % 8
					      ? 1 + rand_r(&seed) % 2048
					      : 1 + rand_r(&seed) % 9000;
			mine[n].p = kmalloc(size);
			mine[n].size = size;
			mine[n].tag = (uint8_t)(1 + rand_r(&seed) % 255);
			if (!mine[n].p)
				continue;
			memset(mine[n].p, mine[n].tag, size);
			n++;
		} else {
			size_t k = rand_r(&seed) % n;
			bad += !intact(&mine[k]);
			kfree(mine[k].p);
			mine[k] = mine[--n];
		}
		phys_addr_t pa = pmm_alloc();
		if (pa) {
			*(volatile uint64_t *)phys_to_virt(pa) = pa;
			bad += *(volatile uint64_t *)phys_to_virt(pa) != pa;
			pmm_free(pa);
		}
	}
	while (n--) {
		bad += !intact(&mine[n]);
		kfree(mine[n].p);
	}
	return (void *)bad;
}

TEST(slab_pmm_smp_stress)
{
	pthread_t t[4];
	uint64_t base0;
	struct pmm_stats st;

	CHECK_EQ(setup(), 0);
	base0 = kmem_objects_in_use();
	for (size_t i = 0; i < 4; i++)
		CHECK_EQ(pthread_create(&t[i], NULL, smp_worker,
					(void *)(uintptr_t)(i + 1)),
			 0);
	for (size_t i = 0; i < 4; i++) {
		void *bad;
		pthread_join(t[i], &bad);
		CHECK_EQ((long)bad, 0);
	}
	CHECK_EQ(kmem_objects_in_use(), base0);
	CHECK_EQ(pmm_verify(), 0);
	/* Only the spare slab of each kmalloc cache may remain. */
	pmm_get_stats(&st);
	CHECK(st.used_frames <= 9 * 8);
}

/* Small kmalloc objects can fill the whole memory: every kmalloc slab is
 * a whole buddy block, so no slab leaves pieces only a smaller request
 * could use (1-frame slabs aligned to 32 KiB once stranded 7/8 of the
 * memory: kmalloc failed with 420 MiB free). */
TEST(kmalloc_small_objects_can_use_all_memory)
{
	CHECK_EQ(setup(), 0);
	uint64_t total = free_frames();
	size_t cap = ARENA_SIZE / 64, n = 0;
	void **objs = malloc(cap * sizeof(void *));
	CHECK(objs);
	while (n < cap && (objs[n] = kmalloc(64)))
		n++;
	uint64_t left = free_frames();
	/* What is left cannot hold a 32 KiB slab; nearly all went to 64 B
	 * objects. */
	CHECK(left < 8);
	CHECK(n * 64 >= (total - 8) * 4096 / 8 * 7);
	/* Freed, the frames make whole blocks again. */
	for (size_t i = 0; i < n; i++)
		kfree(objs[i]);
	free(objs);
	void *big = kmalloc(MiB(1));
	CHECK(big);
	kfree(big);
	CHECK_EQ(kmem_objects_in_use(), 0);
	CHECK_EQ(pmm_verify(), 0);
}
