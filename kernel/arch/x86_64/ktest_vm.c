/* In-kernel tests of the page tables and the CPU protections: mappings
 * must really reach the frame they name, rights must really be enforced by
 * the MMU, and page-table frames must go back to the allocator. */
#include <arch/cpu.h>
#include <arch/layout.h>
#include <arch/paging.h>
#include <arch/percpu.h>
#include <arch/trap.h>
#include <kern/ktest.h>
#include <kern/lib.h>
#include <kern/mm.h>
#include <kern/pmm.h>
#include <kern/vm.h>

/* Kernel-half VA nothing else uses (above the MMIO window). */
#define SCRATCH 0xffffd00000000000ull
#define USER_VA 0x0000000000400000ull
#define RW	(VM_READ | VM_WRITE)
#define OP_RET	0xc3

extern char __text_start[], __rodata_start[], __data_start[];

static uint64_t free_frames(void)
{
	struct pmm_stats st;
	pmm_get_stats(&st);
	return st.free_frames;
}

static void do_write(void *p)
{
	*(volatile uint64_t *)p = 0x1234;
}

static void do_read(void *p)
{
	(void)*(volatile uint64_t *)p;
}

static void do_call(void *p)
{
	((void (*)(void))p)();
}

/* A byte-sized "function" in .data: must never be executable. */
static uint8_t data_code[16] __attribute__((aligned(16))) = {OP_RET};

KTEST(vm_map_4k_translate_write_unmap)
{
	uint64_t base_free = free_frames(), base_tables = vm_table_pages();
	phys_addr_t f = pmm_alloc();
	KT_CHECK(f);
	KT_CHECK_EQ(vm_map(&kernel_space, SCRATCH, f, PAGE_SIZE, RW, false), 0);
	phys_addr_t pa;
	unsigned fl;
	KT_CHECK(vm_translate(&kernel_space, SCRATCH + 0x123, &pa, &fl));
	KT_CHECK_EQ(pa, f + 0x123);
	KT_CHECK_EQ(fl & (VM_READ | VM_WRITE | VM_EXEC | VM_USER), RW);
	*(volatile uint64_t *)(SCRATCH + 8) = 0xfeedfacecafebeefull;
	KT_CHECK_EQ(((volatile uint64_t *)phys_to_virt(f))[1],
		    0xfeedfacecafebeefull);
	KT_CHECK(vm_table_pages() > base_tables); /* a PD and a PT */
	KT_CHECK_EQ(vm_unmap(&kernel_space, SCRATCH, PAGE_SIZE), 0);
	KT_CHECK(!vm_translate(&kernel_space, SCRATCH, NULL, NULL));
	struct caught_fault cf;
	KT_CHECK(trap_catch(do_read, (void *)SCRATCH, &cf)); /* TLB dropped */
	KT_CHECK_EQ(cf.vector, 14);
	KT_CHECK_EQ(cf.error & PF_P, 0);
	pmm_free(f);
	KT_CHECK_EQ(vm_table_pages(), base_tables);
	KT_CHECK_EQ(free_frames(), base_free);
}

