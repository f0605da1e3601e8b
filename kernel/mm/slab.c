/* Slab allocator: caches of fixed-size objects carved from runs of frames
 * taken from the frame allocator, plus kmalloc() on top.
 *
 * A slab is 2^k frames (k <= SLAB_MAX_ORDER), aligned to its own size, with
 * its header at the start, so the slab of an object is found by aligning
 * its physical address down. kmalloc slabs are all of the largest slab
 * size, so kfree() finds the header without knowing the size class, and a
 * slab is always a whole buddy block: a smaller slab aligned to 32 KiB
 * would split a block whose other 7/8 could never serve a slab again
 * (1M small objects once left 420 MiB free in pieces no kmalloc could
 * use).
 * Design and invariants: docs/memory.md. */
#include <kern/lib.h>
#include <kern/log.h>
#include <kern/mm.h>
#include <kern/pmm.h>
#include <kern/slab.h>
#include <kern/spinlock.h>

#define SLAB_MAGIC     0x51ab0bec75ca11edull
#define SLAB_MAX_ORDER 3    /* slabs of up to 8 frames (32 KiB) */
#define SLAB_MAX_OBJS  2048 /* bound for the per-slab allocation bitmap */
#define MIN_OBJ_SIZE   16   /* room for the free-list link, and then some */
#define MAX_CACHES     64

#define KMALLOC_MIN_SHIFT  4  /* 16 B */
#define KMALLOC_MAX_SHIFT  11 /* 2 KiB */
#define KMALLOC_CLASSES	   (KMALLOC_MAX_SHIFT - KMALLOC_MIN_SHIFT + 1)
#define KMALLOC_SLAB_PAGES (1u << SLAB_MAX_ORDER)
#define BIG_BUCKETS	   256

enum { SL_PARTIAL, SL_FULL, SL_EMPTY, SL_NLISTS };

/* Slab header, at the start of the slab's first frame. */
struct slab {
	uint64_t magic; /* SLAB_MAGIC ^ own address: stale pages don't match */
	struct kmem_cache *cache;
	struct slab *next, *prev;
	void *free; /* free objects, linked through their first word */
	uint32_t inuse;
	uint32_t list;			   /* SL_* list the slab is on */
	uint64_t used[SLAB_MAX_OBJS / 64]; /* 1 = allocated: double frees */
};

struct slab_list {
	struct slab *head;
	uint64_t n;
};

struct kmem_cache {
	spinlock_t lock;
	bool active;
	bool is_kmalloc;
	const char *name;
	size_t obj_size;  /* after rounding to the alignment */
	size_t first_off; /* offset of object 0 from the slab start */
	uint32_t objs_per_slab;
	uint32_t slab_pages;  /* frames per slab, a power of two */
	uint32_t align_pages; /* slab base alignment, >= slab_pages */
	struct slab_list lists[SL_NLISTS];
	uint64_t objs_in_use, slabs, allocs, frees;
};

/* A live kmalloc() of more than 2 KiB: whole frames, size kept here. */
struct big_alloc {
	phys_addr_t pa;
	size_t npages;
	struct big_alloc *next;
};

static struct kmem_cache caches[MAX_CACHES]; /* the cache of caches */
static spinlock_t caches_lock = SPINLOCK_INIT;
static bool kmalloc_ready;
static struct kmem_cache *kmalloc_caches[KMALLOC_CLASSES];
static struct kmem_cache *big_cache;
static spinlock_t big_lock = SPINLOCK_INIT;
static struct big_alloc *big_table[BIG_BUCKETS];

static inline uint64_t slab_magic(const struct slab *s)
{
	return SLAB_MAGIC ^ (uint64_t)(uintptr_t)s;
}

static inline char *obj_at(const struct kmem_cache *c, struct slab *s, size_t i)
{
	return (char *)s + c->first_off + i * c->obj_size;
}

/* Index of obj in slab s, or -1 if obj is not an object boundary. */
static long obj_index(const struct kmem_cache *c, struct slab *s,
		      const void *obj)
{
	uintptr_t first = (uintptr_t)obj_at(c, s, 0), p = (uintptr_t)obj;
	size_t i;

	if (p < first || (p - first) % c->obj_size)
		return -1;
	i = (p - first) / c->obj_size;
	return i < c->objs_per_slab ? (long)i : -1;
}

/* Slab header candidate for obj: alignment is physical, since only the
 * physical base of a slab is aligned to the slab size. */
static struct slab *slab_of(const struct kmem_cache *c, const void *obj)
{
	size_t span = (size_t)c->align_pages << PAGE_SHIFT;
	return phys_to_virt(ALIGN_DOWN(virt_to_phys(obj), span));
}

