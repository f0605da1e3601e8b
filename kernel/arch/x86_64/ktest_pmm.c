/* Frame and slab allocator stress on the real machine: every frame handed
 * out is written and read back through the direct map (so overlapping or
 * unmapped allocations show up), and all counters return to baseline. */
#include <kern/ktest.h>
#include <kern/lib.h>
#include <kern/mm.h>
#include <kern/pmm.h>
#include <kern/slab.h>

/* Allocations are chained through their own first frame: no bookkeeping
 * memory that would itself need allocating. */
struct chunk {
	phys_addr_t next;
	uint64_t npages;
};

static uint64_t pattern(phys_addr_t pa, size_t i)
{
	return (pa * 0x9e3779b97f4a7c15ull) ^ (i * 0xbf58476d1ce4e5b9ull);
}

static void fill(phys_addr_t pa, uint64_t npages)
{
	for (uint64_t p = 0; p < npages; p++) {
		phys_addr_t f = pa + p * PAGE_SIZE;
		uint64_t *w = phys_to_virt(f);
		for (size_t i = 0; i < PAGE_SIZE / 8; i++)
			w[i] = pattern(f, i);
	}
}

/* Checks the pattern (the chunk header words excepted). */
static bool verify(phys_addr_t pa, uint64_t npages)
{
	for (uint64_t p = 0; p < npages; p++) {
		phys_addr_t f = pa + p * PAGE_SIZE;
		const uint64_t *w = phys_to_virt(f);
		for (size_t i = p ? 0 : 2; i < PAGE_SIZE / 8; i++)
			if (w[i] != pattern(f, i))
				return false;
	}
	return true;
}

static void push(phys_addr_t *list, phys_addr_t pa, uint64_t npages)
{
	struct chunk *c = phys_to_virt(pa);
	c->next = *list;
	c->npages = npages;
	*list = pa;
}

static void free_all(phys_addr_t list)
{
	while (list) {
		struct chunk *c = phys_to_virt(list);
		phys_addr_t next = c->next;
		if (c->npages == 1)
			pmm_free(list);
		else
			pmm_free_contig(list, c->npages);
		list = next;
	}
}

KTEST(pmm_stress_half_of_memory_mixed_sizes)
{
	struct pmm_stats base, st;
	pmm_get_stats(&base);
	KT_CHECK(base.free_frames > 1024);
	uint64_t goal = base.free_frames / 2, got = 0, bad_align = 0,
		 bad_max = 0;
	phys_addr_t list = 0;
	for (unsigned i = 0; got < goal; i++) {
		uint64_t n = 1;
		size_t align = 1;
		phys_addr_t max = 0, pa;
		if (i % 3 == 0) {
			n = 1 + (i * 7) % 61; /* odd sizes too */
			align = (size_t)1 << (i % 7);
			max = (i % 2) ? GiB(4) : (i % 4 ? MiB(256) : 0);
			pa = pmm_alloc_contig(n, align, max);
		} else {
			pa = pmm_alloc();
		}
		if (!pa && max)
			continue; /* memory below max may run out first */
		if (!pa)
			break;
		if (!IS_ALIGNED(pa, align * PAGE_SIZE))
			bad_align++;
		if (max && pa + n * PAGE_SIZE > max)
			bad_max++;
		fill(pa, n);
		push(&list, pa, n);
		got += n;
	}
	bool all_ok = true;
	for (phys_addr_t c = list; c;
	     c = ((struct chunk *)phys_to_virt(c))->next)
		all_ok &= verify(c, ((struct chunk *)phys_to_virt(c))->npages);
	pmm_get_stats(&st);
	free_all(list);
	KT_CHECK(got >= goal);
	KT_CHECK_EQ(bad_align, 0);
	KT_CHECK_EQ(bad_max, 0);
	KT_CHECK(all_ok); /* no two allocations overlapped */
	KT_CHECK_EQ(st.free_frames, base.free_frames - got);
	KT_CHECK_EQ(pmm_verify(), 0);
	pmm_get_stats(&st);
	KT_CHECK_EQ(st.free_frames, base.free_frames);
	KT_CHECK_EQ(st.used_frames, base.used_frames);
}

