/* User address spaces: the lower half of a task's page tables (the kernel
 * half is shared), described by a sorted list of mappings of memory
 * objects. W^X holds for every mapping. */
#pragma once
#include <kern/list.h>
#include <kern/spinlock.h>
#include <kern/types.h>

struct task;
struct vmo;
struct vm_space;
struct grant_map;

struct uvm_mapping {
	struct list_node node; /* sorted by start */
	uint64_t start, len;   /* page-aligned */
	uint32_t prot;         /* VM_PROT_* */
	uint32_t max_prot;     /* what uvm_protect may grant */
	struct vmo *vmo;       /* holds a reference */
	uint64_t offset;       /* into vmo */
	struct grant_map *gmap; /* made by grant_map(): never split */
};

struct uvm {
	/* Held with interrupts off (bounded work, no sleeping) but acquired
	 * with interrupts on, so a waiter keeps serving TLB shootdowns. */
	spinlock_t lock;
	struct vm_space *space; /* arch page tables */
	struct list_node mappings;
	struct task *task;      /* charged for page tables (no reference) */
	uint64_t mapped_bytes;
	uint64_t tables_charged; /* bytes of page tables charged to task */
	bool dead;               /* released: refuses every change */
};

/* uvm_map flags beyond VM_MAP_FIXED (kernel only): the most uvm_protect
 * may ever grant the mapping, from the vmo handle's rights. Without it
 * (0), anything W^X allows. prot must be within it (ERR_ACCESS_DENIED). */
#define UVM_MAP_MAX_PROT(p) ((uint32_t)(p) << 8)

/* Charges the PML4 to task: ERR_NO_MEMORY below a one-page quota. */
int uvm_create(struct task *task, struct uvm **out);
/* When the task dies: unmap everything (memory returns at once) and refuse
 * new mappings (ERR_BAD_STATE). The structure stays valid for racing
 * callers (another task's SYS_VM_*) until uvm_destroy(). */
void uvm_release(struct uvm *u);
/* When the task object goes: no other uvm call may run concurrently or
 * after; frees the page tables and returns the remaining charges. */
void uvm_destroy(struct uvm *u);
/* Maps len bytes of vmo (NULL: fresh anonymous memory) at addr (with
 * VM_MAP_FIXED) or at a free place; frames are mapped eagerly (pager
 * memory by its faults). Errors:
 * ERR_INVALID_ARGS (alignment, len 0, prot bits, W+X, prot 0, flags),
 * ERR_OUT_OF_RANGE (fixed range outside user space, offset + len past
 * the vmo, anonymous len > VMO_MAX_SIZE), ERR_ACCESS_DENIED (prot beyond
 * UVM_MAP_MAX_PROT), ERR_ALREADY_EXISTS (fixed range overlaps a mapping),
 * ERR_NO_MEMORY (no free range, no frame or over quota: nothing done). */
int uvm_map(struct uvm *u, struct vmo *vmo, uint64_t addr, uint64_t len,
	    uint64_t offset, uint32_t prot, uint32_t flags, uint64_t *out);
/* Unmaps whatever is mapped in the range (holes are fine: 0), splitting
 * mappings. ERR_INVALID_ARGS (alignment, len 0, or the range cuts a grant
 * mapping, which only goes whole), ERR_OUT_OF_RANGE (not inside user
 * space), ERR_NO_MEMORY (no memory to split a mapping). */
int uvm_unmap(struct uvm *u, uint64_t addr, uint64_t len);
/* All or nothing: ERR_NOT_FOUND when part of the range is not mapped,
 * ERR_ACCESS_DENIED beyond a mapping's max_prot, else as uvm_unmap plus
 * the prot checks of uvm_map. */
int uvm_protect(struct uvm *u, uint64_t addr, uint64_t len, uint32_t prot);
/* A mapping made for a grant (kern/grant.h): as uvm_map without
 * VM_MAP_FIXED, with max_prot as its ceiling; the mapping carries gm and
 * calls grant_mapping_gone(gm) when it goes (unmap, revoke, task death). */
int uvm_map_grant(struct uvm *u, struct vmo *vmo, uint64_t hint,
		  uint64_t len, uint64_t offset, uint32_t prot,
		  uint32_t max_prot, struct grant_map *gm, uint64_t *out);
/* Removes the grant mapping carrying gm (gm != NULL) or the one starting
 * at addr (gm == NULL). ERR_NOT_FOUND when there is none, ERR_BAD_STATE
 * after uvm_release. */
int uvm_unmap_grant(struct uvm *u, struct grant_map *gm, uint64_t addr);
/* The memory object behind [addr, addr + len), which must lie inside one
 * mapping (not a grant mapping: ERR_ACCESS_DENIED): a new reference in
 * *vmo, the offset of addr in it and the mapping's prot. ERR_NOT_FOUND
 * otherwise, ERR_INVALID_ARGS / ERR_OUT_OF_RANGE for a bad range. */
int uvm_lookup_vmo(struct uvm *u, uint64_t addr, uint64_t len,
		   struct vmo **vmo, uint64_t *offset, uint32_t *prot);
/* Page faults on lazily mapped (pager) memory, kern/pager.h. The object,
 * offset and prot of the mapping holding va (grants included; a new
 * reference): ERR_NOT_FOUND when none. */
int uvm_fault_find(struct uvm *u, uint64_t va, struct vmo **vmo,
		   uint64_t *offset, uint32_t *prot);
/* Maps frames pa[0..n) at va.. if va still maps vmo at offset (the pages
 * after the first only as far as the mapping goes), skipping pages mapped
 * already: 0, 1 when va no longer maps that page (the retried access
 * faults again), ERR_NO_MEMORY when the first page's table does not fit
 * the quota (later pages are left to their own faults). */
int uvm_fault_map(struct uvm *u, uint64_t va, struct vmo *vmo,
		  uint64_t offset, const phys_addr_t *pa, unsigned n);
/* Loads u's page tables on this CPU (NULL: idle or a kernel thread,
 * which keeps the loaded ones: vm_space_lazy). */
void uvm_activate(struct uvm *u);
