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
 * keeps the page tables few). Freeing unmaps the stack, and the unmap's
 * TLB shootdown waits for every other CPU: that is only safe with
 * interrupts on (no spinlock held). A stack freed with interrupts off
 * (a dead thread dropped in the scheduler's switch path) goes on the
 * `deferred` list, linked through its own dead memory, and the reaper
 * thread unmaps it; its slot is not reused before, so no CPU can hold a
 * stale translation of a live stack.
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

void *arch_kstack_alloc(unsigned pages)
{
	if (!pages || pages >= SLOT_PAGES)
		return NULL;
	arch_kstack_reap(); /* does nothing with interrupts off */
	phys_addr_t pa = pmm_alloc_contig(pages, 1, 0);
	if (!pa)
		return NULL;
	long slot = take_slot();
	uintptr_t va = slot_base((unsigned)slot) + KSTACK_SLOT_SIZE -
		       (uintptr_t)pages * PAGE_SIZE;
	if (slot < 0 || vm_map(&kernel_space, va, pa, pages * PAGE_SIZE,
			       VM_READ | VM_WRITE | VM_GLOBAL, false)) {
		if (slot >= 0)
			put_slot((unsigned)slot);
		pmm_free_contig(pa, pages);
		return NULL;
	}
	WRITE_ONCE(slot_pages[slot], (uint8_t)pages);
	__atomic_fetch_add(&live_stacks, 1, __ATOMIC_RELAXED);
	return (void *)va;
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
	put_slot((unsigned)((va - KSTACK_AREA) / KSTACK_SLOT_SIZE));
	__atomic_fetch_sub(&live_stacks, 1, __ATOMIC_RELAXED);
}

void arch_kstack_free(void *base, unsigned pages)
{
	if (!base)
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
