/* Physical frame allocator: a binary buddy system over 4 KiB frames.
 *
 * Metadata is one byte per frame between the lowest and the highest usable
 * frame, carved out of the memory map at init. Free-list links live inside
 * the free blocks themselves. Everything is reached through phys_to_virt()
 * and stored as physical addresses, so the allocator keeps working if the
 * direct map moves, and host tests can back "physical memory" with an
 * arena. See docs/memory.md for the invariants. */
#include <kern/lib.h>
#include <kern/log.h>
#include <kern/mm.h>
#include <kern/pmm.h>
#include <kern/spinlock.h>

/* Per-frame state byte. */
enum {
	FS_NONE = 0,	/* not managed: hole, reserved, excluded, metadata */
	FS_USED = 1,	/* handed out */
	FS_FREE = 2,	/* inside a free block, but not its first frame */
	FS_HEAD = 0x80, /* first frame of a free block; low bits = order */
};

/* Lives in the first frame of every free block. */
struct free_link {
	phys_addr_t next, prev; /* 0 = none (frame 0 is never managed) */
};

static struct {
	spinlock_t lock;
	uint64_t lo_pfn, hi_pfn; /* the state array covers [lo_pfn, hi_pfn) */
	phys_addr_t state_pa;
	uint64_t meta_pages;
	phys_addr_t head[PMM_MAX_ORDER + 1];
	uint64_t nblocks[PMM_MAX_ORDER + 1];
	uint64_t total, nfree, reserved;
} pmm;

struct range {
	phys_addr_t s, e;
};

/* Init-time scratch: every range that must never be handed out. */
static struct range excl[8 + BOOT_MAX_MODULES + BOOT_MAX_REGIONS];
static size_t nexcl;

static inline uint8_t *fstate(uint64_t pfn)
{
	return (uint8_t *)phys_to_virt(pmm.state_pa) + (pfn - pmm.lo_pfn);
}

static inline struct free_link *link_at(phys_addr_t pa)
{
	return phys_to_virt(pa);
}

static inline bool in_span(uint64_t pfn)
{
	return pfn >= pmm.lo_pfn && pfn < pmm.hi_pfn;
}

static inline bool is_free_state(uint8_t st)
{
	return st == FS_FREE || (st & FS_HEAD);
}

static void list_add(uint64_t pfn, unsigned o)
{
	phys_addr_t pa = pfn << PAGE_SHIFT, first = pmm.head[o];
	struct free_link *l = link_at(pa);

	l->next = first;
	l->prev = 0;
	if (first)
		link_at(first)->prev = pa;
	pmm.head[o] = pa;
	pmm.nblocks[o]++;
	*fstate(pfn) = (uint8_t)(FS_HEAD | o);
}

/* Unlinks a free block; its first frame becomes an ordinary free frame. */
static void list_del(uint64_t pfn, unsigned o)
{
	struct free_link *l = link_at(pfn << PAGE_SHIFT);

	if (l->prev)
		link_at(l->prev)->next = l->next;
	else
		pmm.head[o] = l->next;
	if (l->next)
		link_at(l->next)->prev = l->prev;
	pmm.nblocks[o]--;
	*fstate(pfn) = FS_FREE;
}

/* Adds a block whose frames are all FS_FREE, merging with free buddies.
 * Only head bytes change, so this is O(PMM_MAX_ORDER). */
static void insert_block(uint64_t pfn, unsigned o)
{
	while (o < PMM_MAX_ORDER) {
		uint64_t b = pfn ^ (1ull << o);
		if (!in_span(b) || *fstate(b) != (FS_HEAD | o))
			break;
		list_del(b, o);
		pfn &= ~(1ull << o);
		o++;
	}
	list_add(pfn, o);
}

/* Largest order of an aligned block at pfn that stays inside [pfn, end). */
static unsigned fit_order(uint64_t pfn, uint64_t end)
{
	unsigned o = 0;
	while (o < PMM_MAX_ORDER && !(pfn & (1ull << o)) &&
	       pfn + (2ull << o) <= end)
		o++;
	return o;
}