static void list_push(struct kmem_cache *c, struct slab *s, uint32_t which)
{
	struct slab_list *l = &c->lists[which];
	s->prev = NULL;
	s->next = l->head;
	if (l->head)
		l->head->prev = s;
	l->head = s;
	l->n++;
	s->list = which;
}

static void list_remove(struct kmem_cache *c, struct slab *s)
{
	struct slab_list *l = &c->lists[s->list];
	if (s->prev)
		s->prev->next = s->next;
	else
		l->head = s->next;
	if (s->next)
		s->next->prev = s->prev;
	l->n--;
}

static void list_move(struct kmem_cache *c, struct slab *s, uint32_t which)
{
	if (s->list != which) {
		list_remove(c, s);
		list_push(c, s, which);
	}
}

static struct slab *new_slab(struct kmem_cache *c)
{
	phys_addr_t pa = pmm_alloc_contig(c->slab_pages, c->align_pages, 0);
	struct slab *s;

	if (!pa)
		return NULL;
	s = phys_to_virt(pa);
	memset(s, 0, sizeof(*s));
	s->magic = slab_magic(s);
	s->cache = c;
	for (size_t i = c->objs_per_slab; i-- > 0;) {
		void **o = (void **)obj_at(c, s, i);
		*o = s->free;
		s->free = o;
	}
	list_push(c, s, SL_EMPTY);
	c->slabs++;
	return s;
}

static void release_slab(struct kmem_cache *c, struct slab *s)
{
	list_remove(c, s);
	s->magic = 0; /* stale pointers into the old slab must not match */
	c->slabs--;
	pmm_free_contig(virt_to_phys(s), c->slab_pages);
}

/* Picks the smallest slab size whose leftover is at most 1/8 of it, or
 * else the one with the smallest leftover fraction (kmalloc: always the
 * largest). */
static bool choose_layout(struct kmem_cache *c, size_t align)
{
	size_t best_waste = 0, best_bytes = 0;
	unsigned best = 0;
	uint32_t best_n = 0;

	c->first_off = ALIGN_UP(sizeof(struct slab), align);
	for (unsigned o = c->is_kmalloc ? SLAB_MAX_ORDER : 0;
	     o <= SLAB_MAX_ORDER; o++) {
		size_t bytes = PAGE_SIZE << o, n, waste;
		if (bytes <= c->first_off ||
		    (n = (bytes - c->first_off) / c->obj_size) == 0)
			continue;
		n = MIN(n, (size_t)SLAB_MAX_OBJS);
		waste = bytes - c->first_off - n * c->obj_size;
		if (!best_n || waste * best_bytes < best_waste * bytes) {
			best = o;
			best_n = (uint32_t)n;
			best_waste = waste;
			best_bytes = bytes;
		}
		if (waste * 8 <= bytes)
			break;
	}
	c->slab_pages = 1u << best;
	c->align_pages = c->slab_pages;
	c->objs_per_slab = best_n;
	return best_n > 0;
}

__cold static struct kmem_cache *cache_create(const char *name, size_t size,
					      size_t align, bool is_kmalloc)
{
	struct kmem_cache *c = NULL;
	unsigned long flags;

	if (!align)
		align = sizeof(void *);
	if (!size || (align & (align - 1)) || align > PAGE_SIZE ||
	    size > (PAGE_SIZE << SLAB_MAX_ORDER))
		return NULL;

	flags = spin_lock_irqsave(&caches_lock);
	for (size_t i = 0; i < MAX_CACHES; i++) {
		if (!caches[i].active) {
			c = &caches[i];
			break;
		}
	}
	if (c) {
		memset(c, 0, sizeof(*c));
		c->name = name;
		c->obj_size = ALIGN_UP(MAX(size, (size_t)MIN_OBJ_SIZE), align);
		c->is_kmalloc = is_kmalloc;
		if (choose_layout(c, align))
			c->active = true;
		else
			c = NULL;
	}
	spin_unlock_irqrestore(&caches_lock, flags);
	return c;
}

struct kmem_cache *kmem_cache_create(const char *name, size_t size,
				     size_t align)
{
	return cache_create(name, size, align, false);
}

void *kmem_cache_alloc(struct kmem_cache *c)
{
	unsigned long flags = spin_lock_irqsave(&c->lock);
	struct slab *s = c->lists[SL_PARTIAL].head;
	void *obj;
	long i;

	if (!s)
		s = c->lists[SL_EMPTY].head;
	if (!s)
		s = new_slab(c);
	if (!s) {
		spin_unlock_irqrestore(&c->lock, flags);
		return NULL;
	}
	obj = s->free;
	i = obj_index(c, s, obj);
	if (i < 0 || (s->used[i / 64] & (1ull << (i % 64)))) {
		spin_unlock_irqrestore(&c->lock, flags);
		panic("slab %s: free list corrupted at %p (use after free?)",
		      c->name, obj);
	}
	s->free = *(void **)obj;
	s->used[i / 64] |= 1ull << (i % 64);
	s->inuse++;
	list_move(c, s, s->inuse == c->objs_per_slab ? SL_FULL : SL_PARTIAL);
	c->objs_in_use++;
	c->allocs++;
	spin_unlock_irqrestore(&c->lock, flags);
	memset(obj, 0, c->obj_size);
	return obj;
}

