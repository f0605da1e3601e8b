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

struct uvm_mapping {
	struct list_node node; /* sorted by start */
	uint64_t start, len;   /* page-aligned */
	uint32_t prot;         /* VM_PROT_* */
	struct vmo *vmo;       /* holds a reference */
	uint64_t offset;       /* into vmo */
};

struct uvm {
	spinlock_t lock;
	struct vm_space *space; /* arch page tables */
	struct list_node mappings;
	struct task *task;      /* charged for page tables (no reference) */
	uint64_t mapped_bytes;
};

int uvm_create(struct task *task, struct uvm **out);
/* When the task dies: unmap everything (memory returns at once) and refuse
 * new mappings (ERR_BAD_STATE). The structure stays valid for racing
 * callers until uvm_destroy(), when the task object goes. */
void uvm_release(struct uvm *u);
void uvm_destroy(struct uvm *u);
/* Maps len bytes of vmo (NULL: fresh anonymous memory) at addr (with
 * VM_MAP_FIXED) or at a free place; frames are mapped eagerly. */
int uvm_map(struct uvm *u, struct vmo *vmo, uint64_t addr, uint64_t len,
	    uint64_t offset, uint32_t prot, uint32_t flags, uint64_t *out);
int uvm_unmap(struct uvm *u, uint64_t addr, uint64_t len);
int uvm_protect(struct uvm *u, uint64_t addr, uint64_t len, uint32_t prot);
/* Loads u's page tables on this CPU (NULL: kernel only). */
void uvm_activate(struct uvm *u);
