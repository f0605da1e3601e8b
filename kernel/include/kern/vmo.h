/* Memory objects: a size and the frames behind it. Anonymous objects own
 * zeroed frames (allocated on first use, charged to a task's memory quota);
 * physical objects describe existing memory (the initrd, boot info, MMIO)
 * and never free it. Mappings (kern/uvm.h) hold references. */
#pragma once
#include <kern/list.h>
#include <kern/object.h>
#include <kern/spinlock.h>
#include <kern/types.h>
#include <kern/vm.h>
#include <kern/wait.h>

struct task;
struct port_send;
struct resource;

struct vmo {
	struct kobject obj;
	spinlock_t lock;      /* pages[] */
	uint64_t size;        /* bytes, page multiple */
	uint64_t npages;
	phys_addr_t *pages;   /* anonymous: 0 = not allocated yet */
	phys_addr_t phys_base;/* physical objects: contiguous base */
	bool physical;
	uint8_t cache;        /* enum vm_cache: how every mapping caches it;
			       * physical objects that are not WB are device
			       * memory (vmo_is_device) */
	bool dma;             /* contiguous, pinned: phys_base is readable
			       * with RIGHT_DMA (pages[] unused) */
	/* Pager-backed objects (kern/pager.h): pages appear only when the
	 * pager supplies them; absent ones are asked for on first touch. */
	struct port_send *pager; /* where faults go (a reference) */
	uint64_t pager_key;
	uint64_t supplied;       /* pages present; each charged on top */
	struct wait_queue pager_wq; /* its lock guards pager_reqs */
	struct list_node pager_reqs;
	struct resource *dma_auth; /* DMA: the budget it counts against */
	/* SYS_GRANT_NOTIFY: a port endpoint whose handle (reference and
	 * handle count, as if in transit) goes when the object is freed, so
	 * its no-senders notice tells that the memory is gone. NULL: none;
	 * VMO_NOTICE_CLAIMED while grant_notify() moves it in. */
	struct kobject *notice;
	/* Quota: obj.charge (size + pages array + header, to the creator's
	 * account, which it keeps alive: see vmo.c). */
};

#define VMO_MAX_SIZE (1ull << 36) /* 64 GiB */
#define VMO_NOTICE_CLAIMED ((struct kobject *)1)
/* One DMA object: a buddy block of the frame allocator at most. */
#define VMO_DMA_MAX (4ull << 20)

/* Charges t's account (NULL: the kernel's own object) before allocating:
 * ERR_NO_MEMORY over quota, at no cost to the kernel. */
int vmo_create(struct task *t, uint64_t size, struct vmo **out);
/* vmo_create, with commit_pages false: only the header and the pages
 * array are charged (pager-backed objects charge each page when it is
 * supplied, kern/pager.h). */
int vmo_create_common(struct task *t, uint64_t size, bool commit_pages,
		      struct vmo **out);
/* A physical object over [base, base+size) (size rounded up to pages),
 * owning nothing: destroying it frees no frame. Only the header is
 * charged (to the current task). cache: enum vm_cache. */
int vmo_create_physical(phys_addr_t base, uint64_t size, unsigned cache,
			struct vmo **out);
/* Device memory (MMIO): not in the direct map, only mapped, never read
 * or written by the kernel. */
static inline bool vmo_is_device(const struct vmo *v)
{
	return v->physical && v->cache != VM_CACHE_WB;
}
/* DMA memory: size bytes (page multiple after rounding) of physically
 * contiguous, zeroed frames, all allocated now and never moved or freed
 * before the object goes. Charged to t like vmo_create. */
int vmo_create_dma(struct task *t, uint64_t size, struct vmo **out);
/* Frame behind page `index`, allocating (zeroed) if needed; 0 on OOM or
 * out of range. Pager-backed objects never allocate here: 0 when the page
 * was not supplied yet. */
phys_addr_t vmo_get_page(struct vmo *v, uint64_t index);
/* Kernel-buffer access. 0, ERR_OUT_OF_RANGE (offset + len past the end),
 * ERR_NO_MEMORY (write: no frame or quota; nothing written then) or
 * ERR_NOT_SUPPORTED (device memory, vmo_is_device). Reads of pages never
 * written give zeros without allocating. */
int vmo_read(struct vmo *v, uint64_t offset, void *buf, size_t len);
int vmo_write(struct vmo *v, uint64_t offset, const void *buf, size_t len);
/* User-buffer access: the same, plus ERR_FAULT for a bad user buffer
 * (checked up front; a fault in the middle leaves a partial copy). */
int vmo_read_user(struct vmo *v, uint64_t offset, void *ubuf, size_t len);
int vmo_write_user(struct vmo *v, uint64_t offset, const void *ubuf,
		   size_t len);
