/* 4-level page tables: map, unmap and protect 4 KiB and 2 MiB pages, TLB
 * invalidation with a shootdown hook for SMP, and ioremap. Tables are
 * reached through the direct map; empty tables are freed on unmap (except
 * the kernel half's PDPTs, which every future address space shares). */
#include <arch/cpu.h>
#include <arch/layout.h>
#include <arch/paging.h>
#include <arch/percpu.h>
#include <kern/lib.h>
#include <kern/log.h>
#include <kern/mm.h>
#include <kern/pmm.h>

struct vm_space kernel_space = {.root = 0, .lock = SPINLOCK_INIT};
void (*tlb_remote_flush)(uint64_t cpus, bool user, virt_addr_t va, size_t size);
bool vm_nx_enabled;

static uint64_t table_pages;
/* While the boot tables are live only 0-4 GiB is in the direct map, so
 * new tables must come from there. 0: no limit. */
static phys_addr_t table_limit;

#define ENTRIES 512
#define VM_ALLFLAGS                                                            \
	(VM_READ | VM_WRITE | VM_EXEC | VM_USER | VM_UNCACHED | VM_GLOBAL |    \
	 VM_WC)
#define PHYS_LIMIT (1ull << 52)
/* Above this many pages a full flush is cheaper than invlpg one by one. */
#define FLUSH_ALL_PAGES 64

/* Pages unlinked from the tree, freed only after the TLB shootdown. The
 * link lives in the dead table's first entry (P clear: a stale walk sees a
 * non-present entry). */
struct pending {
	phys_addr_t freed;
	virt_addr_t lo, last; /* range to invalidate; empty while lo > last */
};
#define PENDING_INIT                                                           \
	{                                                                      \
		0, ~0ull, 0                                                    \
	}

static inline uint64_t *entries(phys_addr_t pa)
{
	return phys_to_virt(pa);
}

static inline unsigned idx(virt_addr_t va, int level)
{
	return (va >> (PAGE_SHIFT + 9 * level)) & (ENTRIES - 1);
}

static inline bool is_user_va(virt_addr_t va)
{
	return va < VM_USER_TOP;
}

static inline bool canonical(virt_addr_t va)
{
	return va < VM_USER_TOP || va >= PHYSMAP_BASE;
}

void vm_set_table_limit(phys_addr_t limit)
{
	table_limit = limit;
}

static phys_addr_t alloc_table(void);

/* The PML4 comes from below `limit` (4 GiB: AP start-up code loads CR3 in
 * 32-bit mode). Every kernel-half PDPT exists from the start and is never
 * freed, so address spaces made later can share the kernel half by copying
 * PML4 entries 256-511. */
int vm_kernel_space_init(phys_addr_t limit)
{
	table_limit = limit;
	phys_addr_t root = alloc_table();
	if (!root)
		return VM_ENOMEM;
	uint64_t *pml4 = entries(root);
	for (unsigned i = ENTRIES / 2; i < ENTRIES; i++) {
		phys_addr_t t = alloc_table();
		if (!t)
			return VM_ENOMEM;
		pml4[i] = t | PTE_P | PTE_W;
	}
	kernel_space.root = root;
	return 0;
}

phys_addr_t vm_kernel_root(void)
{
	return kernel_space.root;
}

uint64_t vm_table_pages(void)
{
	return __atomic_load_n(&table_pages, __ATOMIC_RELAXED);
}

static phys_addr_t alloc_table(void)
{
	phys_addr_t pa =
		table_limit ? pmm_alloc_contig(1, 1, table_limit) : pmm_alloc();
	if (!pa)
		return 0;
	memset(entries(pa), 0, PAGE_SIZE);
	__atomic_fetch_add(&table_pages, 1, __ATOMIC_RELAXED);
	return pa;
}

phys_addr_t vm_table_alloc(void)
{
	return alloc_table();
}

void vm_table_free(phys_addr_t pa)
{
	__atomic_fetch_sub(&table_pages, 1, __ATOMIC_RELAXED);
	pmm_free(pa);
}

