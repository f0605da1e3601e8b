/* In-kernel tests of memory types: every CPU holds the kernel's PAT, and
 * the PTE bits of a mapping select the entry its cache flag names (read
 * straight from the page-table entry, not through vm_translate). */
#include <arch/cpu.h>
#include <arch/paging.h>
#include <arch/percpu.h>
#include <arch/smp.h>
#include <kern/ktest.h>
#include <kern/lib.h>
#include <kern/mm.h>
#include <kern/vm.h>

/* Kernel-half VA nothing else uses (ktest_vm.c's scratch + 1 GiB). */
#define PAT_SCRATCH 0xffffd00040000000ull
#define VGA_WINDOW  0xa0000ull /* legacy VGA memory: a hole, not RAM */
#define PTE_PAT_4K  (1ull << 7)

static void read_pat(void *arg)
{
	uint64_t *pats = arg;
	pats[this_cpu()->id] = rdmsr(MSR_PAT);
}

KTEST(pat_every_cpu_holds_wc_at_index_1)
{
	static uint64_t pats[MAX_CPUS];
	memset(pats, 0, sizeof(pats));
	KT_CHECK(cpu_features.pat); /* -cpu max has one */
	KT_CHECK(pat_enabled);
	smp_call_all(read_pat, pats);
	unsigned n = arch_cpus_online();
	KT_CHECK(n >= 1);
	for (unsigned i = 0; i < n; i++)
		KT_CHECK_EQ(pats[i], PAT_VALUE);
	/* Entries 0 and 3, which the kernel used before, keep their
	 * reset meaning: WB (6) and UC (0); entry 1 is WC (1). */
	KT_CHECK_EQ(PAT_VALUE & 0xff, 6);
	KT_CHECK_EQ((PAT_VALUE >> 24) & 0xff, 0);
	KT_CHECK_EQ((PAT_VALUE >> 8) & 0xff, 1);
	KT_CHECK_EQ(arch_vm_cache_flags(VM_CACHE_WC), VM_WC);
	KT_CHECK_EQ(arch_vm_cache_flags(VM_CACHE_UC), VM_UNCACHED);
	KT_CHECK_EQ(arch_vm_cache_flags(VM_CACHE_WB), 0);
}

/* The leaf entry mapping va in the kernel tables (4 KiB pages only). */
static uint64_t pte_of(virt_addr_t va)
{
	uint64_t *t = phys_to_virt(vm_kernel_root());
	for (int l = 3; l > 0; l--) {
		uint64_t e = t[(va >> (12 + 9 * l)) & 511];
		if (!(e & PTE_P) || (e & PTE_PS))
			return 0;
		t = phys_to_virt(e & PTE_ADDR);
	}
	return t[(va >> 12) & 511];
}

KTEST(pat_cache_flags_select_their_pat_entry)
{
	static const struct {
		unsigned flag;
		uint64_t bits; /* PAT, PCD, PWT */
	} cases[] = {
		{0, 0},				  /* index 0: WB */
		{VM_WC, PTE_PWT},		  /* index 1: WC */
		{VM_UNCACHED, PTE_PCD | PTE_PWT}, /* index 3: UC */
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		unsigned fl = 0;
		KT_CHECK_EQ(vm_map(&kernel_space, PAT_SCRATCH, VGA_WINDOW,
				   PAGE_SIZE,
				   VM_READ | VM_WRITE | cases[i].flag, false),
			    0);
		uint64_t e = pte_of(PAT_SCRATCH);
		KT_CHECK(vm_translate(&kernel_space, PAT_SCRATCH, NULL, &fl));
		KT_CHECK_EQ(vm_unmap(&kernel_space, PAT_SCRATCH, PAGE_SIZE), 0);
		KT_CHECK_EQ(e & (PTE_PAT_4K | PTE_PCD | PTE_PWT),
			    cases[i].bits);
		KT_CHECK_EQ(fl & (VM_WC | VM_UNCACHED), cases[i].flag);
	}
	/* Both at once is no memory type. */
	KT_CHECK(vm_map(&kernel_space, PAT_SCRATCH, VGA_WINDOW, PAGE_SIZE,
			VM_READ | VM_WC | VM_UNCACHED, false) < 0);
}
