/* In-kernel tests of kernel stacks with guard pages (kstack.c): the page
 * below a stack is unmapped and faults, the guard is recognised for the
 * overflow report, the pool and fresh stacks, frames and page tables come
 * back on free (at once with interrupts on, after arch_kstack_reap() when
 * freed with them off), and threads, CPUs and interrupt stacks use the
 * guarded area. */
#include <arch/cpu.h>
#include <arch/kstack.h>
#include <arch/layout.h>
#include <arch/paging.h>
#include <arch/percpu.h>
#include <arch/trap.h>
#include <arch/vectors.h>
#include <kern/arch.h>
#include <kern/ktest.h>
#include <kern/mm.h>
#include <kern/pmm.h>
#include <kern/thread.h>

static uint64_t frames_free(void)
{
	struct pmm_stats st;
	pmm_get_stats(&st);
	return st.free_frames;
}

static void touch(void *arg)
{
	*(volatile uint64_t *)arg = 1;
}

static bool in_area(uintptr_t va)
{
	return va >= KSTACK_AREA && va < KSTACK_AREA + KSTACK_AREA_SIZE;
}

KTEST(kstack_guard_page_faults_and_is_recognised)
{
	uint64_t free0 = frames_free();
	char *base = arch_kstack_alloc(4);
	KT_CHECK(base != NULL);
	KT_CHECK(in_area((uintptr_t)base));
	uintptr_t top = (uintptr_t)base + 4 * PAGE_SIZE;
	/* The whole stack is usable ... */
	struct caught_fault f;
	KT_CHECK(!trap_catch(touch, base, &f));
	KT_CHECK(!trap_catch(touch, (void *)(top - 8), &f));
	/* ... the page below it is not, and is known as its guard. */
	KT_CHECK(!vm_translate(&kernel_space, (uintptr_t)base - 8, NULL, NULL));
	KT_CHECK(trap_catch(touch, base - 8, &f));
	KT_CHECK_EQ(f.vector, 14);
	KT_CHECK_EQ(f.cr2, (uintptr_t)base - 8);
	uintptr_t got = 0;
	KT_CHECK(kstack_guard_hit((uintptr_t)base - 8, &got));
	KT_CHECK_EQ(got, top);
	KT_CHECK(!kstack_guard_hit((uintptr_t)base, &got));
	KT_CHECK(!kstack_guard_hit((uintptr_t)&free0, &got));
	arch_kstack_free(base, 4);
	KT_CHECK_EQ(frames_free(), free0);
}

/* Thread stacks come from a pool that stays mapped (no shootdown per
 * thread); beyond it, stacks are mapped fresh and unmapped when freed:
 * at once with interrupts on, after arch_kstack_reap() with them off.
 * Either way the frames, page tables and the pool are back after. */
#define MANY (64 + 3) /* the pool's most, and a few */

KTEST(kstack_pool_then_fresh_stacks_all_come_back)
{
	unsigned cap = 0, n = kstack_pooled(&cap); /* kmain holds one */
	KT_CHECK(cap > 0 && n <= cap && n + 3 <= MANY);
	uint64_t free0 = frames_free(), tables0 = vm_table_pages();
	uint64_t mapped0 = kstack_count();
	void *s[MANY];
	for (unsigned i = 0; i < n + 3; i++) {
		s[i] = arch_kstack_alloc(4);
		KT_CHECK(s[i] != NULL);
	}
	KT_CHECK_EQ(kstack_pooled(NULL), 0);
	KT_CHECK_EQ(kstack_count(), mapped0 + 3);
	/* Freed in a mixed order: each goes back where it came from. */
	for (unsigned i = n + 3; i-- > 0;)
		arch_kstack_free(s[i], 4); /* interrupts on */
	KT_CHECK_EQ(kstack_pooled(NULL), n);
	KT_CHECK_EQ(kstack_count(), mapped0);
	KT_CHECK(!vm_translate(&kernel_space, (uintptr_t)s[n + 2], NULL, NULL));
	KT_CHECK_EQ(frames_free(), free0);
	KT_CHECK_EQ(vm_table_pages(), tables0);
}

KTEST(kstack_freed_with_interrupts_off_waits_for_the_reap)
{
	unsigned n = kstack_pooled(NULL);
	KT_CHECK(n + 2 <= MANY);
	uint64_t free0 = frames_free(), mapped0 = kstack_count();
	void *s[MANY];
	for (unsigned i = 0; i < n + 2; i++) {
		s[i] = arch_kstack_alloc(4);
		KT_CHECK(s[i] != NULL);
	}
	unsigned long f = arch_irq_save();
	for (unsigned i = 0; i < n + 2; i++)
		arch_kstack_free(s[i], 4);
	arch_irq_restore(f);
	/* The pool took its n back; the two fresh ones wait, still mapped
	 * (no reaper thread runs during the in-kernel tests). */
	KT_CHECK_EQ(kstack_pooled(NULL), n);
	KT_CHECK_EQ(kstack_count(), mapped0 + 2);
	arch_kstack_reap();
	KT_CHECK_EQ(kstack_count(), mapped0);
	KT_CHECK_EQ(frames_free(), free0);
	/* Odd sizes (interrupt stacks) never go through the pool. */
	void *ist = arch_kstack_alloc(2);
	KT_CHECK(ist != NULL);
	KT_CHECK_EQ(kstack_count(), mapped0 + 1);
	arch_kstack_free(ist, 2);
	KT_CHECK_EQ(kstack_count(), mapped0);
	KT_CHECK_EQ(frames_free(), free0);
}

static void nop(void *arg)
{
	(void)arg;
}

KTEST(kstack_threads_and_cpus_use_guarded_stacks)
{
	struct thread *t = thread_create_kernel(nop, NULL, "kst", NULL);
	KT_CHECK(t != NULL);
	uintptr_t base = (uintptr_t)t->kstack;
	bool ok = in_area(base) &&
		  !vm_translate(&kernel_space, base - 8, NULL, NULL);
	kobj_put(&t->obj); /* never started */
	KT_CHECK(ok);
	/* This CPU's interrupt stacks (double fault, NMI, MCE) too. */
	for (unsigned i = 0; i < 3; i++) {
		uintptr_t ist = tss_get_ist(this_cpu(), IST_DOUBLE_FAULT + i);
		KT_CHECK(in_area(ist));
		KT_CHECK(!vm_translate(&kernel_space, ist - IST_STACK_SIZE - 8,
				       NULL, NULL));
	}
}