static void defer_free(struct pending *p, uint64_t *slot)
{
	phys_addr_t pa = *slot & PTE_ADDR;
	WRITE_ONCE(*slot, 0);
	entries(pa)[0] = p->freed;
	p->freed = pa;
}

static void widen(struct pending *p, virt_addr_t lo, virt_addr_t last)
{
	p->lo = MIN(p->lo, lo);
	p->last = MAX(p->last, last);
}

static uint64_t table_entry_flags(virt_addr_t va)
{
	return PTE_P | PTE_W | (is_user_va(va) ? PTE_U : 0);
}

static uint64_t leaf_bits(unsigned flags)
{
	uint64_t e = PTE_P;
	if (flags & VM_WRITE)
		e |= PTE_W;
	if (flags & VM_USER)
		e |= PTE_U;
	e |= pat_cache_bits(flags);
	if (flags & VM_GLOBAL)
		e |= PTE_G;
	if (!(flags & VM_EXEC) && vm_nx_enabled)
		e |= PTE_NX;
	return e;
}

static unsigned leaf_flags(uint64_t e)
{
	unsigned f = VM_READ;
	if (e & PTE_W)
		f |= VM_WRITE;
	if (!(e & PTE_NX))
		f |= VM_EXEC;
	if (e & PTE_U)
		f |= VM_USER;
	if (e & PTE_PCD)
		f |= VM_UNCACHED;
	else if (e & PTE_PWT)
		f |= VM_WC; /* PAT index 1 (pat.c) */
	if (e & PTE_G)
		f |= VM_GLOBAL;
	return f;
}

/* Leaf entry mapping va (a 2 MiB PDE or a PTE), *level = 1 or 0; NULL when
 * nothing maps va. */
static uint64_t *lookup(struct vm_space *s, virt_addr_t va, int *level)
{
	uint64_t *t = entries(s->root);
	for (int l = 3; l >= 0; l--) {
		uint64_t *e = &t[idx(va, l)];
		if (!(*e & PTE_P))
			return NULL;
		if (l == 0 || (l == 1 && (*e & PTE_PS))) {
			*level = l;
			return e;
		}
		t = entries(*e & PTE_ADDR);
	}
	return NULL;
}

/* Entry for va at `level` (1: PDE, 0: PTE), creating tables on the way.
 * NULL with *err set when a leaf is in the way or no frame is left. */
static uint64_t *walk_create(struct vm_space *s, virt_addr_t va, int level,
			     int *err)
{
	uint64_t *t = entries(s->root);
	for (int l = 3; l > level; l--) {
		uint64_t *e = &t[idx(va, l)];
		if (!(*e & PTE_P)) {
			phys_addr_t pa = alloc_table();
			if (!pa) {
				*err = VM_ENOMEM;
				return NULL;
			}
			s->tables++;
			WRITE_ONCE(*e, pa | table_entry_flags(va));
		} else if (*e & PTE_PS) {
			*err = VM_EINVAL;
			return NULL;
		}
		t = entries(*e & PTE_ADDR);
	}
	return &t[idx(va, level)];
}

/* True when mapping va at this size would overlap an existing mapping. */
static bool slot_used(struct vm_space *s, virt_addr_t va, bool large)
{
	uint64_t *t = entries(s->root);
	for (int l = 3; l >= (large ? 1 : 0); l--) {
		uint64_t e = t[idx(va, l)];
		if (!(e & PTE_P))
			return false;
		if (l == (large ? 1 : 0) || (e & PTE_PS))
			return true;
		t = entries(e & PTE_ADDR);
	}
	return true;
}

/* The page table (512 PTEs) covering va, NULL when none (a table above is
 * missing) or a 2 MiB leaf maps va (*large set). Callers then step through
 * its entries instead of walking from the root for every page. */