KTEST(pmm_exhaustion_fails_cleanly_and_recovers)
{
	struct pmm_stats base, st;
	pmm_get_stats(&base);
	phys_addr_t list = 0, pa;
	uint64_t got = 0;
	while ((pa = pmm_alloc()) != 0) {
		push(&list, pa, 1);
		got++;
	}
	pmm_get_stats(&st);
	phys_addr_t extra = pmm_alloc_contig(1, 1, 0);
	free_all(list);
	KT_CHECK_EQ(got, base.free_frames);
	KT_CHECK_EQ(st.free_frames, 0);
	KT_CHECK_EQ(extra, 0);
	KT_CHECK_EQ(pmm_verify(), 0);
	pmm_get_stats(&st);
	KT_CHECK_EQ(st.free_frames, base.free_frames);
	/* After the churn, large aligned runs are still there (merging). */
	pa = pmm_alloc_contig(512, 512, 0);
	KT_CHECK(pa && IS_ALIGNED(pa, LARGE_PAGE_SIZE));
	pmm_free_contig(pa, 512);
}

KTEST(slab_kmalloc_many_sizes_no_leak)
{
	static void *ptrs[600];
	static size_t sizes[600];
	uint64_t base = kmem_objects_in_use();
	bool aligned = true, zeroed = true, intact = true;
	size_t n = 0;
	for (size_t i = 0; i < ARRAY_SIZE(ptrs); i++) {
		size_t sz = 1 + (i * 37) % 5000; /* up to whole-frame sizes */
		uint8_t *p = kmalloc(sz);
		if (!p)
			break;
		aligned &= IS_ALIGNED((uintptr_t)p, 16);
		for (size_t b = 0; b < sz; b++) {
			zeroed &= p[b] == 0;
			p[b] = (uint8_t)(i + b);
		}
		ptrs[n] = p;
		sizes[n++] = sz;
	}
	for (size_t i = 0; i < n; i++)
		for (size_t b = 0; b < sizes[i]; b++)
			intact &= ((uint8_t *)ptrs[i])[b] == (uint8_t)(i + b);
	uint64_t live = kmem_objects_in_use();
	for (size_t i = 0; i < n; i += 2) /* odd order: holes in slabs */
		kfree(ptrs[i]);
	for (size_t i = 1; i < n; i += 2)
		kfree(ptrs[i]);
	KT_CHECK_EQ(n, ARRAY_SIZE(ptrs));
	KT_CHECK(aligned);
	KT_CHECK(zeroed);
	KT_CHECK(intact);
	KT_CHECK(live > base);
	KT_CHECK_EQ(kmem_objects_in_use(), base);
	KT_CHECK_EQ(pmm_verify(), 0);
}

KTEST(slab_cache_counts_and_returns_frames)
{
	static void *objs[1000];
	uint64_t base_free;
	struct pmm_stats st;
	struct kmem_cache *c = kmem_cache_create("ktest24", 24, 8);
	KT_CHECK(c);
	pmm_get_stats(&st);
	base_free = st.free_frames;
	for (size_t i = 0; i < ARRAY_SIZE(objs); i++) {
		objs[i] = kmem_cache_alloc(c);
		KT_CHECK(objs[i]);
		KT_CHECK(IS_ALIGNED((uintptr_t)objs[i], 8));
		memset(objs[i], 0xa5, 24);
	}
	struct kmem_cache_stats cs;
	kmem_cache_get_stats(c, &cs);
	KT_CHECK_EQ(cs.objs_in_use, ARRAY_SIZE(objs));
	KT_CHECK(cs.slabs > 0);
	KT_CHECK_EQ(kmem_cache_destroy(c), -1); /* still in use */
	for (size_t i = 0; i < ARRAY_SIZE(objs); i++)
		kmem_cache_free(c, objs[i]);
	kmem_cache_shrink(c);
	kmem_cache_get_stats(c, &cs);
	KT_CHECK_EQ(cs.objs_in_use, 0);
	KT_CHECK_EQ(cs.slabs, 0);
	pmm_get_stats(&st);
	KT_CHECK_EQ(st.free_frames, base_free);
	KT_CHECK_EQ(kmem_cache_destroy(c), 0);
}
