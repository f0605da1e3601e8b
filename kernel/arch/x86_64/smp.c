/* Start the application processors listed in the MADT: INIT-SIPI-SIPI into
 * the real-mode trampoline (trampoline.S), which enters long mode on the
 * kernel's page tables and calls ap_main() on a freshly allocated stack.
 * Each AP gets its own GDT/TSS (with IST stacks), the shared IDT, its LAPIC
 * timer, and then idles until an IPI gives it work.
 *
 * Every AP gets its INIT first and all share one INIT->SIPI delay (none on
 * CPUs that do not need it); then each gets its SIPI in turn (the
 * trampoline has one parameter block). The boot CPU waits with hlt, not a
 * pause loop: under -icount all vCPUs share one host thread, and with the
 * boot CPU spinning the AP's first instruction came ~53 ms of guest time
 * after its SIPI. */
#include <arch/cpu.h>
#include <arch/kstack.h>
#include <arch/lapic.h>
#include <arch/layout.h>
#include <arch/paging.h>
#include <arch/percpu.h>
#include <arch/smp.h>
#include <arch/trap.h>
#include <arch/vectors.h>
#include <kern/acpi.h>
#include <kern/arch.h>
#include <kern/bootinfo.h>
#include <kern/lib.h>
#include <kern/log.h>
#include <kern/sched.h>
#include <kern/mm.h>
#include <kern/pmm.h>
#include <kern/time.h>
#include <kern/vm.h>
#include <arch/timer.h>

#define INIT_DELAY_NS	  10000000ull /* INIT deassert -> SIPI, legacy: 10 ms */
#define SIPI_DELAY_NS	  200000ull   /* at most, between the two SIPIs */
#define ONLINE_TIMEOUT_NS 1000000000ull /* AP must report within 1 s */
#define POLL_NS		  10000ull

_Static_assert(sizeof(struct ap_boot_params) == APB_SIZE, "trampoline.S");
_Static_assert(__builtin_offsetof(struct ap_boot_params, entry) == APB_ENTRY,
	       "trampoline.S");
_Static_assert(__builtin_offsetof(struct ap_boot_params, cpu) == APB_CPU,
	       "trampoline.S");
_Static_assert(AP_TRAMPOLINE_PA < 0x100000 && !(AP_TRAMPOLINE_PA & 0xfff),
	       "SIPI vector is a page number below 1 MiB");

/* Interrupt stacks of each AP, read by the AP itself in ap_main(). */
static uintptr_t ap_ist_top[MAX_CPUS][3];
static unsigned ncpus_possible = 1;

unsigned smp_ncpus_possible(void)
{
	return ncpus_possible;
}

static volatile struct ap_boot_params *tramp_params(void)
{
	size_t off = (size_t)(ap_trampoline_params - __ap_trampoline_start);
	return phys_to_virt(AP_TRAMPOLINE_PA + off);
}

/* A stack with guard pages below it (kstack.c). Returns the top, or 0. */
static uintptr_t alloc_stack(size_t size)
{
	void *base = kstack_map_new((unsigned)(size / PAGE_SIZE));
	return base ? (uintptr_t)base + size : 0;
}

static void free_stack(uintptr_t top, size_t size)
{
	if (top)
		arch_kstack_free((void *)(top - size),
				 (unsigned)(size / PAGE_SIZE));
}

__noreturn void ap_main(struct cpu *c);

__noreturn void ap_main(struct cpu *c)
{
	/* Running on the trampoline's temporary GDT, interrupts off. */
	percpu_init(c, c->id, c->apic_id);
	gdt_init_cpu(c, ap_ist_top[c->id]);
	idt_load();
	cpu_enable_protection();
	time_init_ap();
	tss_set_rsp0(c, c->kstack_top);
	arch_syscall_init_cpu();
	sched_init_cpu(); /* this start-up context becomes the idle thread */

	__atomic_fetch_add(&ncpus_online, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&c->online, true, __ATOMIC_RELEASE);
	sched_start();
}

/* The trampoline page must be reachable at its physical address once
 * paging is on. The boot tables identity-map low memory; the kernel's own
 * tables do not, so map the page R+X for the start-up (W^X: it is written
 * through the direct map). Returns true if a mapping was added. */
