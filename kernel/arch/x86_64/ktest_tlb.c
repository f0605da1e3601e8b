/* In-kernel tests of the targeted TLB shootdown (-smp 2 or more): a change
 * to a user space interrupts exactly the CPUs that have it loaded, and a
 * CPU that loads it later sees the new entries without an IPI. */
#include <arch/cpu.h>
#include <arch/paging.h>
#include <arch/percpu.h>
#include <arch/smp.h>
#include <kern/ktest.h>
#include <kern/lib.h>
#include <kern/mm.h>
#include <kern/pmm.h>
#include <kern/vm.h>

#define U_VA  0x0000004000000000ull /* user half, supervisor page */
#define PAT_A 0xaaaaaaaa33333333ull
#define PAT_B 0xbbbbbbbb44444444ull

struct probe {
	struct vm_space *load; /* space to switch to first (NULL: kernel's) */
	bool read;
	uint64_t value;
};

/* Runs on CPU 1 (cross-call): switch spaces as told, then read U_VA. The
 * space stays loaded afterwards, as for a thread running there. */
static void on_ap(void *arg)
{
	struct probe *p = arg;
	vm_space_activate(p->load);
	if (p->read)
		p->value = *(volatile uint64_t *)U_VA;
}

static uint64_t ap(struct vm_space *load, bool read)
{
	struct probe p = {load, read, 0};
	smp_call_on(1, on_ap, &p);
	return p.value;
}

static uint64_t ap_user_ipis(void)
{
	uint64_t u, k;
	arch_tlb_ipis(1, &u, &k);
	return u;
}

static int repoint(struct vm_space *s, phys_addr_t pa)
{
	int e = vm_unmap(s, U_VA, PAGE_SIZE);
	return e ? e
		 : vm_map(s, U_VA, pa, PAGE_SIZE, VM_READ | VM_WRITE, false);
}

KTEST(tlb_user_shootdown_only_to_cpus_running_the_space)
{
	KT_CHECK(__atomic_load_n(&ncpus_online, __ATOMIC_ACQUIRE) >= 2);
	KT_CHECK(tlb_remote_flush == smp_tlb_shootdown);
	struct vm_space *s = vm_space_create();
	phys_addr_t fa = pmm_alloc(), fb = pmm_alloc();
	KT_CHECK(s && fa && fb);
	*(uint64_t *)phys_to_virt(fa) = PAT_A;
	*(uint64_t *)phys_to_virt(fb) = PAT_B;
	int e0 = vm_map(s, U_VA, fa, PAGE_SIZE, VM_READ | VM_WRITE, false);

	/* CPU 1 runs s and caches U_VA -> fa. */
	uint64_t first = ap(s, true);
	uint64_t mask_running =
		__atomic_load_n(&s->active_cpus, __ATOMIC_SEQ_CST);
	uint64_t i0 = ap_user_ipis();
	int e1 = repoint(s, fb); /* one shootdown: CPU 1 is asked */
	uint64_t i1 = ap_user_ipis();
	uint64_t seen_b = ap(s, true);

	/* CPU 1 leaves s: changes to s no longer interrupt it. */
	(void)ap(NULL, false);
	uint64_t mask_left = __atomic_load_n(&s->active_cpus, __ATOMIC_SEQ_CST);
	int e2 = repoint(s, fa);
	uint64_t i2 = ap_user_ipis();
	/* Coming back, its CR3 load dropped the old entries: it sees fa. */
	uint64_t seen_a = ap(s, true);

	(void)ap(NULL, false);
	int e3 = vm_unmap(s, U_VA, PAGE_SIZE);
	vm_space_destroy(s);
	pmm_free(fa);
	pmm_free(fb);
	KT_CHECK_EQ(e0, 0);
	KT_CHECK_EQ(e1, 0);
	KT_CHECK_EQ(e2, 0);
	KT_CHECK_EQ(e3, 0);
	KT_CHECK_EQ(first, PAT_A);
	KT_CHECK_EQ(mask_running, 1ull << 1);
	KT_CHECK_EQ(i1 - i0, 1);
	KT_CHECK_EQ(seen_b, PAT_B);
	KT_CHECK_EQ(mask_left, 0);
	KT_CHECK_EQ(i2, i1);
	KT_CHECK_EQ(seen_a, PAT_A);
}

/* A space this CPU does not run is not flushed here either, and one no
 * CPU runs costs no IPI at all. */