KTEST(vm_map_2m_split_by_protect_and_unmap)
{
	uint64_t base_free = free_frames();
	phys_addr_t f = pmm_alloc_contig(512, 512, 0);
	KT_CHECK(f && IS_ALIGNED(f, LARGE_PAGE_SIZE));
	virt_addr_t va = SCRATCH + LARGE_PAGE_SIZE * 3;
	KT_CHECK_EQ(vm_map(&kernel_space, va, f, LARGE_PAGE_SIZE, RW, true), 0);
	phys_addr_t pa;
	unsigned fl;
	KT_CHECK(vm_translate(&kernel_space, va + 0x12345, &pa, &fl));
	KT_CHECK_EQ(pa, f + 0x12345);
	*(volatile uint32_t *)(va + 0x1ff000) = 0xabcd1234;
	KT_CHECK_EQ(*(volatile uint32_t *)phys_to_virt(f + 0x1ff000),
		    0xabcd1234);

	/* Read-only for one page in the middle: the 2 MiB page is split. */
	KT_CHECK_EQ(vm_protect(&kernel_space, va + 0x5000, PAGE_SIZE, VM_READ),
		    0);
	KT_CHECK(vm_translate(&kernel_space, va + 0x5000, &pa, &fl));
	KT_CHECK_EQ(pa, f + 0x5000);
	KT_CHECK(!(fl & VM_WRITE));
	KT_CHECK(vm_translate(&kernel_space, va + 0x4000, &pa, &fl));
	KT_CHECK_EQ(pa, f + 0x4000);
	KT_CHECK(fl & VM_WRITE);
	struct caught_fault cf;
	KT_CHECK(trap_catch(do_write, (void *)(va + 0x5000), &cf));
	KT_CHECK_EQ(cf.error & (PF_P | PF_W), PF_P | PF_W);
	KT_CHECK(!trap_catch(do_write, (void *)(va + 0x6000), NULL));

	/* A hole in the middle; neighbours keep their frames. */
	KT_CHECK_EQ(vm_unmap(&kernel_space, va + 0x10000, PAGE_SIZE), 0);
	KT_CHECK(!vm_translate(&kernel_space, va + 0x10000, NULL, NULL));
	KT_CHECK(vm_translate(&kernel_space, va + 0x11000, &pa, NULL));
	KT_CHECK_EQ(pa, f + 0x11000);
	KT_CHECK_EQ(*(volatile uint32_t *)(va + 0x1ff000), 0xabcd1234);

	KT_CHECK_EQ(vm_unmap(&kernel_space, va, LARGE_PAGE_SIZE), 0);
	KT_CHECK(!vm_translate(&kernel_space, va + 0x11000, NULL, NULL));
	pmm_free_contig(f, 512);
	KT_CHECK_EQ(free_frames(), base_free);
}

KTEST(vm_protect_rw_to_r_catches_write)
{
	phys_addr_t f = pmm_alloc();
	KT_CHECK(f);
	KT_CHECK_EQ(vm_map(&kernel_space, SCRATCH, f, PAGE_SIZE, RW, false), 0);
	KT_CHECK(!trap_catch(do_write, (void *)SCRATCH, NULL));
	KT_CHECK_EQ(vm_protect(&kernel_space, SCRATCH, PAGE_SIZE, VM_READ), 0);
	struct caught_fault cf;
	bool caught = trap_catch(do_write, (void *)SCRATCH, &cf);
	vm_unmap(&kernel_space, SCRATCH, PAGE_SIZE);
	pmm_free(f);
	KT_CHECK(caught);
	KT_CHECK_EQ(cf.vector, 14);
	KT_CHECK_EQ(cf.cr2, SCRATCH);
	KT_CHECK_EQ(cf.error & (PF_P | PF_W | PF_U), PF_P | PF_W);
}

KTEST(vm_nx_data_page_does_not_execute)
{
	KT_CHECK(cpu_features.nx);
	phys_addr_t f = pmm_alloc();
	KT_CHECK(f);
	memset(phys_to_virt(f), OP_RET, PAGE_SIZE);
	KT_CHECK_EQ(vm_map(&kernel_space, SCRATCH, f, PAGE_SIZE, RW, false), 0);
	struct caught_fault cf;
	bool caught = trap_catch(do_call, (void *)SCRATCH, &cf);
	/* Same bytes, now R-X: the call must work, so it was NX that bit. */
	int prot = vm_protect(&kernel_space, SCRATCH, PAGE_SIZE,
			      VM_READ | VM_EXEC);
	bool ran_rx = !prot && !trap_catch(do_call, (void *)SCRATCH, NULL);
	vm_unmap(&kernel_space, SCRATCH, PAGE_SIZE);
	pmm_free(f);
	KT_CHECK(caught);
	KT_CHECK_EQ(cf.vector, 14);
	KT_CHECK_EQ(cf.cr2, SCRATCH);
	KT_CHECK_EQ(cf.error & (PF_P | PF_I), PF_P | PF_I);
	KT_CHECK(ran_rx);
}