static bool tramp_map(void)
{
	phys_addr_t pa;
	unsigned fl;
	if (vm_translate(&kernel_space, AP_TRAMPOLINE_PA, &pa, &fl)) {
		if (pa != AP_TRAMPOLINE_PA || !(fl & VM_EXEC))
			panic("smp: trampoline address %#x mapped elsewhere",
			      AP_TRAMPOLINE_PA);
		return false;
	}
	if (vm_map(&kernel_space, AP_TRAMPOLINE_PA, AP_TRAMPOLINE_PA, PAGE_SIZE,
		   VM_READ | VM_EXEC, false) < 0)
		panic("smp: cannot map the trampoline page");
	return true;
}

static bool tramp_page_usable(void)
{
	const struct boot_info *bi = &boot_info;
	for (size_t i = 0; i < bi->nmem; i++) {
		const struct mem_region *r = &bi->mem[i];
		if (r->base <= AP_TRAMPOLINE_PA &&
		    r->base + r->len >= AP_TRAMPOLINE_PA + PAGE_SIZE)
			return r->type == MEM_USABLE;
	}
	return false;
}

static void tramp_install(void)
{
	size_t len = (size_t)(__ap_trampoline_end - __ap_trampoline_start);
	BUG_ON(len > PAGE_SIZE);
	memcpy(phys_to_virt(AP_TRAMPOLINE_PA), __ap_trampoline_start, len);

	volatile struct ap_boot_params *p = tramp_params();
	phys_addr_t root = vm_kernel_root();
	BUG_ON(root >> 32);
	p->cr3 = (uint32_t)root;
	p->efer = EFER_LME | (uint32_t)(rdmsr(MSR_EFER) & EFER_NXE);
	/* The rest of CR4 (SMEP, SMAP, ...) is cpu_enable_protection()'s. */
	p->cr4 = (uint32_t)(read_cr4() & CR4_PGE) | (1u << 5); /* PAE */
	p->entry = (uintptr_t)ap_main;
}

/* The MP specification's 10 ms between INIT and SIPI is for external
 * APICs and early parts. Like Linux, skip it on Intel family 6 and later,
 * AMD family 0xf and later, Hygon, and under any hypervisor (CPUID.1:ECX
 * bit 31). */
static uint64_t init_delay_ns(void)
{
	uint32_t a, b, c, d;
	cpuid(1, 0, &a, &b, &c, &d);
	if (c & (1u << 31))
		return 0;
	uint32_t family = (a >> 8) & 0xf;
	if (family == 0xf)
		family += (a >> 20) & 0xff;
	const char *v = cpu_features.vendor;
	if ((!strcmp(v, "GenuineIntel") && family >= 6) ||
	    (!strcmp(v, "AuthenticAMD") && family >= 0xf) ||
	    !strcmp(v, "HygonGenuine"))
		return 0;
	return INIT_DELAY_NS;
}

static void wake_noop(void)
{
}

/* Sleeps up to ns in hlt on the boot CPU's one-shot timer (free until
 * the scheduler starts), or until done(arg). Returns done(arg). */
static bool idle_until(bool (*done)(const void *), const void *arg, uint64_t ns)
{
	unsigned long flags = arch_irq_save();
	BUG_ON(timer_pending());
	uint64_t end = clock_ns() + ns;
	bool ok;
	while (!(ok = done(arg)) && clock_ns() < end) {
		timer_arm(MIN(end, clock_ns() + POLL_NS), wake_noop);
		arch_idle(); /* sti; hlt; cli */
	}
	timer_cancel();
	arch_irq_restore(flags);
	return ok;
}

static bool never(const void *arg)
{
	(void)arg;
	return false;
}

static bool cpu_online(const void *arg)
{
	const struct cpu *c = arg;
	return __atomic_load_n(&c->online, __ATOMIC_ACQUIRE);
}

static bool ap_alive(const void *arg)
{
	const volatile struct ap_boot_params *p = arg;
	return p->alive != 0;
}

