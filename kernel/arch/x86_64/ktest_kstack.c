/* In-kernel tests of kernel stacks with guard pages (kstack.c): the page
 * below a stack is unmapped and faults, the guard is recognised for the
 * overflow report, frames and page tables come back on free (at once with
 * interrupts on, after arch_kstack_reap() when freed with them off), and
 * threads, CPUs and interrupt stacks use the guarded area. */
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
	uint64_t free0 = frames_free(), tables0 = vm_table_pages();
	uint64_t n0 = kstack_count();
	char *base = arch_kstack_alloc(4);
	KT_CHECK(base != NULL);
	KT_CHECK(in_area((uintptr_t)base));
	KT_CHECK_EQ(kstack_count(), n0 + 1);
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
	arch_kstack_free(base, 4); /* interrupts on: unmapped now */
	KT_CHECK_EQ(kstack_count(), n0);
	KT_CHECK(!vm_translate(&kernel_space, (uintptr_t)base, NULL, NULL));
	KT_CHECK(!kstack_guard_hit((uintptr_t)base - 8, &got));
	KT_CHECK_EQ(frames_free(), free0);
	KT_CHECK_EQ(vm_table_pages(), tables0);
}

KTEST(kstack_freed_with_interrupts_off_waits_for_the_reap)
{
	uint64_t free0 = frames_free(), n0 = kstack_count();
	void *a = arch_kstack_alloc(4), *b = arch_kstack_alloc(2);
	KT_CHECK(a && b);
	unsigned long f = arch_irq_save();
	arch_kstack_free(a, 4);
	arch_kstack_free(b, 2);
	arch_irq_restore(f);
	/* The reaper may already have run; else the slot stays taken and
	 * the frames are still out until the reap. */
	arch_kstack_reap();
	KT_CHECK_EQ(kstack_count(), n0);
	KT_CHECK(!vm_translate(&kernel_space, (uintptr_t)a, NULL, NULL));
	KT_CHECK_EQ(frames_free(), free0);
	/* A fresh stack reuses the lowest slot and is fully mapped. */
	void *c = arch_kstack_alloc(4);
	KT_CHECK(c != NULL);
	struct caught_fault cf;
	KT_CHECK(!trap_catch(touch, c, &cf));
	arch_kstack_free(c, 4);
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
