/* Kernel page tables (implemented by the arch): map, unmap and protect 4 KiB
 * and 2 MiB pages, with TLB invalidation on every CPU that may hold the
 * mapping. */
#pragma once
#include <kern/bootinfo.h>
#include <kern/types.h>

#define VM_READ     0x01
#define VM_WRITE    0x02
#define VM_EXEC     0x04
#define VM_USER     0x08
#define VM_UNCACHED 0x10 /* device memory */
#define VM_GLOBAL   0x20 /* kernel mappings shared by every address space */
#define VM_WC       0x40 /* write-combining (framebuffers); not with UNCACHED */

/* How a memory object's mappings are cached (struct vmo.cache). */
enum vm_cache {
	VM_CACHE_WB = 0, /* RAM: write-back */
	VM_CACHE_UC,     /* device registers: uncached */
	VM_CACHE_WC,     /* framebuffers: write-combining */
};

/* The VM_* cache flag (0, VM_UNCACHED or VM_WC) that gives mappings cache
 * type c on this machine: the arch knows what its page tables can encode
 * (x86: WC needs the PAT; without one WC falls back to UC). */
unsigned arch_vm_cache_flags(enum vm_cache c);

struct vm_space; /* one page-table tree */

extern struct vm_space kernel_space;

/* Before pmm_init(): makes the boot direct map reach all RAM (the boot
 * tables cover 0-4 GiB only, and the frame allocator writes into every free
 * frame); RAM it cannot reach is dropped from bi's map, with a warning. */
void arch_mm_early_init(struct boot_info *bi);
/* Builds the kernel's own tables (direct map of all RAM, W^X image,
 * no identity map) and switches to them. */
void arch_mm_init(const struct boot_info *bi);

/* size and addresses must be aligned to the page size used: 4 KiB, or
 * 2 MiB when `large` is true. Return 0 or a negative error (-1: bad
 * argument or already mapped, -2: out of memory). */
int vm_map(struct vm_space *s, virt_addr_t va, phys_addr_t pa, size_t size,
	   unsigned flags, bool large);
int vm_unmap(struct vm_space *s, virt_addr_t va, size_t size);
int vm_protect(struct vm_space *s, virt_addr_t va, size_t size,
	       unsigned flags);
/* Physical address behind va (and its VM_* flags), or false. */
bool vm_translate(struct vm_space *s, virt_addr_t va, phys_addr_t *pa,
		  unsigned *flags);

/* User address spaces: a PML4 whose kernel half (entries 256-511) points
 * at the kernel's shared PDPTs. NULL when out of memory. destroy frees every
 * page-table page of the user half (not the frames mapped there) and first
 * makes sure no CPU still has the space loaded. activate loads s (NULL: the
 * kernel's own tables) on this CPU. */
struct vm_space *vm_space_create(void);
void vm_space_destroy(struct vm_space *s);
void vm_space_activate(struct vm_space *s);
/* For idle and kernel threads: keep the loaded user space (lazy TLB), and
 * leave it at the first shootdown that reaches this CPU (arch). */
void vm_space_lazy(void);
bool vm_space_leave_lazy(void);
/* Page-table pages of a space made by vm_space_create (PML4 included). */
uint64_t vm_space_tables(struct vm_space *s);

/* Uncached mapping of device registers; never unmapped. */
void *ioremap(phys_addr_t pa, size_t len);