/* Puts FS_FREE frames [pfn, end) on the free lists. */
static void give_back(uint64_t pfn, uint64_t end)
{
	while (pfn < end) {
		unsigned o = fit_order(pfn, end);
		insert_block(pfn, o);
		pfn += 1ull << o;
	}
}

/* Frees FS_USED frames [pfn, end). */
static void free_range(uint64_t pfn, uint64_t end)
{
	memset(fstate(pfn), FS_FREE, end - pfn);
	pmm.nfree += end - pfn;
	give_back(pfn, end);
}

/* Allocates [s, s + n) out of the free block (h, o) that contains s; the
 * part of the block outside the run goes back without any waste. */
static void take(uint64_t h, unsigned o, uint64_t s, uint64_t n)
{
	uint64_t bend = h + (1ull << o);

	list_del(h, o);
	memset(fstate(s), FS_USED, n);
	pmm.nfree -= n;
	give_back(h, s);
	give_back(s + n, bend);
}

/* Head (and order) of the free block containing free frame pfn. */
static uint64_t find_head(uint64_t pfn, unsigned *order)
{
	for (unsigned o = 0; o <= PMM_MAX_ORDER; o++) {
		uint64_t h = pfn & ~((1ull << o) - 1);
		if (in_span(h) && *fstate(h) == (FS_HEAD | o)) {
			*order = o;
			return h;
		}
	}
	return 0;
}

/* Smallest k with 2^k >= x. */
static unsigned order_for(uint64_t x)
{
	unsigned k = 0;
	while (k < 63 && (1ull << k) < x)
		k++;
	return k;
}

/* Buddy path: first block of order >= k whose start leaves room below
 * limit (a frame number). Ascending orders keep big blocks intact. */
static uint64_t alloc_buddy(unsigned k, uint64_t n, uint64_t limit)
{
	for (unsigned o = k; o <= PMM_MAX_ORDER; o++) {
		for (phys_addr_t pa = pmm.head[o]; pa; pa = link_at(pa)->next) {
			uint64_t pfn = pa >> PAGE_SHIFT;
			if (pfn + n <= limit) {
				take(pfn, o, pfn, n);
				return pfn;
			}
		}
	}
	return 0;
}

/* Runs larger than the biggest block: linear scan of the state array,
 * then carve the run out of the free blocks it spans. Rare (boot-time
 * DMA buffers), so O(frames) is acceptable. */
static uint64_t alloc_scan(uint64_t n, uint64_t align, uint64_t limit)
{
	uint64_t end = MIN(pmm.hi_pfn, limit);
	uint64_t p = ALIGN_UP(pmm.lo_pfn, align);

	while (p < end && end - p >= n) {
		uint64_t q = p;
		while (q < p + n && is_free_state(*fstate(q)))
			q++;
		if (q < p + n) {
			p = ALIGN_UP(q + 1, align);
			continue;
		}
		for (q = p; q < p + n;) {
			unsigned o = 0;
			uint64_t h = find_head(q, &o);
			uint64_t bend = h + (1ull << o);
			BUG_ON(!h);
			take(h, o, q, MIN(bend, p + n) - q);
			q = bend;
		}
		return p;
	}
	return 0;
}

phys_addr_t pmm_alloc_contig(size_t npages, size_t align_pages,
			     phys_addr_t max_pa)
{
	uint64_t limit = max_pa ? max_pa >> PAGE_SHIFT : UINT64_MAX;
	uint64_t pfn;
	unsigned k;

	if (!align_pages)
		align_pages = 1;
	if (!npages || (align_pages & (align_pages - 1)))
		return 0;
	k = order_for(MAX((uint64_t)npages, (uint64_t)align_pages));

	unsigned long flags = spin_lock_irqsave(&pmm.lock);
	if (k <= PMM_MAX_ORDER)
		pfn = alloc_buddy(k, npages, limit);
	else
		pfn = alloc_scan(npages, align_pages, limit);
	spin_unlock_irqrestore(&pmm.lock, flags);
	return pfn << PAGE_SHIFT;
}