KTEST(vm_wx_mappings_are_refused)
{
	phys_addr_t f = pmm_alloc();
	KT_CHECK(f);
	KT_CHECK_EQ(vm_map(&kernel_space, SCRATCH, f, PAGE_SIZE,
			   VM_READ | VM_WRITE | VM_EXEC, false),
		    VM_EINVAL);
	KT_CHECK(!vm_translate(&kernel_space, SCRATCH, NULL, NULL));
	KT_CHECK_EQ(vm_map(&kernel_space, SCRATCH, f, PAGE_SIZE, RW, false), 0);
	int r = vm_protect(&kernel_space, SCRATCH, PAGE_SIZE,
			   VM_WRITE | VM_EXEC);
	unsigned fl = 0;
	vm_translate(&kernel_space, SCRATCH, NULL, &fl);
	vm_unmap(&kernel_space, SCRATCH, PAGE_SIZE);
	pmm_free(f);
	KT_CHECK_EQ(r, VM_EINVAL);
	KT_CHECK_EQ(fl & (VM_WRITE | VM_EXEC), VM_WRITE); /* unchanged */
}

KTEST(vm_double_map_is_refused)
{
	uint64_t base_free = free_frames();
	phys_addr_t f = pmm_alloc_contig(512, 512, 0);
	KT_CHECK(f);
	virt_addr_t big = SCRATCH + LARGE_PAGE_SIZE;
	KT_CHECK_EQ(vm_map(&kernel_space, SCRATCH, f, PAGE_SIZE, RW, false), 0);
	KT_CHECK_EQ(vm_map(&kernel_space, big, f, LARGE_PAGE_SIZE, RW, true),
		    0);
	/* Same page; 4 KiB inside a 2 MiB page; 2 MiB over a 4 KiB page;
	 * a range whose last page collides. */
	KT_CHECK_EQ(vm_map(&kernel_space, SCRATCH, f, PAGE_SIZE, RW, false),
		    VM_EINVAL);
	KT_CHECK_EQ(
		vm_map(&kernel_space, big + 0x3000, f, PAGE_SIZE, RW, false),
		VM_EINVAL);
	KT_CHECK_EQ(
		vm_map(&kernel_space, SCRATCH, f, LARGE_PAGE_SIZE, RW, true),
		VM_EINVAL);
	KT_CHECK_EQ(vm_map(&kernel_space, big - 0x2000, f, 0x3000, RW, false),
		    VM_EINVAL);
	/* Nothing of the refused range was mapped. */
	KT_CHECK(!vm_translate(&kernel_space, big - 0x2000, NULL, NULL));
	KT_CHECK_EQ(vm_unmap(&kernel_space, SCRATCH, 2 * LARGE_PAGE_SIZE), 0);
	pmm_free_contig(f, 512);
	KT_CHECK_EQ(free_frames(), base_free);
}

/* vm_map, the overlap check and vm_unmap step through each page table's
 * entries after one walk per table: a range over four tables must reach
 * the right frame at every page, and a partial unmap across a table
 * boundary must clear exactly its pages. */
