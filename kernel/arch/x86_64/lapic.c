/* Local APIC in xAPIC (MMIO) mode: enable, EOI, IPIs for AP start-up and
 * cross-CPU work, and the one-shot timer. Every CPU's LAPIC sits at the same
 * physical address, so one mapping serves all CPUs; each access reaches the
 * executing CPU's own LAPIC. */
#include <arch/cpu.h>
#include <arch/lapic.h>
#include <arch/percpu.h>
#include <arch/trap.h>
#include <arch/vectors.h>
#include <kern/acpi.h>
#include <kern/arch.h>
#include <kern/lib.h>
#include <kern/log.h>
#include <kern/vm.h>

#define LAPIC_ID	 0x020
#define LAPIC_VERSION	 0x030
#define LAPIC_TPR	 0x080
#define LAPIC_EOI	 0x0b0
#define LAPIC_LDR	 0x0d0
#define LAPIC_DFR	 0x0e0
#define LAPIC_SVR	 0x0f0
#define LAPIC_ESR	 0x280
#define LAPIC_ICR_LO	 0x300
#define LAPIC_ICR_HI	 0x310
#define LAPIC_LVT_TIMER	 0x320
#define LAPIC_LVT_LINT0	 0x350
#define LAPIC_LVT_LINT1	 0x360
#define LAPIC_LVT_ERROR	 0x370
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_CUR	 0x390
#define LAPIC_TIMER_DIV	 0x3e0

#define SVR_ENABLE	       (1u << 8)
#define LVT_MASKED	       (1u << 16)
#define LVT_LEVEL	       (1u << 15)
#define LVT_ACTIVE_LOW	       (1u << 13)
#define LVT_NMI		       (4u << 8)
#define LVT_EXTINT	       (7u << 8)
#define LVT_TIMER_ONESHOT      (0u << 17)
#define LVT_TIMER_TSC_DEADLINE (2u << 17)

#define ICR_FIXED	 (0u << 8)
#define ICR_INIT	 (5u << 8)
#define ICR_STARTUP	 (6u << 8)
#define ICR_NMI		 (4u << 8)
#define ICR_PENDING	 (1u << 12) /* delivery status: send pending */
#define ICR_ASSERT	 (1u << 14)
#define ICR_LEVEL	 (1u << 15)
#define ICR_ALL_BUT_SELF (3u << 18)

#define APIC_BASE_ENABLE    (1ul << 11)
#define APIC_BASE_X2APIC    (1ul << 10)
#define APIC_BASE_ADDR_MASK 0x000ffffffffff000ul

/* Divide configuration 0x3 = divide by 16: slow enough that the 32-bit
 * count covers seconds, fine enough (16 bus cycles) for microseconds. */
#define TIMER_DIV_CONF 0x3

static volatile uint32_t *lapic_regs;

static inline uint32_t rd(uint32_t reg)
{
	return lapic_regs[reg / 4];
}

static inline void wr(uint32_t reg, uint32_t v)
{
	lapic_regs[reg / 4] = v;
}

uint32_t lapic_id(void)
{
	return rd(LAPIC_ID) >> 24;
}

void lapic_eoi(void)
{
	wr(LAPIC_EOI, 0);
}

static void error_handler(struct trap_frame *tf)
{
	(void)tf;
	/* ESR must be written before reading to latch the current errors. */
	wr(LAPIC_ESR, 0);
	uint32_t esr = rd(LAPIC_ESR);
	lapic_eoi();
	pr_warn("lapic: cpu %u error, ESR 0x%x", arch_cpu_id(), esr);
}

/* Does the MADT wire this CPU's LINT pin to NMI? Returns the LVT value to
 * use, or a masked entry. */
static uint32_t lint_lvt(unsigned lint)
{
	uint32_t uid = ACPI_NMI_ALL_CPUS;
	uint32_t me = lapic_id();
	for (size_t i = 0; i < acpi.ncpus; i++)
		if (acpi.cpus[i].apic_id == me)
			uid = acpi.cpus[i].acpi_uid;
	for (size_t i = 0; i < acpi.nnmis; i++) {
		const struct acpi_lapic_nmi *n = &acpi.nmis[i];
		if (n->lint != lint ||
		    (n->acpi_uid != ACPI_NMI_ALL_CPUS && n->acpi_uid != uid))
			continue;
		uint32_t v = LVT_NMI;
		if ((n->flags & ACPI_POL_MASK) == ACPI_POL_LOW)
			v |= LVT_ACTIVE_LOW;
		/* NMI delivery is always edge-triggered in the LVT. */
		return v;
	}
	return LVT_MASKED;
}

/* Per-CPU part of the set-up; the registers are already mapped. */
__cold static void lapic_setup_cpu(void)
{
	/* Flat model, all CPUs in logical group 1 (unused: we send physical
	 * destination IPIs), then accept every priority. */
	wr(LAPIC_DFR, 0xffffffff);
	wr(LAPIC_LDR, (rd(LAPIC_LDR) & 0x00ffffff) | (1u << 24));
	wr(LAPIC_LVT_TIMER, LVT_MASKED | VEC_LAPIC_TIMER);
	/* LINT0 carried the 8259's ExtINT; the PIC is masked and the IOAPIC
	 * routes instead. LINT1 is usually NMI per the MADT. */
	wr(LAPIC_LVT_LINT0, lint_lvt(0));
	wr(LAPIC_LVT_LINT1, lint_lvt(1));
	wr(LAPIC_LVT_ERROR, VEC_LAPIC_ERROR);
	wr(LAPIC_ESR, 0);
	wr(LAPIC_ESR, 0);
	wr(LAPIC_TPR, 0);
	wr(LAPIC_SVR, SVR_ENABLE | VEC_SPURIOUS);
	wr(LAPIC_TIMER_DIV, TIMER_DIV_CONF);
	lapic_eoi(); /* drop anything left in service from firmware */
	this_cpu()->apic_id = lapic_id();
}