phys_addr_t pmm_alloc(void)
{
	uint64_t pfn = 0;
	unsigned long flags = spin_lock_irqsave(&pmm.lock);

	for (unsigned o = 0; o <= PMM_MAX_ORDER; o++) {
		if (pmm.head[o]) {
			pfn = pmm.head[o] >> PAGE_SHIFT;
			take(pfn, o, pfn, 1);
			break;
		}
	}
	spin_unlock_irqrestore(&pmm.lock, flags);
	return pfn << PAGE_SHIFT;
}

void pmm_free_contig(phys_addr_t pa, size_t npages)
{
	uint64_t pfn = pa >> PAGE_SHIFT, bad = pfn;
	unsigned long flags = spin_lock_irqsave(&pmm.lock);
	bool ok = IS_ALIGNED(pa, PAGE_SIZE) && in_span(pfn) &&
		  npages <= pmm.hi_pfn - pfn;

	/* Check the whole run first: a bad free must not change anything. */
	for (uint64_t i = 0; ok && i < npages; i++) {
		if (*fstate(pfn + i) != FS_USED) {
			ok = false;
			bad = pfn + i;
		}
	}
	if (ok && npages)
		free_range(pfn, pfn + npages);
	spin_unlock_irqrestore(&pmm.lock, flags);
	if (!ok)
		panic("pmm: bad free of %zu frame(s) at %#llx (frame %#llx "
		      "not allocated)",
		      npages, (unsigned long long)pa,
		      (unsigned long long)bad << PAGE_SHIFT);
}

void pmm_free(phys_addr_t pa)
{
	pmm_free_contig(pa, 1);
}

void pmm_get_stats(struct pmm_stats *st)
{
	unsigned long flags = spin_lock_irqsave(&pmm.lock);
	st->total_frames = pmm.total;
	st->free_frames = pmm.nfree;
	st->used_frames = pmm.total - pmm.nfree;
	st->reserved_frames = pmm.reserved;
	spin_unlock_irqrestore(&pmm.lock, flags);
}

static int verify_lists(uint64_t *free_frames, uint64_t *heads)
{
	for (unsigned o = 0; o <= PMM_MAX_ORDER; o++) {
		phys_addr_t prev = 0;
		uint64_t count = 0, size = 1ull << o;
		for (phys_addr_t pa = pmm.head[o]; pa; pa = link_at(pa)->next) {
			uint64_t pfn = pa >> PAGE_SHIFT, b = pfn ^ size;
			if (++count > pmm.nblocks[o])
				return -1; /* too long or cyclic */
			if (!in_span(pfn) || (pfn & (size - 1)) ||
			    pfn + size > pmm.hi_pfn ||
			    *fstate(pfn) != (FS_HEAD | o) ||
			    link_at(pa)->prev != prev)
				return -2;
			for (uint64_t i = 1; i < size; i++)
				if (*fstate(pfn + i) != FS_FREE)
					return -3;
			/* Two free buddies of equal order must have merged. */
			if (o < PMM_MAX_ORDER && in_span(b) &&
			    *fstate(b) == (FS_HEAD | o))
				return -4;
			*free_frames += size;
			prev = pa;
		}
		if (count != pmm.nblocks[o])
			return -5;
		*heads += count;
	}
	return 0;
}

static int verify_locked(void)
{
	uint64_t list_free = 0, list_heads = 0;
	uint64_t managed = 0, nfree = 0, heads = 0;
	int err = verify_lists(&list_free, &list_heads);

	if (err)
		return err;
	for (uint64_t pfn = pmm.lo_pfn; pfn < pmm.hi_pfn; pfn++) {
		uint8_t st = *fstate(pfn);
		if (st == FS_NONE)
			continue;
		managed++;
		if (st & FS_HEAD) {
			if ((st & ~FS_HEAD) > PMM_MAX_ORDER)
				return -6;
			heads++;
		} else if (st != FS_USED && st != FS_FREE) {
			return -6;
		}
		if (is_free_state(st))
			nfree++;
	}
	if (heads != list_heads || nfree != list_free)
		return -7; /* a free frame outside every listed block */
	if (nfree != pmm.nfree || managed != pmm.total)
		return -8;
	return 0;
}