void kmem_cache_free(struct kmem_cache *c, void *obj)
{
	struct slab *s;
	unsigned long flags;
	const char *why = NULL;
	long i = -1;

	if (!obj)
		return;
	s = slab_of(c, obj);
	flags = spin_lock_irqsave(&c->lock);
	if (s->magic != slab_magic(s) || s->cache != c)
		why = "not from this cache";
	else if ((i = obj_index(c, s, obj)) < 0)
		why = "not an object boundary";
	else if (!(s->used[i / 64] & (1ull << (i % 64))))
		why = "double free";
	if (why) {
		spin_unlock_irqrestore(&c->lock, flags);
		panic("kmem_cache_free(%s, %p): %s", c->name, obj, why);
	}
	s->used[i / 64] &= ~(1ull << (i % 64));
	*(void **)obj = s->free;
	s->free = obj;
	s->inuse--;
	c->objs_in_use--;
	c->frees++;
	if (s->inuse)
		list_move(c, s, SL_PARTIAL);
	else if (c->lists[SL_EMPTY].n) /* keep one spare, return the rest */
		release_slab(c, s);
	else
		list_move(c, s, SL_EMPTY);
	spin_unlock_irqrestore(&c->lock, flags);
}

void kmem_cache_shrink(struct kmem_cache *c)
{
	unsigned long flags = spin_lock_irqsave(&c->lock);
	while (c->lists[SL_EMPTY].head)
		release_slab(c, c->lists[SL_EMPTY].head);
	spin_unlock_irqrestore(&c->lock, flags);
}

int kmem_cache_destroy(struct kmem_cache *c)
{
	unsigned long flags;

	if (!c)
		return -1;
	flags = spin_lock_irqsave(&c->lock);
	if (c->objs_in_use) {
		spin_unlock_irqrestore(&c->lock, flags);
		return -1;
	}
	while (c->lists[SL_EMPTY].head)
		release_slab(c, c->lists[SL_EMPTY].head);
	spin_unlock_irqrestore(&c->lock, flags);

	flags = spin_lock_irqsave(&caches_lock);
	c->active = false;
	spin_unlock_irqrestore(&caches_lock, flags);
	return 0;
}

void kmem_cache_get_stats(struct kmem_cache *c, struct kmem_cache_stats *st)
{
	unsigned long flags = spin_lock_irqsave(&c->lock);
	st->name = c->name;
	st->obj_size = c->obj_size;
	st->objs_in_use = c->objs_in_use;
	st->slabs = c->slabs;
	st->allocs = c->allocs;
	st->frees = c->frees;
	spin_unlock_irqrestore(&c->lock, flags);
}

uint64_t kmem_objects_in_use(void)
{
	uint64_t sum = 0;
	unsigned long flags = spin_lock_irqsave(&caches_lock);
	for (size_t i = 0; i < MAX_CACHES; i++)
		if (caches[i].active)
			sum += READ_ONCE(caches[i].objs_in_use);
	spin_unlock_irqrestore(&caches_lock, flags);
	return sum;
}

uint64_t kmem_cached_frames(void)
{
	uint64_t sum = 0;
	unsigned long flags = spin_lock_irqsave(&caches_lock);
	for (size_t i = 0; i < MAX_CACHES; i++)
		if (caches[i].active)
			sum += READ_ONCE(caches[i].lists[SL_EMPTY].n) *
			       caches[i].slab_pages;
	spin_unlock_irqrestore(&caches_lock, flags);
	return sum;
}

uint64_t kmem_slab_frames(void)
{
	uint64_t sum = 0;
	unsigned long flags = spin_lock_irqsave(&caches_lock);
	for (size_t i = 0; i < MAX_CACHES; i++)
		if (caches[i].active)
			sum += READ_ONCE(caches[i].slabs) * caches[i].slab_pages;
	spin_unlock_irqrestore(&caches_lock, flags);
	return sum;
}

/* ---- kmalloc ---- */

static const char *const kmalloc_names[KMALLOC_CLASSES] = {
	"kmalloc-16",  "kmalloc-32",  "kmalloc-64",   "kmalloc-128",
	"kmalloc-256", "kmalloc-512", "kmalloc-1024", "kmalloc-2048",
};

