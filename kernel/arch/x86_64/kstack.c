/* Kernel stacks with guard pages. Every thread stack, every CPU's own
 * stack and its interrupt (IST) stacks live in the stack area
 * (layout.h), one 32 KiB slot each: the stack is mapped at the top of the
 * slot and everything below it stays unmapped, so running off the bottom
 * of a stack faults (a #PF whose frame cannot be pushed: a double fault,
 * taken on its own IST stack and reported by trap.c with
 * kstack_report()). The frames are also in the direct map, but no stack
 * is ever used through it.
 *
 * A slot is taken from `used` under `lock` (lowest free first, which
 * keeps the page tables few). Unmapping a stack needs a TLB shootdown to
 * every CPU (kernel mappings are global), which interrupts real-time
 * work elsewhere and must not wait with interrupts off. So thread-sized
 * stacks are recycled: a pool of up to POOL_MAX stacks is mapped at boot
 * and stays mapped; a thread takes one from it and gives it back when
 * freed (in any context: only `lock` is taken). When the pool is empty a
 * stack is mapped fresh; a fresh stack is unmapped when freed, at once
 * with interrupts on, else (a dead thread dropped in the scheduler's
 * switch path) via the `deferred` list, linked through the stack's own
 * dead memory, by the reaper thread; a slot is not reused before its
 * unmap, so no CPU holds a stale translation of a live stack. A stack
 * goes back where it came from (`pool_slot` marks the pool's), so the
 * frames in use at rest never move, whatever the order of frees.
 *
 * Lock order: `lock` is a leaf; no page-table call runs under it. */
#include <arch/kstack.h>
#include <arch/layout.h>
#include <arch/paging.h>
#include <kern/arch.h>
#include <kern/lib.h>
#include <kern/log.h>
#include <kern/mm.h>
#include <kern/pmm.h>
#include <kern/reaper.h>
#include <kern/spinlock.h>
#include <kern/thread.h>
#include <arch/thread.h>

#define SLOT_PAGES (KSTACK_SLOT_SIZE / PAGE_SIZE)
#define NSLOTS	   (KSTACK_AREA_SIZE / KSTACK_SLOT_SIZE)

static spinlock_t lock = SPINLOCK_INIT;
static uint64_t used[NSLOTS / 64]; /* slot holds a stack (or a dead one) */
static unsigned first_free;	   /* no free slot below this word */
static uint8_t slot_pages[NSLOTS]; /* stack size of a used slot */
static uint64_t live_stacks;

struct dead_stack {
	struct dead_stack *next;
	unsigned pages;
};
static struct dead_stack *deferred;

/* Mapped thread stacks (KSTACK_PAGES) ready for reuse, under `lock`;
 * pool_slot marks the slots that belong to the pool. */
#define POOL_MAX 64
static void *pool[POOL_MAX];
static unsigned pool_n, pool_cap;
static uint64_t pool_slot[NSLOTS / 64];

static uintptr_t slot_base(unsigned slot)
{
	return KSTACK_AREA + (uintptr_t)slot * KSTACK_SLOT_SIZE;
}

static long take_slot(void)
{
	unsigned long f = spin_lock_irqsave(&lock);
	long slot = -1;
	for (unsigned w = first_free; w < NSLOTS / 64; w++) {
		if (used[w] == ~0ull)
			continue;
		unsigned b = (unsigned)__builtin_ctzll(~used[w]);
		used[w] |= 1ull << b;
		first_free = w;
		slot = (long)(w * 64 + b);
		break;
	}
	spin_unlock_irqrestore(&lock, f);
	return slot;
}

static void put_slot(unsigned slot)
{
	unsigned long f = spin_lock_irqsave(&lock);
	used[slot / 64] &= ~(1ull << (slot % 64));
	first_free = MIN(first_free, slot / 64);
	spin_unlock_irqrestore(&lock, f);
}

static bool slot_used(unsigned slot)
{
	return __atomic_load_n(&used[slot / 64], __ATOMIC_RELAXED) &
	       (1ull << (slot % 64));
}

static void *pool_take(unsigned pages)
{
	void *base = NULL;
	if (pages != KSTACK_PAGES)
		return NULL;
	unsigned long f = spin_lock_irqsave(&lock);
	if (pool_n)
		base = pool[--pool_n];
	spin_unlock_irqrestore(&lock, f);
	return base;
}

static unsigned slot_of(const void *base)
{
	return (unsigned)(((uintptr_t)base - KSTACK_AREA) / KSTACK_SLOT_SIZE);
}

static bool pool_put(void *base)
{
	unsigned slot = slot_of(base);
	if (!(READ_ONCE(pool_slot[slot / 64]) & (1ull << (slot % 64))))
		return false;
	unsigned long f = spin_lock_irqsave(&lock);
	pool[pool_n++] = base; /* room: it came from here */
	spin_unlock_irqrestore(&lock, f);
	return true;
}