static bool start_ap(unsigned id, uint32_t apic_id)
{
	struct cpu *c = &cpus[id];
	c->id = id;
	c->apic_id = apic_id;
	c->online = false;
	c->kstack_top = alloc_stack(KSTACK_SIZE);
	for (int i = 0; i < 3; i++)
		ap_ist_top[id][i] = alloc_stack(IST_STACK_SIZE);
	if (!c->kstack_top || !ap_ist_top[id][0] || !ap_ist_top[id][1] ||
	    !ap_ist_top[id][2]) {
		pr_err("smp: out of memory for cpu %u stacks", id);
		goto fail;
	}

	volatile struct ap_boot_params *p = tramp_params();
	p->alive = 0;
	p->stack = c->kstack_top;
	p->cpu = (uintptr_t)c;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);

	/* The AP had its INIT (arch_smp_init()). */
	lapic_send_sipi(apic_id, AP_TRAMPOLINE_PA >> 12);
	/* The first SIPI can be lost; a second is allowed. */
	if (!idle_until(ap_alive, (const void *)p, SIPI_DELAY_NS))
		lapic_send_sipi(apic_id, AP_TRAMPOLINE_PA >> 12);

	if (idle_until(cpu_online, c, ONLINE_TIMEOUT_NS)) {
		pr_info("smp: cpu %u (apic %u) online", id, apic_id);
		return true;
	}
	/* Put it back to sleep so it cannot run later on parameters (and
	 * stacks) meant for the next CPU. */
	lapic_send_init(apic_id);
	pr_err("smp: cpu apic %u did not start (%s)", apic_id,
	       p->alive ? "stuck after real mode" : "no response");
fail:
	free_stack(c->kstack_top, KSTACK_SIZE);
	for (int i = 0; i < 3; i++)
		free_stack(ap_ist_top[id][i], IST_STACK_SIZE);
	memset(ap_ist_top[id], 0, sizeof(ap_ist_top[id]));
	c->kstack_top = 0;
	return false;
}

void arch_smp_init(void)
{
	struct cpu *bsp = this_cpu();
	uint32_t bsp_apic = lapic_id();
	bsp->apic_id = bsp_apic;
	__atomic_store_n(&ncpus_online, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&bsp->online, true, __ATOMIC_RELEASE);
	ipi_init();
	kstack_init();
	/* The boot CPU's interrupt stacks were static (needed before the
	 * frame allocator); now they get guard pages like everyone's. */
	for (unsigned i = 0; i < 3; i++) {
		uintptr_t top = alloc_stack(IST_STACK_SIZE);
		if (top)
			tss_set_ist(bsp, IST_DOUBLE_FAULT + i, top);
	}
	__atomic_store_n(&tlb_remote_flush, smp_tlb_shootdown,
			 __ATOMIC_RELEASE);

	unsigned possible = 0;
	for (size_t i = 0; i < acpi.ncpus; i++)
		if (acpi.cpus[i].enabled)
			possible++;
	if (!acpi.has_madt || possible == 0) {
		pr_info("smp: no MADT; 1 of 1 CPUs online");
		return;
	}
	ncpus_possible = MIN(possible, MAX_CPUS);
	if (!tramp_page_usable())
		pr_warn("smp: trampoline page %#x is not usable RAM in the "
			"memory map; using it anyway",
			AP_TRAMPOLINE_PA);

	tramp_install();
	bool mapped = tramp_map();
	/* INIT every AP (those beyond MAX_CPUS just stay parked in
	 * wait-for-SIPI), then one shared delay. */
	unsigned n = 0;
	for (size_t i = 0; i < acpi.ncpus; i++) {
		const struct acpi_cpu *ac = &acpi.cpus[i];
		if (ac->enabled && ac->apic_id != bsp_apic) {
			lapic_send_init(ac->apic_id);
			n++;
		}
	}
	uint64_t delay = init_delay_ns();
	pr_debug("smp: INIT sent to %u CPUs, INIT->SIPI delay %llu us", n,
		 (unsigned long long)(delay / 1000));
	if (n && delay)
		idle_until(never, NULL, delay);
	unsigned next = 1;
	for (size_t i = 0; i < acpi.ncpus; i++) {
		const struct acpi_cpu *ac = &acpi.cpus[i];
		if (!ac->enabled || ac->apic_id == bsp_apic)
			continue;
		if (next >= MAX_CPUS) {
			pr_warn("smp: more than %d CPUs; ignoring the rest",
				MAX_CPUS);
			break;
		}
		if (start_ap(next, ac->apic_id))
			next++;
	}
	if (mapped && vm_unmap(&kernel_space, AP_TRAMPOLINE_PA, PAGE_SIZE) < 0)
		pr_warn("smp: cannot unmap the trampoline page");

	pr_info("smp: %u of %u CPUs online",
		__atomic_load_n(&ncpus_online, __ATOMIC_RELAXED), possible);
}