static uint64_t *pt_of(struct vm_space *s, virt_addr_t va, bool *large)
{
	uint64_t *t = entries(s->root);
	*large = false;
	for (int l = 3; l >= 1; l--) {
		uint64_t e = t[idx(va, l)];
		if (!(e & PTE_P))
			return NULL;
		if (e & PTE_PS) {
			*large = true;
			return NULL;
		}
		t = entries(e & PTE_ADDR);
	}
	return t;
}

/* Last address of the 2 MiB region of a, capped at last. */
static inline virt_addr_t chunk_last(virt_addr_t a, virt_addr_t last)
{
	return MIN(ALIGN_DOWN(a, LARGE_PAGE_SIZE) + LARGE_PAGE_SIZE - 1, last);
}

/* True when any 4 KiB page of [va, last] is mapped. */
static bool range_used(struct vm_space *s, virt_addr_t va, virt_addr_t last)
{
	for (virt_addr_t a = va;;) {
		virt_addr_t cl = chunk_last(a, last);
		bool large;
		uint64_t *t = pt_of(s, a, &large);
		if (large)
			return true;
		for (virt_addr_t b = a; t && b <= cl && b >= a; b += PAGE_SIZE)
			if (t[idx(b, 0)] & PTE_P)
				return true;
		if (cl >= last)
			return false;
		a = cl + 1;
	}
}

/* Common range checks: alignment, size, canonical and no overflow. */
static bool range_ok(struct vm_space *s, virt_addr_t va, size_t size,
		     size_t pgsz)
{
	if (!s || !s->root || !size || !IS_ALIGNED(va, pgsz) ||
	    !IS_ALIGNED(size, pgsz))
		return false;
	virt_addr_t last = va + size - 1;
	if (last < va || !canonical(va) || !canonical(last))
		return false;
	return is_user_va(va) == is_user_va(last);
}

static bool flags_ok(virt_addr_t va, unsigned flags)
{
	if (flags & ~VM_ALLFLAGS)
		return false;
	if (!(flags & (VM_READ | VM_WRITE | VM_EXEC)))
		return false;
	if ((flags & VM_WRITE) && (flags & VM_EXEC))
		return false; /* W^X */
	if ((flags & VM_UNCACHED) && (flags & VM_WC))
		return false;
	if (flags & VM_USER)
		return is_user_va(va) && !(flags & VM_GLOBAL);
	return true;
}

/* Replaces the 2 MiB leaf *pde (mapping base) by a table of 512 equal
 * 4 KiB entries. Transparent to users of the mapping. */
static int split_large(struct vm_space *s, uint64_t *pde, virt_addr_t base,
		       struct pending *p)
{
	phys_addr_t pt = alloc_table();
	if (!pt)
		return VM_ENOMEM;
	s->tables++;
	uint64_t old = *pde;
	uint64_t attrs = old & (PTE_P | PTE_W | PTE_U | PTE_PWT | PTE_PCD |
				PTE_A | PTE_D | PTE_G | PTE_NX);
	phys_addr_t pa = old & PTE_ADDR & ~(uint64_t)(LARGE_PAGE_SIZE - 1);
	uint64_t *t = entries(pt);
	for (unsigned i = 0; i < ENTRIES; i++)
		t[i] = attrs | (pa + i * PAGE_SIZE);
	WRITE_ONCE(*pde, pt | table_entry_flags(base));
	widen(p, base, base + LARGE_PAGE_SIZE - 1);
	return 0;
}

/* Makes sure no 2 MiB leaf straddles va (splits it if one does). */
static int split_at(struct vm_space *s, virt_addr_t va, struct pending *p)
{
	int level;
	if (IS_ALIGNED(va, LARGE_PAGE_SIZE) || !canonical(va))
		return 0;
	uint64_t *e = lookup(s, va, &level);
	if (!e || level != 1)
		return 0;
	return split_large(s, e, ALIGN_DOWN(va, LARGE_PAGE_SIZE), p);
}

static bool table_empty(phys_addr_t pa)
{
	const uint64_t *t = entries(pa);
	for (unsigned i = 0; i < ENTRIES; i++)
		if (t[i])
			return false;
	return true;
}

