/* Memory objects: a size and the frames behind it. Anonymous objects own
 * zeroed frames (allocated on first use, charged to a task's memory quota);
 * physical objects describe existing memory (the initrd, boot info, MMIO)
 * and never free it. Mappings (kern/uvm.h) hold references. */
#pragma once
#include <kern/object.h>
#include <kern/spinlock.h>
#include <kern/types.h>

struct task;

struct vmo {
	struct kobject obj;
	spinlock_t lock;
	uint64_t size;        /* bytes, page multiple */
	uint64_t npages;
	phys_addr_t *pages;   /* anonymous: 0 = not allocated yet */
	phys_addr_t phys_base;/* physical objects: contiguous base */
	bool physical;
	bool uncached;        /* device memory */
	struct task *charged; /* quota owner (reference), NULL if physical */
};

#define VMO_MAX_SIZE (1ull << 36) /* 64 GiB */

int vmo_create(struct task *charge, uint64_t size, struct vmo **out);
int vmo_create_physical(phys_addr_t base, uint64_t size, bool uncached,
			struct vmo **out);
/* Frame behind page `index`, allocating (zeroed) if needed; 0 on OOM or
 * out of range. */
phys_addr_t vmo_get_page(struct vmo *v, uint64_t index);
/* Kernel-buffer access. */
int vmo_read(struct vmo *v, uint64_t offset, void *buf, size_t len);
int vmo_write(struct vmo *v, uint64_t offset, const void *buf, size_t len);
/* User-buffer access (copies through the user pointer with fault checks). */
int vmo_read_user(struct vmo *v, uint64_t offset, void *ubuf, size_t len);
int vmo_write_user(struct vmo *v, uint64_t offset, const void *ubuf,
		   size_t len);
