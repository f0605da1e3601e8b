/* Slab allocator for fixed-size kernel objects, backed by the frame
 * allocator. Each cache counts its live objects so tests prove no leaks. */
#pragma once
#include <kern/types.h>

struct kmem_cache;

struct kmem_cache_stats {
	const char *name;
	size_t obj_size;
	uint64_t objs_in_use;
	uint64_t slabs;     /* pages (or page runs) held by the cache */
	uint64_t allocs, frees;
};

struct kmem_cache *kmem_cache_create(const char *name, size_t size,
				     size_t align);
/* Frees the cache; fails (returns -1) if objects are still in use. */
int kmem_cache_destroy(struct kmem_cache *c);
void *kmem_cache_alloc(struct kmem_cache *c); /* zeroed; NULL when OOM */
void kmem_cache_free(struct kmem_cache *c, void *obj);
void kmem_cache_get_stats(struct kmem_cache *c, struct kmem_cache_stats *st);
/* Returns every empty slab to the frame allocator. */
void kmem_cache_shrink(struct kmem_cache *c);

/* General-purpose power-of-two size classes (16 B .. 2 KiB) on top of the
 * caches; larger requests take whole frames. Memory is zeroed, 16-byte
 * aligned (page aligned above 2 KiB); kmalloc(0) returns NULL and
 * kfree(NULL) does nothing. */
void *kmalloc(size_t size);
void kfree(void *p);
/* Bytes kmalloc(size) really takes (its size class, or whole frames):
 * what quotas charge for it. */
size_t kmalloc_footprint(size_t size);

/* Sum of live objects over all caches (the leak-check counter); a live
 * large kmalloc counts as one object. */
uint64_t kmem_objects_in_use(void);
/* Frames held in empty spare slabs: free memory the caches keep at hand
 * (leak checks count them as free). */
uint64_t kmem_cached_frames(void);
/* Every frame held by slabs (full, partly used, spare). */
uint64_t kmem_slab_frames(void);

/* (Re)initializes the slab layer, forgetting every cache. Optional at boot
 * (the first kmalloc sets up its caches); host tests must call it after
 * each pmm_init() so no cache keeps slabs of the previous frame allocator. */
void kmem_init(void);