/* Global enable in xAPIC mode. Firmware may hand over in x2APIC mode,
 * which cannot go straight back to xAPIC (SDM 10.12.5): disable first. */
__cold static void lapic_enable_xapic(void)
{
	uint64_t msr = rdmsr(MSR_APIC_BASE);
	if (msr & APIC_BASE_X2APIC) {
		msr &= ~(APIC_BASE_X2APIC | APIC_BASE_ENABLE);
		wrmsr(MSR_APIC_BASE, msr);
	}
	if (!(msr & APIC_BASE_ENABLE))
		wrmsr(MSR_APIC_BASE, msr | APIC_BASE_ENABLE);
}

__cold void lapic_init(phys_addr_t base)
{
	if (!base)
		base = rdmsr(MSR_APIC_BASE) & APIC_BASE_ADDR_MASK;
	lapic_enable_xapic();
	lapic_regs = ioremap(base, 0x1000);
	irq_set_handler(VEC_LAPIC_ERROR, error_handler);
	lapic_setup_cpu();
	pr_info("lapic: base %llx, id %u, version 0x%x, %u LVTs",
		(unsigned long long)base, lapic_id(), rd(LAPIC_VERSION) & 0xff,
		((rd(LAPIC_VERSION) >> 16) & 0xff) + 1);
}

__cold void lapic_init_ap(void)
{
	lapic_enable_xapic();
	lapic_setup_cpu();
}

static void icr_wait(void)
{
	while (rd(LAPIC_ICR_LO) & ICR_PENDING)
		cpu_pause();
}

/* ICR writes are two registers; an interrupt on this CPU that sends its
 * own IPI between them would corrupt the pair, so interrupts are off. */
static void icr_send(uint32_t dest, uint32_t lo)
{
	unsigned long flags = arch_irq_save();
	icr_wait();
	wr(LAPIC_ICR_HI, dest << 24);
	wr(LAPIC_ICR_LO, lo);
	icr_wait();
	arch_irq_restore(flags);
}

void lapic_send_ipi(uint32_t apic_id, uint8_t vector)
{
	icr_send(apic_id, ICR_FIXED | ICR_ASSERT | vector);
}

void lapic_send_ipi_all_but_self(uint8_t vector)
{
	icr_send(0, ICR_ALL_BUT_SELF | ICR_FIXED | ICR_ASSERT | vector);
}

void lapic_send_nmi(uint32_t apic_id)
{
	icr_send(apic_id, ICR_NMI | ICR_ASSERT);
}

void lapic_send_init(uint32_t apic_id)
{
	/* Assert, then de-assert (required by older parts, harmless now). */
	icr_send(apic_id, ICR_INIT | ICR_LEVEL | ICR_ASSERT);
	icr_send(apic_id, ICR_INIT | ICR_LEVEL);
}

void lapic_send_sipi(uint32_t apic_id, uint8_t page)
{
	icr_send(apic_id, ICR_STARTUP | ICR_ASSERT | page);
}

/* ---- timer ---- */

void lapic_timer_stop(void)
{
	wr(LAPIC_TIMER_INIT, 0);
	if (cpu_features.tsc_deadline)
		wrmsr(MSR_TSC_DEADLINE, 0);
	wr(LAPIC_LVT_TIMER, LVT_MASKED | VEC_LAPIC_TIMER);
}

void lapic_timer_oneshot_ticks(uint32_t ticks)
{
	wr(LAPIC_LVT_TIMER, LVT_TIMER_ONESHOT | VEC_LAPIC_TIMER);
	wr(LAPIC_TIMER_DIV, TIMER_DIV_CONF);
	wr(LAPIC_TIMER_INIT, ticks ? ticks : 1);
}

void lapic_timer_tsc_deadline(uint64_t tsc)
{
	wr(LAPIC_LVT_TIMER, LVT_TIMER_TSC_DEADLINE | VEC_LAPIC_TIMER);
	/* SDM 10.5.4.1: a fence orders the LVT write before the MSR write. */
	__asm__ volatile("mfence" ::: "memory");
	wrmsr(MSR_TSC_DEADLINE, tsc ? tsc : 1);
}

uint32_t lapic_timer_current(void)
{
	return rd(LAPIC_TIMER_CUR);
}

void lapic_timer_start_free(void)
{
	/* Masked one-shot from the maximum: used to count ticks for
	 * calibration without taking an interrupt. */
	wr(LAPIC_LVT_TIMER, LVT_MASKED | LVT_TIMER_ONESHOT | VEC_LAPIC_TIMER);
	wr(LAPIC_TIMER_DIV, TIMER_DIV_CONF);
	wr(LAPIC_TIMER_INIT, 0xffffffffu);
}

void lapic_timer_oneshot_ns(uint64_t ns)
{
	if (!ns) {
		lapic_timer_stop();
		return;
	}
	uint64_t per_ms = this_cpu()->lapic_ticks_per_ms;
	/* No 128-bit division in the kernel: clamp first, then scale. */
	uint64_t max_ns = 0xffffffffull * 1000000 / (per_ms ? per_ms : 1);
	uint64_t ticks = ns >= max_ns ? 0xffffffffu : ns * per_ms / 1000000;
	lapic_timer_oneshot_ticks((uint32_t)ticks);
}