/* Frees the tables on va's path that became empty, deepest first. The
 * PML4 and the kernel half's PDPTs stay (future spaces share them). */
static void prune(struct vm_space *s, virt_addr_t va, struct pending *p)
{
	uint64_t *path[4];
	uint64_t *t = entries(s->root);
	int l, deepest = 4;
	for (l = 3; l >= 1; l--) {
		path[l] = &t[idx(va, l)];
		if (!(*path[l] & PTE_P) || (*path[l] & PTE_PS))
			break;
		deepest = l;
		t = entries(*path[l] & PTE_ADDR);
	}
	int top = is_user_va(va) ? 3 : 2;
	for (l = deepest; l <= top; l++) {
		if (!table_empty(*path[l] & PTE_ADDR))
			return;
		defer_free(p, path[l]);
		s->tables--;
		__atomic_fetch_sub(&table_pages, 1, __ATOMIC_RELAXED);
	}
}

/* Invalidates and releases what an operation left pending. Called without
 * the space lock (the shootdown may wait for other CPUs). */
static void finish(struct vm_space *s, struct pending *p)
{
	if (p->lo <= p->last)
		tlb_shootdown(s, p->lo, p->last - p->lo + 1);
	while (p->freed) {
		phys_addr_t pa = p->freed;
		p->freed = entries(pa)[0];
		pmm_free(pa);
	}
}

/* Clears every leaf in [va, last]; holes are skipped. */
static void unmap_locked(struct vm_space *s, virt_addr_t va, virt_addr_t last,
			 struct pending *p)
{
	for (virt_addr_t a = va;;) {
		virt_addr_t clast =
			ALIGN_DOWN(a, LARGE_PAGE_SIZE) + LARGE_PAGE_SIZE - 1;
		clast = MIN(clast, last);
		int level;
		uint64_t *e = lookup(s, a, &level);
		if (e && level == 1) {
			WRITE_ONCE(
				*e,
				0); /* whole 2 MiB page: split_at saw to it */
			widen(p, a, clast);
		} else {
			bool large;
			uint64_t *t = pt_of(s, a, &large);
			for (virt_addr_t b = a; t && b <= clast && b >= a;
			     b += PAGE_SIZE) {
				e = &t[idx(b, 0)];
				if (*e & PTE_P) {
					WRITE_ONCE(*e, 0);
					widen(p, b, b + PAGE_SIZE - 1);
				}
			}
		}
		prune(s, a, p);
		if (clast >= last)
			break;
		a = clast + 1;
	}
}

int vm_map(struct vm_space *s, virt_addr_t va, phys_addr_t pa, size_t size,
	   unsigned flags, bool large)
{
	size_t pgsz = large ? LARGE_PAGE_SIZE : PAGE_SIZE;
	if (!range_ok(s, va, size, pgsz) || !IS_ALIGNED(pa, pgsz) ||
	    pa + size < pa || pa + size > PHYS_LIMIT || !flags_ok(va, flags))
		return VM_EINVAL;
	uint64_t bits = leaf_bits(flags) | (large ? PTE_PS : 0);
	struct pending p = PENDING_INIT;
	int err = 0;
	unsigned long irq = spin_lock_irqsave(&s->lock);
	if (!large && range_used(s, va, va + size - 1))
		err = VM_EINVAL;
	for (size_t off = 0; large && !err && off < size; off += pgsz)
		if (slot_used(s, va + off, large))
			err = VM_EINVAL;
	size_t done = 0;
	while (!err && done < size) {
		uint64_t *e = walk_create(s, va + done, large ? 1 : 0, &err);
		if (!e)
			break;
		/* The rest of this table's entries need no walk of their own.
		 */
		size_t n = large ? 1 : 512 - idx(va + done, 0);
		n = MIN(n, (size - done) / pgsz);
		for (size_t i = 0; i < n; i++, done += pgsz)
			WRITE_ONCE(e[i], (pa + done) | bits);
	}
	if (err == VM_ENOMEM) {
		/* Roll back what was mapped and the tables made for it. */
		if (done)
			unmap_locked(s, va, va + done - 1, &p);
		prune(s, va + done, &p);
	}
	spin_unlock_irqrestore(&s->lock, irq);
	finish(s, &p);
	return err;
}