KTEST(vm_map_across_tables_every_page)
{
	enum { N = 1030, HOLE_AT = 200, HOLE = 600 };
	uint64_t base_free = free_frames();
	phys_addr_t f = pmm_alloc_contig(N, 1, 0);
	KT_CHECK(f);
	virt_addr_t va = SCRATCH + LARGE_PAGE_SIZE - 3 * PAGE_SIZE;
	KT_CHECK_EQ(vm_map(&kernel_space, va, f, N * PAGE_SIZE, RW, false), 0);
	unsigned wrong = 0;
	for (unsigned i = 0; i < N; i++) {
		phys_addr_t pa = 0;
		if (!vm_translate(&kernel_space, va + i * PAGE_SIZE, &pa,
				  NULL) ||
		    pa != f + i * PAGE_SIZE)
			wrong++;
	}
	KT_CHECK_EQ(wrong, 0);
	/* A range ending on the last page, starting in a free table. */
	KT_CHECK_EQ(vm_map(&kernel_space, va + (N - 1) * PAGE_SIZE, f,
			   4 * PAGE_SIZE, RW, false),
		    VM_EINVAL);
	KT_CHECK(!vm_translate(&kernel_space, va + N * PAGE_SIZE, NULL, NULL));
	KT_CHECK_EQ(vm_unmap(&kernel_space, va + HOLE_AT * PAGE_SIZE,
			     HOLE * PAGE_SIZE),
		    0);
	for (unsigned i = 0; i < N; i++) {
		bool in_hole = i >= HOLE_AT && i < HOLE_AT + HOLE;
		if (vm_translate(&kernel_space, va + i * PAGE_SIZE, NULL,
				 NULL) == in_hole)
			wrong++;
	}
	KT_CHECK_EQ(wrong, 0);
	/* The hole can be mapped again; then everything goes. */
	KT_CHECK_EQ(vm_map(&kernel_space, va + HOLE_AT * PAGE_SIZE,
			   f + HOLE_AT * PAGE_SIZE, HOLE * PAGE_SIZE, RW,
			   false),
		    0);
	KT_CHECK_EQ(vm_unmap(&kernel_space, va, N * PAGE_SIZE), 0);
	KT_CHECK(
		!vm_translate(&kernel_space, va + 700 * PAGE_SIZE, NULL, NULL));
	pmm_free_contig(f, N);
	KT_CHECK_EQ(free_frames(), base_free);
}

KTEST(vm_bad_arguments_are_refused)
{
	struct vm_space *k = &kernel_space;
	phys_addr_t f = 0x200000; /* never actually mapped */
	KT_CHECK_EQ(vm_map(k, SCRATCH + 1, f, PAGE_SIZE, RW, false), VM_EINVAL);
	KT_CHECK_EQ(vm_map(k, SCRATCH, f + 8, PAGE_SIZE, RW, false), VM_EINVAL);
	KT_CHECK_EQ(vm_map(k, SCRATCH, f, 0, RW, false), VM_EINVAL);
	KT_CHECK_EQ(vm_map(k, SCRATCH, f, 100, RW, false), VM_EINVAL);
	KT_CHECK_EQ(
		vm_map(k, SCRATCH + PAGE_SIZE, f, LARGE_PAGE_SIZE, RW, true),
		VM_EINVAL);
	KT_CHECK_EQ(
		vm_map(k, SCRATCH, f + PAGE_SIZE, LARGE_PAGE_SIZE, RW, true),
		VM_EINVAL);
	KT_CHECK_EQ(vm_map(k, 0x0000800000000000ull, f, PAGE_SIZE, RW, false),
		    VM_EINVAL); /* non-canonical */
	KT_CHECK_EQ(
		vm_map(k, 0x00007ffffffff000ull, f, 2 * PAGE_SIZE, RW, false),
		VM_EINVAL); /* runs into the hole */
	KT_CHECK_EQ(
		vm_map(k, 0xfffffffffffff000ull, f, 2 * PAGE_SIZE, RW, false),
		VM_EINVAL); /* wraps */
	KT_CHECK_EQ(vm_map(k, SCRATCH, 1ull << 52, PAGE_SIZE, RW, false),
		    VM_EINVAL);
	KT_CHECK_EQ(vm_map(k, SCRATCH, f, PAGE_SIZE, RW | 0x100, false),
		    VM_EINVAL);
	KT_CHECK_EQ(vm_map(k, SCRATCH, f, PAGE_SIZE, 0, false), VM_EINVAL);
	KT_CHECK_EQ(vm_map(k, SCRATCH, f, PAGE_SIZE, RW | VM_USER, false),
		    VM_EINVAL); /* user page in the kernel half */
	KT_CHECK_EQ(vm_map(NULL, SCRATCH, f, PAGE_SIZE, RW, false), VM_EINVAL);
	KT_CHECK_EQ(vm_unmap(k, SCRATCH + 0x10, PAGE_SIZE), VM_EINVAL);
	KT_CHECK_EQ(vm_unmap(k, SCRATCH, 0), VM_EINVAL);
	/* protect is all or nothing: an unmapped page in the range fails it. */
	KT_CHECK_EQ(vm_protect(k, SCRATCH, PAGE_SIZE, VM_READ), VM_EINVAL);
	KT_CHECK(!vm_translate(k, SCRATCH, NULL, NULL));
}

