/* Ticket spinlocks. spin_lock_irqsave() disables interrupts on this CPU and
 * returns the previous state, so locks nest and work from interrupt context.
 * Never rely on "interrupts off" alone: other CPUs keep running. */
#pragma once
#include <kern/arch.h>
#include <kern/types.h>

typedef struct spinlock {
	uint16_t next;  /* ticket handed to the next arrival */
	uint16_t owner; /* ticket being served */
} spinlock_t;

#define SPINLOCK_INIT {0, 0}

static inline void spin_lock(spinlock_t *l)
{
	uint16_t me = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);
	while (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != me)
		arch_cpu_relax();
}

static inline bool spin_trylock(spinlock_t *l)
{
	uint16_t owner = __atomic_load_n(&l->owner, __ATOMIC_RELAXED);
	uint32_t expect = ((uint32_t)owner << 16) | owner;
	uint32_t want = ((uint32_t)owner << 16) | (uint16_t)(owner + 1);
	return __atomic_compare_exchange_n((uint32_t *)l, &expect, want, false,
					   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

static inline void spin_unlock(spinlock_t *l)
{
	__atomic_store_n(&l->owner, (uint16_t)(l->owner + 1), __ATOMIC_RELEASE);
}

static inline bool spin_is_locked(spinlock_t *l)
{
	return __atomic_load_n(&l->owner, __ATOMIC_RELAXED) !=
	       __atomic_load_n(&l->next, __ATOMIC_RELAXED);
}

static inline unsigned long spin_lock_irqsave(spinlock_t *l)
{
	unsigned long flags = arch_irq_save();
	spin_lock(l);
	return flags;
}

static inline void spin_unlock_irqrestore(spinlock_t *l, unsigned long flags)
{
	spin_unlock(l);
	arch_irq_restore(flags);
}