KTEST(tlb_user_shootdown_of_an_idle_space_sends_nothing)
{
	KT_CHECK(__atomic_load_n(&ncpus_online, __ATOMIC_ACQUIRE) >= 2);
	struct vm_space *s = vm_space_create();
	phys_addr_t f = pmm_alloc();
	KT_CHECK(s && f);
	uint64_t u0[MAX_CPUS], k, u;
	unsigned n = __atomic_load_n(&ncpus_online, __ATOMIC_ACQUIRE);
	for (unsigned i = 0; i < n; i++)
		arch_tlb_ipis(i, &u0[i], &k);
	int e0 = vm_map(s, U_VA, f, PAGE_SIZE, VM_READ, false);
	int e1 = vm_protect(s, U_VA, PAGE_SIZE, VM_READ | VM_WRITE);
	int e2 = vm_unmap(s, U_VA, PAGE_SIZE);
	unsigned changed = 0;
	for (unsigned i = 0; i < n; i++) {
		arch_tlb_ipis(i, &u, &k);
		changed += u != u0[i];
	}
	vm_space_destroy(s);
	pmm_free(f);
	KT_CHECK_EQ(e0, 0);
	KT_CHECK_EQ(e1, 0);
	KT_CHECK_EQ(e2, 0);
	KT_CHECK_EQ(changed, 0);
}

static void lazy_on_ap(void *arg)
{
	uint64_t *cr3 = arg;
	cr3[0] = read_cr3();
	vm_space_lazy(); /* the scheduler's switch to idle */
	cr3[1] = read_cr3();
}

/* Lazy TLB (docs/smp.md): idle keeps the space loaded and coming back to
 * it loads nothing; the first shootdown makes the lazy CPU leave the
 * space, so the next one does not ask it, and it sees the new entries
 * when it loads the space again. */
KTEST(tlb_lazy_cpu_keeps_the_space_until_asked_once)
{
	KT_CHECK(__atomic_load_n(&ncpus_online, __ATOMIC_ACQUIRE) >= 2);
	struct vm_space *s = vm_space_create();
	phys_addr_t fa = pmm_alloc(), fb = pmm_alloc();
	KT_CHECK(s && fa && fb);
	*(uint64_t *)phys_to_virt(fa) = PAT_A;
	*(uint64_t *)phys_to_virt(fb) = PAT_B;
	int e0 = vm_map(s, U_VA, fa, PAGE_SIZE, VM_READ | VM_WRITE, false);

	uint64_t first = ap(s, true), cr3[2], cr3_back[2];
	smp_call_on(1, lazy_on_ap, cr3);
	uint64_t mask_lazy = __atomic_load_n(&s->active_cpus, __ATOMIC_SEQ_CST);
	uint64_t still_a = ap(s, true); /* back from idle: no CR3 load */
	smp_call_on(1, lazy_on_ap, cr3_back);
	uint64_t i0 = ap_user_ipis();
	int e1 = repoint(s, fb); /* asked once: CPU 1 leaves s */
	uint64_t i1 = ap_user_ipis();
	uint64_t mask_left = __atomic_load_n(&s->active_cpus, __ATOMIC_SEQ_CST);
	int e2 = repoint(s, fa); /* not asked again */
	uint64_t i2 = ap_user_ipis();
	int e3 = repoint(s, fb);
	uint64_t seen_b = ap(s, true); /* loads s again: the new entry */

	(void)ap(NULL, false);
	int e4 = vm_unmap(s, U_VA, PAGE_SIZE);
	vm_space_destroy(s);
	pmm_free(fa);
	pmm_free(fb);
	KT_CHECK_EQ(e0, 0);
	KT_CHECK_EQ(e1, 0);
	KT_CHECK_EQ(e2, 0);
	KT_CHECK_EQ(e3, 0);
	KT_CHECK_EQ(e4, 0);
	KT_CHECK_EQ(first, PAT_A);
	KT_CHECK_EQ(cr3[1], cr3[0]);
	KT_CHECK_EQ(cr3_back[0], cr3[0]);
	KT_CHECK_EQ(mask_lazy, 1ull << 1);
	KT_CHECK_EQ(still_a, PAT_A);
	KT_CHECK_EQ(i1 - i0, 1);
	KT_CHECK_EQ(mask_left, 0);
	KT_CHECK_EQ(i2, i1);
	KT_CHECK_EQ(seen_b, PAT_B);
}