KTEST(vm_kernel_image_is_wx)
{
	unsigned fl;
	phys_addr_t pa;
	KT_CHECK(
		vm_translate(&kernel_space, (uintptr_t)__text_start, &pa, &fl));
	KT_CHECK_EQ(pa, KERNEL_VA_TO_PA(__text_start));
	KT_CHECK_EQ(fl & (VM_WRITE | VM_EXEC), VM_EXEC);
	KT_CHECK(vm_translate(&kernel_space, (uintptr_t)__rodata_start, NULL,
			      &fl));
	KT_CHECK_EQ(fl & (VM_WRITE | VM_EXEC), 0);
	KT_CHECK(vm_translate(&kernel_space, (uintptr_t)data_code, NULL, &fl));
	KT_CHECK_EQ(fl & (VM_WRITE | VM_EXEC), VM_WRITE);
	/* And the MMU agrees: no writing code, no running data. */
	struct caught_fault cf;
	KT_CHECK(trap_catch(do_write, (void *)__text_start, &cf));
	KT_CHECK_EQ(cf.error & (PF_P | PF_W), PF_P | PF_W);
	void *alias = phys_to_virt(KERNEL_VA_TO_PA(__text_start));
	KT_CHECK(trap_catch(do_write, alias, &cf)); /* direct-map alias too */
	KT_CHECK_EQ(cf.cr2, (uintptr_t)alias);
	KT_CHECK(trap_catch(do_call, data_code, &cf));
	KT_CHECK_EQ(cf.cr2, (uintptr_t)data_code);
	KT_CHECK_EQ(cf.error & (PF_P | PF_I), PF_P | PF_I);
}

KTEST(vm_identity_map_is_gone)
{
	struct caught_fault cf;
	virt_addr_t low = KERNEL_LMA; /* boot stub, identity-mapped at boot */
	KT_CHECK(!vm_translate(&kernel_space, low, NULL, NULL));
	KT_CHECK(!vm_translate(&kernel_space, 0x1000, NULL, NULL));
	KT_CHECK(trap_catch(do_read, (void *)low, &cf));
	KT_CHECK_EQ(cf.vector, 14);
	KT_CHECK_EQ(cf.cr2, low);
	KT_CHECK_EQ(cf.error & PF_P, 0);
	/* The direct map still reaches the same memory. */
	KT_CHECK(!trap_catch(do_read, phys_to_virt(low), NULL));
}

/* Maps one frame at USER_VA with `flags`, its bytes all `fill`. */
static phys_addr_t map_user_page(unsigned flags, uint8_t fill)
{
	phys_addr_t f = pmm_alloc();
	if (!f)
		return 0;
	memset(phys_to_virt(f), fill, PAGE_SIZE);
	if (vm_map(&kernel_space, USER_VA, f, PAGE_SIZE, flags, false)) {
		pmm_free(f);
		return 0;
	}
	return f;
}