int pmm_verify(void)
{
	unsigned long flags = spin_lock_irqsave(&pmm.lock);
	int err = verify_locked();
	spin_unlock_irqrestore(&pmm.lock, flags);
	if (err)
		pr_err("pmm: verify failed (%d)\n", err);
	return err;
}

/* ---- initialization ---- */

static phys_addr_t region_end(const struct mem_region *r)
{
	phys_addr_t e = r->base + r->len;
	return e < r->base ? UINT64_MAX : e; /* saturate on overflow */
}

static void add_excl(phys_addr_t s, uint64_t len)
{
	phys_addr_t e = s + len < s ? UINT64_MAX : s + len;
	if (len == 0)
		return;
	excl[nexcl].s = ALIGN_DOWN(s, PAGE_SIZE);
	excl[nexcl].e =
		e > UINT64_MAX - PAGE_SIZE ? PAGE_MASK : ALIGN_UP(e, PAGE_SIZE);
	nexcl++;
}

/* Lowest page-aligned run of len bytes at or above min inside usable RAM
 * that overlaps no exclusion; 0 if none. */
static phys_addr_t find_meta(const struct boot_info *bi, uint64_t len,
			     phys_addr_t min)
{
	phys_addr_t best = 0;

	for (size_t i = 0; i < bi->nmem; i++) {
		const struct mem_region *r = &bi->mem[i];
		phys_addr_t re = ALIGN_DOWN(region_end(r), PAGE_SIZE);
		phys_addr_t c = MAX(ALIGN_UP(r->base, PAGE_SIZE), min);
		size_t j;

		if (r->type != MEM_USABLE)
			continue;
		while (c < re && re - c >= len) {
			for (j = 0; j < nexcl; j++)
				if (excl[j].s < c + len && c < excl[j].e)
					break;
			if (j == nexcl) {
				if (!best || c < best)
					best = c;
				break;
			}
			c = excl[j].e; /* strictly grows: terminates */
		}
	}
	return best;
}

/* Init-time scans of the state bytes, eight at a time: 512 MiB of RAM is
 * 131,072 frames, and a byte loop over them cost more boot time (~3 ms
 * of guest instructions) than anything else in the allocator. */
#define BYTES_01 0x0101010101010101ull
#define BYTES_7F 0x7f7f7f7f7f7f7f7full

static uint64_t load8(const uint8_t *b)
{
	uint64_t x;
	__builtin_memcpy(&x, b, sizeof(x));
	return x;
}

/* How many of the states of [pfn, pfn + n) are v. */
static uint64_t count_state(uint64_t pfn, uint64_t n, uint8_t v)
{
	const uint8_t *b = fstate(pfn);
	uint64_t cnt = 0, i = 0;
	for (; i < n && ((uintptr_t)(b + i) & 7); i++)
		cnt += b[i] == v;
	for (; i + 8 <= n; i += 8) {
		uint64_t x = load8(b + i) ^ (v * BYTES_01);
		/* 0x80 in exactly the bytes of x that are zero. */
		uint64_t z = ~(((x & BYTES_7F) + BYTES_7F) | x | BYTES_7F);
		cnt += ((z >> 7) * BYTES_01) >> 56;
	}
	for (; i < n; i++)
		cnt += b[i] == v;
	return cnt;
}

/* The first frame of [pfn, end) whose state is not v (or end). */
static uint64_t run_end(uint64_t pfn, uint64_t end, uint8_t v)
{
	const uint8_t *b = fstate(pfn);
	uint64_t i = 0, n = end - pfn;
	for (; i < n && ((uintptr_t)(b + i) & 7); i++)
		if (b[i] != v)
			return pfn + i;
	while (i + 8 <= n && load8(b + i) == v * BYTES_01)
		i += 8;
	for (; i < n; i++)
		if (b[i] != v)
			return pfn + i;
	return end;
}

/* Sets the state of frames in [s, e) (clipped to the span) to st;
 * returns how many changed. */
static uint64_t mark(phys_addr_t s, phys_addr_t e, uint8_t st)
{
	uint64_t ps = MAX(s >> PAGE_SHIFT, pmm.lo_pfn);
	uint64_t pe = MIN(e >> PAGE_SHIFT, pmm.hi_pfn);
	if (ps >= pe)
		return 0;
	uint64_t changed = (pe - ps) - count_state(ps, pe - ps, st);
	memset(fstate(ps), st, pe - ps);
	return changed;
}