void *kstack_map_new(unsigned pages)
{
	if (!pages || pages >= SLOT_PAGES)
		return NULL;
	phys_addr_t pa = pmm_alloc_contig(pages, 1, 0);
	if (!pa)
		return NULL;
	long slot = take_slot();
	if (slot < 0) {
		pmm_free_contig(pa, pages);
		return NULL;
	}
	uintptr_t va = slot_base((unsigned)slot) + KSTACK_SLOT_SIZE -
		       (uintptr_t)pages * PAGE_SIZE;
	if (vm_map(&kernel_space, va, pa, pages * PAGE_SIZE,
		   VM_READ | VM_WRITE | VM_GLOBAL, false)) {
		put_slot((unsigned)slot);
		pmm_free_contig(pa, pages);
		return NULL;
	}
	WRITE_ONCE(slot_pages[slot], (uint8_t)pages);
	__atomic_fetch_add(&live_stacks, 1, __ATOMIC_RELAXED);
	return (void *)va;
}

void *arch_kstack_alloc(unsigned pages)
{
	if (!pages || pages >= SLOT_PAGES)
		return NULL;
	void *base = pool_take(pages);
	if (base)
		return base;
	arch_kstack_reap(); /* does nothing with interrupts off */
	return kstack_map_new(pages);
}

__cold void kstack_init(void)
{
	/* At most 1/128 of the free memory (1 MiB: 64 stacks from 512 MiB;
	 * a 5 MiB machine keeps 2). */
	struct pmm_stats st;
	pmm_get_stats(&st);
	unsigned cap = (unsigned)MIN((uint64_t)POOL_MAX,
				     st.free_frames / 128 / KSTACK_PAGES);
	for (unsigned i = 0; i < cap; i++) {
		void *base = kstack_map_new(KSTACK_PAGES);
		if (!base)
			break;
		unsigned long f = spin_lock_irqsave(&lock);
		unsigned slot = slot_of(base);
		pool_slot[slot / 64] |= 1ull << (slot % 64);
		pool[pool_n++] = base;
		pool_cap = pool_n;
		spin_unlock_irqrestore(&lock, f);
	}
}

static void free_now(void *base, unsigned pages)
{
	uintptr_t va = (uintptr_t)base;
	phys_addr_t pa = 0;
	bool mapped = vm_translate(&kernel_space, va, &pa, NULL);
	BUG_ON(!mapped || va < KSTACK_AREA ||
	       va >= KSTACK_AREA + KSTACK_AREA_SIZE);
	vm_unmap(&kernel_space, va, pages * PAGE_SIZE); /* shootdown */
	pmm_free_contig(ALIGN_DOWN(pa, PAGE_SIZE), pages);
	put_slot(slot_of(base));
	__atomic_fetch_sub(&live_stacks, 1, __ATOMIC_RELAXED);
}

void arch_kstack_free(void *base, unsigned pages)
{
	if (!base || pool_put(base))
		return;
	unsigned long f = arch_irq_save();
	arch_irq_restore(f);
	if (f) {
		free_now(base, pages);
		return;
	}
	struct dead_stack *d = base;
	d->pages = pages;
	f = spin_lock_irqsave(&lock);
	d->next = deferred;
	deferred = d;
	spin_unlock_irqrestore(&lock, f);
	reaper_kick();
}

void arch_kstack_reap(void)
{
	unsigned long f = arch_irq_save();
	arch_irq_restore(f);
	if (!f || !READ_ONCE(deferred))
		return;
	f = spin_lock_irqsave(&lock);
	struct dead_stack *d = deferred;
	deferred = NULL;
	spin_unlock_irqrestore(&lock, f);
	while (d) {
		struct dead_stack *next = d->next;
		free_now(d, d->pages);
		d = next;
	}
}

uint64_t kstack_count(void)
{
	return __atomic_load_n(&live_stacks, __ATOMIC_RELAXED);
}

unsigned kstack_pooled(unsigned *cap)
{
	unsigned long f = spin_lock_irqsave(&lock);
	unsigned n = pool_n;
	if (cap)
		*cap = pool_cap;
	spin_unlock_irqrestore(&lock, f);
	return n;
}

extern char boot_stack_guard[], boot_stack[];

bool kstack_guard_hit(uintptr_t addr, uintptr_t *stack_top)
{
	uintptr_t g = (uintptr_t)boot_stack_guard;
	if (addr >= g && addr < g + PAGE_SIZE) {
		*stack_top = (uintptr_t)boot_stack + BOOT_STACK_SIZE;
		return true;
	}
	if (addr < KSTACK_AREA || addr >= KSTACK_AREA + KSTACK_AREA_SIZE)
		return false;
	unsigned slot = (unsigned)((addr - KSTACK_AREA) / KSTACK_SLOT_SIZE);
	/* No page-table lookup (its lock may be held by the CPU that
	 * overflowed): the slot's stack is its top slot_pages pages. */
	uintptr_t stack_lo = slot_base(slot) + KSTACK_SLOT_SIZE -
			     (uintptr_t)READ_ONCE(slot_pages[slot]) * PAGE_SIZE;
	if (!slot_used(slot) || addr >= stack_lo)
		return false;
	*stack_top = slot_base(slot) + KSTACK_SLOT_SIZE;
	return true;
}