static void unmap_user_page(phys_addr_t f)
{
	vm_unmap(&kernel_space, USER_VA, PAGE_SIZE);
	pmm_free(f);
}

/* CPUID.7.0:EBX bit `bit`, read here rather than trusting cpu_detect(). */
static bool cpuid7_ebx(unsigned bit)
{
	uint32_t a, b, c, d;
	cpuid(0, 0, &a, &b, &c, &d);
	if (a < 7)
		return false;
	cpuid(7, 0, &a, &b, &c, &d);
	return b & (1u << bit);
}

KTEST(vm_smep_blocks_executing_user_pages)
{
	KT_CHECK_EQ(cpu_features.smep, cpuid7_ebx(7));
	if (!cpu_features.smep) { /* -cpu max has it */
		KT_CHECK(!(read_cr4() & CR4_SMEP));
		kprintf("    (no SMEP on this CPU: skipped)\n");
		return;
	}
	KT_CHECK(read_cr4() & CR4_SMEP);
	uint64_t base_free = free_frames();
	phys_addr_t f = map_user_page(VM_USER | VM_READ | VM_EXEC, OP_RET);
	KT_CHECK(f);
	struct caught_fault cf;
	bool caught = trap_catch(do_call, (void *)USER_VA, &cf);
	unmap_user_page(f);
	KT_CHECK(caught);
	KT_CHECK_EQ(cf.vector, 14);
	KT_CHECK_EQ(cf.cr2, USER_VA);
	KT_CHECK_EQ(cf.error & (PF_P | PF_I | PF_U), PF_P | PF_I);
	KT_CHECK_EQ(free_frames(), base_free); /* user-half PDPT freed too */
}

static void do_read_stac(void *p)
{
	stac();
	*(uint64_t *)p = *(volatile uint64_t *)USER_VA;
	clac();
}

KTEST(vm_smap_blocks_user_reads_unless_stac)
{
	KT_CHECK_EQ(cpu_features.smap, cpuid7_ebx(20));
	if (!cpu_features.smap) {
		KT_CHECK(!(read_cr4() & CR4_SMAP));
		kprintf("    (no SMAP on this CPU: skipped)\n");
		return;
	}
	KT_CHECK(read_cr4() & CR4_SMAP);
	phys_addr_t f = map_user_page(VM_USER | VM_READ, 0x5a);
	KT_CHECK(f);
	struct caught_fault cf;
	bool caught = trap_catch(do_read, (void *)USER_VA, &cf);
	uint64_t v = 0;
	bool stac_faulted = trap_catch(do_read_stac, &v, NULL);
	clac();
	bool ac_clear = !(read_rflags() & RFLAGS_AC);
	unmap_user_page(f);
	KT_CHECK(caught);
	KT_CHECK_EQ(cf.cr2, USER_VA);
	KT_CHECK_EQ(cf.error & (PF_P | PF_W | PF_U), PF_P);
	KT_CHECK(!stac_faulted);
	KT_CHECK_EQ(v, 0x5a5a5a5a5a5a5a5aull);
	KT_CHECK(ac_clear);
}