int vm_unmap(struct vm_space *s, virt_addr_t va, size_t size)
{
	if (!range_ok(s, va, size, PAGE_SIZE))
		return VM_EINVAL;
	struct pending p = PENDING_INIT;
	unsigned long irq = spin_lock_irqsave(&s->lock);
	int err = split_at(s, va, &p);
	if (!err)
		err = split_at(s, va + size, &p);
	if (!err)
		unmap_locked(s, va, va + size - 1, &p);
	spin_unlock_irqrestore(&s->lock, irq);
	finish(s, &p);
	return err;
}

int vm_protect(struct vm_space *s, virt_addr_t va, size_t size, unsigned flags)
{
	if (!range_ok(s, va, size, PAGE_SIZE) || !flags_ok(va, flags))
		return VM_EINVAL;
	virt_addr_t last = va + size - 1;
	struct pending p = PENDING_INIT;
	int level, err = 0;
	unsigned long irq = spin_lock_irqsave(&s->lock);
	/* All or nothing: every page must be mapped before anything moves. */
	for (virt_addr_t a = va; a <= last && a >= va;) {
		if (!lookup(s, a, &level)) {
			err = VM_EINVAL;
			break;
		}
		a = level ? ALIGN_DOWN(a, LARGE_PAGE_SIZE) + LARGE_PAGE_SIZE
			  : a + PAGE_SIZE;
	}
	if (!err)
		err = split_at(s, va, &p);
	if (!err)
		err = split_at(s, last + 1, &p);
	for (virt_addr_t a = va; !err && a <= last && a >= va;) {
		uint64_t *e = lookup(s, a, &level);
		uint64_t keep = *e & (PTE_ADDR | PTE_A | PTE_D | PTE_PS);
		WRITE_ONCE(*e, keep | leaf_bits(flags));
		virt_addr_t next = level ? a + LARGE_PAGE_SIZE : a + PAGE_SIZE;
		widen(&p, a, next - 1);
		a = next;
	}
	spin_unlock_irqrestore(&s->lock, irq);
	finish(s, &p);
	return err;
}

bool vm_translate(struct vm_space *s, virt_addr_t va, phys_addr_t *pa,
		  unsigned *flags)
{
	if (!s || !s->root || !canonical(va))
		return false;
	int level;
	unsigned long irq = spin_lock_irqsave(&s->lock);
	uint64_t *e = lookup(s, va, &level);
	uint64_t v = e ? *e : 0;
	spin_unlock_irqrestore(&s->lock, irq);
	if (!e)
		return false;
	uint64_t mask = level ? LARGE_PAGE_SIZE - 1 : PAGE_SIZE - 1;
	if (pa)
		*pa = (v & PTE_ADDR & ~mask) | (va & mask);
	if (flags)
		*flags = leaf_flags(v);
	return true;
}

/* --- TLB ------------------------------------------------------------- */

void tlb_flush_all_local(void)
{
	unsigned long irq = arch_irq_save();
	uint64_t cr4 = read_cr4();
	if (cr4 & CR4_PGE) {
		/* Toggling PGE drops global entries too, under every PCID. */
		write_cr4(cr4 & ~CR4_PGE);
		write_cr4(cr4);
	} else if (pcid_enabled) {
		write_cr4(cr4 | CR4_PGE);
		write_cr4(cr4);
	} else {
		write_cr3(read_cr3());
	}
	arch_irq_restore(irq);
}

void tlb_flush_local(virt_addr_t va, size_t size)
{
	size_t pages = (size + PAGE_SIZE - 1) / PAGE_SIZE;
	if (pages > FLUSH_ALL_PAGES) {
		tlb_flush_all_local();
		return;
	}
	for (size_t i = 0; i < pages; i++)
		invlpg(va + i * PAGE_SIZE);
}