static void kmalloc_setup(void)
{
	for (unsigned i = 0; i < KMALLOC_CLASSES; i++) {
		struct kmem_cache *c = cache_create(
			kmalloc_names[i], (size_t)1 << (KMALLOC_MIN_SHIFT + i),
			16, true);
		BUG_ON(!c);
		BUG_ON(c->slab_pages != KMALLOC_SLAB_PAGES);
		kmalloc_caches[i] = c;
	}
	big_cache =
		cache_create("kmalloc-big", sizeof(struct big_alloc), 0, false);
	BUG_ON(!big_cache);
}

static void kmalloc_ensure_ready(void)
{
	static spinlock_t once = SPINLOCK_INIT;
	unsigned long flags;

	if (likely(__atomic_load_n(&kmalloc_ready, __ATOMIC_ACQUIRE)))
		return;
	flags = spin_lock_irqsave(&once);
	if (!kmalloc_ready) {
		kmalloc_setup();
		__atomic_store_n(&kmalloc_ready, true, __ATOMIC_RELEASE);
	}
	spin_unlock_irqrestore(&once, flags);
}

void kmem_init(void)
{
	memset(caches, 0, sizeof(caches));
	memset(kmalloc_caches, 0, sizeof(kmalloc_caches));
	memset(big_table, 0, sizeof(big_table));
	big_cache = NULL;
	caches_lock = (spinlock_t)SPINLOCK_INIT;
	big_lock = (spinlock_t)SPINLOCK_INIT;
	kmalloc_ready = false;
	kmalloc_ensure_ready();
}

static inline size_t big_hash(phys_addr_t pa)
{
	return (size_t)(((pa >> PAGE_SHIFT) * 0x9e3779b97f4a7c15ull) >> 56);
}

static void *kmalloc_big(size_t size)
{
	size_t npages = (size >> PAGE_SHIFT) + !!(size & (PAGE_SIZE - 1));
	struct big_alloc *b = kmem_cache_alloc(big_cache);
	unsigned long flags;
	phys_addr_t pa;

	if (!b)
		return NULL;
	pa = pmm_alloc_contig(npages, 1, 0);
	if (!pa) {
		kmem_cache_free(big_cache, b);
		return NULL;
	}
	b->pa = pa;
	b->npages = npages;
	flags = spin_lock_irqsave(&big_lock);
	b->next = big_table[big_hash(pa)];
	big_table[big_hash(pa)] = b;
	spin_unlock_irqrestore(&big_lock, flags);
	memset(phys_to_virt(pa), 0, size);
	return phys_to_virt(pa);
}

size_t kmalloc_footprint(size_t size)
{
	if (size > ((size_t)1 << KMALLOC_MAX_SHIFT))
		return ALIGN_UP(size, PAGE_SIZE);
	size_t c = (size_t)1 << KMALLOC_MIN_SHIFT;
	while (c < size)
		c <<= 1;
	return c;
}

void *kmalloc(size_t size)
{
	unsigned shift = KMALLOC_MIN_SHIFT;

	if (!size)
		return NULL;
	kmalloc_ensure_ready();
	if (size > ((size_t)1 << KMALLOC_MAX_SHIFT))
		return kmalloc_big(size);
	while (((size_t)1 << shift) < size)
		shift++;
	return kmem_cache_alloc(kmalloc_caches[shift - KMALLOC_MIN_SHIFT]);
}

void kfree(void *p)
{
	phys_addr_t pa;
	struct slab *s;
	struct kmem_cache *c;

	if (!p)
		return;
	pa = virt_to_phys(p);
	if (IS_ALIGNED(pa, PAGE_SIZE)) {
		unsigned long flags = spin_lock_irqsave(&big_lock);
		struct big_alloc **pp = &big_table[big_hash(pa)], *b;
		while ((b = *pp) && b->pa != pa)
			pp = &b->next;
		if (b)
			*pp = b->next;
		spin_unlock_irqrestore(&big_lock, flags);
		if (b) {
			pmm_free_contig(b->pa, b->npages);
			kmem_cache_free(big_cache, b);
			return;
		}
		/* Not a large block: an object inside a slab (validated). */
	}
	s = phys_to_virt(
		ALIGN_DOWN(pa, (phys_addr_t)KMALLOC_SLAB_PAGES << PAGE_SHIFT));
	c = s->cache;
	/* Validate before trusting the header's cache pointer. */
	if (s->magic != slab_magic(s) || (uintptr_t)c < (uintptr_t)caches ||
	    (uintptr_t)c >= (uintptr_t)(caches + MAX_CACHES) || !c->is_kmalloc)
		panic("kfree(%p): not allocated by kmalloc", p);
	kmem_cache_free(c, p);
}