KTEST(vm_table_frames_return_after_map_unmap_cycles)
{
	uint64_t base_free = free_frames(), base_tables = vm_table_pages();
	phys_addr_t f = pmm_alloc_contig(512, 512, 0);
	KT_CHECK(f);
	for (unsigned i = 0; i < 64; i++) {
		/* Spread over 1 GiB and 512 GiB boundaries so PDs (and in the
		 * user half PDPTs) are made and freed too. */
		virt_addr_t k = SCRATCH + (uint64_t)(i % 8) * GiB(1) +
				(uint64_t)(i % 5) * LARGE_PAGE_SIZE;
		virt_addr_t u =
			(uint64_t)(1 + i % 3) * GiB(512) + PAGE_SIZE * i;
		KT_CHECK_EQ(
			vm_map(&kernel_space, k, f, LARGE_PAGE_SIZE, RW, true),
			0);
		KT_CHECK_EQ(vm_map(&kernel_space, k + LARGE_PAGE_SIZE, f,
				   16 * PAGE_SIZE, RW, false),
			    0);
		KT_CHECK_EQ(vm_map(&kernel_space, u, f, PAGE_SIZE,
				   VM_USER | VM_READ, false),
			    0);
		KT_CHECK(vm_table_pages() > base_tables);
		KT_CHECK_EQ(vm_unmap(&kernel_space, k, 2 * LARGE_PAGE_SIZE), 0);
		KT_CHECK_EQ(vm_unmap(&kernel_space, u, PAGE_SIZE), 0);
		KT_CHECK_EQ(vm_table_pages(), base_tables);
	}
	pmm_free_contig(f, 512);
	KT_CHECK_EQ(free_frames(), base_free);
	KT_CHECK_EQ(pmm_verify(), 0);
}

static virt_addr_t seen_va;
static size_t seen_size;
static unsigned seen_calls;

static uint64_t seen_cpus;

static void fake_remote_flush(uint64_t targets, bool user, virt_addr_t va,
			      size_t size)
{
	seen_cpus = user ? 0 : targets;
	seen_va = va;
	seen_size = size;
	seen_calls++;
}

KTEST(vm_unmap_calls_remote_shootdown_when_smp)
{
	phys_addr_t f = pmm_alloc();
	KT_CHECK(f);
	void (*saved)(uint64_t, bool, virt_addr_t, size_t) = tlb_remote_flush;
	unsigned saved_n = ncpus_online;
	if (saved_n < 2)
		ncpus_online = 2; /* pretend: only the hook is watched */
	tlb_remote_flush = fake_remote_flush;
	seen_calls = 0;
	int m = vm_map(&kernel_space, SCRATCH + 0x7000, f, PAGE_SIZE, RW,
		       false);
	unsigned after_map = seen_calls;
	int u = vm_unmap(&kernel_space, SCRATCH + 0x7000, PAGE_SIZE);
	tlb_remote_flush = saved;
	ncpus_online = saved_n;
	pmm_free(f);
	KT_CHECK_EQ(m, 0);
	KT_CHECK_EQ(after_map, 0); /* new mappings need no shootdown */
	KT_CHECK_EQ(u, 0);
	KT_CHECK_EQ(seen_calls, 1);
	/* Kernel pages are global: every other CPU is asked. */
	KT_CHECK_EQ(seen_cpus, ~0ull & ~(1ull << this_cpu()->id));
	KT_CHECK(seen_va <= SCRATCH + 0x7000);
	KT_CHECK(seen_va + seen_size >= SCRATCH + 0x8000);
}

KTEST(vm_ioremap_maps_device_uncached)
{
	/* The local APIC: version register, integrated APIC (>= 0x10). */
	volatile uint32_t *lapic = ioremap(0xfee00000, PAGE_SIZE);
	KT_CHECK(lapic);
	KT_CHECK((uintptr_t)lapic >= MMIO_BASE &&
		 (uintptr_t)lapic < MMIO_BASE + MMIO_SIZE);
	phys_addr_t pa;
	unsigned fl;
	KT_CHECK(vm_translate(&kernel_space, (uintptr_t)lapic, &pa, &fl));
	KT_CHECK_EQ(pa, 0xfee00000);
	KT_CHECK_EQ(fl & (VM_UNCACHED | VM_EXEC | VM_WRITE),
		    VM_UNCACHED | VM_WRITE);
	KT_CHECK((lapic[0x30 / 4] & 0xff) >= 0x10);
	/* Sub-page offsets are kept. */
	volatile uint8_t *p = ioremap(0xfee00030, 4);
	KT_CHECK_EQ((uintptr_t)p & (PAGE_SIZE - 1), 0x30);
	KT_CHECK_EQ(*(volatile uint32_t *)p, lapic[0x30 / 4]);
}