/* (Re)builds everything from scratch. Calling it again is meant for host
 * tests only: memory handed out before is forgotten. */
__cold int pmm_init(const struct boot_info *bi)
{
	uint64_t lo = UINT64_MAX, hi = 0, usable = 0;
	phys_addr_t meta;

	memset(&pmm, 0, sizeof(pmm));
	nexcl = 0;
	for (size_t i = 0; i < bi->nmem; i++) {
		const struct mem_region *r = &bi->mem[i];
		uint64_t s = ALIGN_UP(r->base, PAGE_SIZE) >> PAGE_SHIFT;
		uint64_t e = region_end(r) >> PAGE_SHIFT;
		if (r->type != MEM_USABLE || r->base > PAGE_MASK || s >= e)
			continue;
		lo = MIN(lo, s);
		hi = MAX(hi, e);
	}
	if (lo >= hi) {
		pr_err("pmm: no usable memory\n");
		return -1;
	}

	/* Everything that is never handed out. Other region types are
	 * excluded too, in case the map still has overlaps. */
	add_excl(0, MiB(1));
	if (bi->kernel_end > bi->kernel_start)
		add_excl(bi->kernel_start, bi->kernel_end - bi->kernel_start);
	for (size_t i = 0; i < bi->nmods && i < BOOT_MAX_MODULES; i++)
		add_excl(bi->mods[i].base, bi->mods[i].len);
	if (bi->has_fb)
		add_excl(bi->fb.addr, (uint64_t)bi->fb.pitch * bi->fb.height);
	for (size_t i = 0; i < bi->nmem; i++)
		if (bi->mem[i].type != MEM_USABLE)
			add_excl(bi->mem[i].base, bi->mem[i].len);

	/* Metadata: prefer memory above 16 MiB to spare ISA DMA space. */
	pmm.meta_pages = ALIGN_UP(hi - lo, PAGE_SIZE) >> PAGE_SHIFT;
	meta = find_meta(bi, pmm.meta_pages << PAGE_SHIFT, MiB(16));
	if (!meta)
		meta = find_meta(bi, pmm.meta_pages << PAGE_SHIFT, MiB(1));
	if (!meta) {
		pr_err("pmm: no room for %llu KiB of metadata\n",
		       (unsigned long long)pmm.meta_pages * 4);
		return -1;
	}
	add_excl(meta, pmm.meta_pages << PAGE_SHIFT);

	pmm.lo_pfn = lo;
	pmm.hi_pfn = hi;
	pmm.state_pa = meta;
	memset(fstate(lo), FS_NONE, hi - lo);

	/* Mark usable frames free (overlapping regions count once), unmark
	 * the exclusions, then put every remaining run on the free lists:
	 * buddies coalesce. Only FS_NONE and FS_FREE occur until then. */
	for (size_t i = 0; i < bi->nmem; i++)
		if (bi->mem[i].type == MEM_USABLE)
			usable += mark(ALIGN_UP(bi->mem[i].base, PAGE_SIZE),
				       region_end(&bi->mem[i]), FS_FREE);
	for (size_t i = 0; i < nexcl; i++)
		mark(excl[i].s, excl[i].e, FS_NONE);
	for (uint64_t p = lo; p < hi;) {
		uint64_t q = run_end(p, hi, FS_FREE);
		if (q > p) {
			pmm.total += q - p;
			pmm.nfree += q - p;
			give_back(p, q);
		}
		uint64_t r = q < hi ? run_end(q, hi, FS_NONE) : hi;
		p = r > q ? r : q + 1;
	}
	pmm.reserved = usable - pmm.total;
	pr_info("pmm: %llu MiB managed, %llu frames reserved, metadata "
		"%llu KiB at %#llx\n",
		(unsigned long long)(pmm.total >> (20 - PAGE_SHIFT)),
		(unsigned long long)pmm.reserved,
		(unsigned long long)pmm.meta_pages * 4,
		(unsigned long long)meta);
	return 0;
}