/* The CPUs that may cache translations of s: every CPU for the kernel
 * space (its pages are global, in every CR3), else those that have s
 * loaded. The caller changed the entries before calling: the fence orders
 * those stores before the read of active_cpus, against the locked OR a CPU
 * switching to s does before its CR3 load (uspace.c). */
static uint64_t space_cpus(struct vm_space *s)
{
	if (s == &kernel_space)
		return ~0ull;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return __atomic_load_n(&s->active_cpus, __ATOMIC_SEQ_CST);
}

void tlb_flush_space_local(bool user, virt_addr_t va, size_t size)
{
	/* With PCID the kernel's entries and cached kernel tables may sit
	 * under every PCID this CPU used, and invlpg reaches only the
	 * current one (and global pages): drop everything. Rare: kernel
	 * mappings change at boot and for stacks beyond the pool. */
	if (!user && pcid_enabled)
		tlb_flush_all_local();
	else
		tlb_flush_local(va, size);
}

void tlb_shootdown(struct vm_space *s, virt_addr_t va, size_t size)
{
	/* Interrupts off: the thread cannot move to another CPU between the
	 * local flush and the choice of the others, and this CPU's own bit
	 * in active_cpus cannot change. */
	unsigned long irq = arch_irq_save();
	uint64_t self = 1ull << this_cpu()->id;
	bool user = s != &kernel_space;
	/* Before the mask is read (space_cpus' fence): CPUs that ran s
	 * earlier flush its PCID when they load it again (uspace.c). */
	if (user && pcid_enabled)
		__atomic_fetch_add(&s->tlb_gen, 1, __ATOMIC_SEQ_CST);
	uint64_t mask = space_cpus(s);
	if (mask & self)
		tlb_flush_space_local(user, va, size);
	void (*remote)(uint64_t, bool, virt_addr_t, size_t) =
		__atomic_load_n(&tlb_remote_flush, __ATOMIC_ACQUIRE);
	if (remote && (mask & ~self) &&
	    __atomic_load_n(&ncpus_online, __ATOMIC_ACQUIRE) > 1)
		remote(mask & ~self, user, va, size);
	arch_irq_restore(irq);
}

/* --- MMIO -------------------------------------------------------------- */

static spinlock_t mmio_lock = SPINLOCK_INIT;
static virt_addr_t mmio_next = MMIO_BASE;

/* A range whose address and length are 2 MiB multiples (a PCI ECAM
 * window: 1 MiB per bus) is mapped with 2 MiB pages: one table for
 * 256 MiB instead of 128. */
void *ioremap(phys_addr_t pa, size_t len)
{
	phys_addr_t base = ALIGN_DOWN(pa, PAGE_SIZE);
	size_t size = ALIGN_UP(pa + len, PAGE_SIZE) - base;
	bool large = IS_ALIGNED(pa, LARGE_PAGE_SIZE) &&
		     IS_ALIGNED(len, LARGE_PAGE_SIZE);
	if (!kernel_space.root)
		panic("ioremap(%#llx) before arch_mm_init",
		      (unsigned long long)pa);
	if (!len || pa + len < pa)
		return NULL;
	unsigned long irq = spin_lock_irqsave(&mmio_lock);
	virt_addr_t va =
		large ? ALIGN_UP(mmio_next, LARGE_PAGE_SIZE) : mmio_next;
	if (size > MMIO_BASE + MMIO_SIZE - va) {
		spin_unlock_irqrestore(&mmio_lock, irq);
		return NULL;
	}
	mmio_next = va + size + PAGE_SIZE; /* unmapped guard page between */
	spin_unlock_irqrestore(&mmio_lock, irq);
	if (vm_map(&kernel_space, va, base, size,
		   VM_READ | VM_WRITE | VM_UNCACHED | VM_GLOBAL, large) < 0)
		return NULL;
	return (void *)(uintptr_t)(va + (pa - base));
}
