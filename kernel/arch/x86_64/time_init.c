/* Interrupt controllers and time at boot: legacy PIC masked, LAPIC and
 * IOAPICs up, HPET (or PIT) as the calibration reference, TSC clock and
 * LAPIC timer rate (measured together), then interrupts on. */
#include <arch/cpu.h>
#include <arch/hpet.h>
#include <arch/ioapic.h>
#include <arch/lapic.h>
#include <arch/percpu.h>
#include <arch/pic.h>
#include <arch/timer.h>
#include <arch/tsc.h>
#include <kern/acpi.h>
#include <kern/arch.h>
#include <kern/bootinfo.h>
#include <kern/log.h>

static uint64_t bsp_lapic_per_ms;

void arch_time_init(void)
{
	/* Even without pcat_compat in the MADT, masking absent PICs only
	 * writes to unused ports. */
	pic_disable();
	lapic_init(acpi.has_madt ? acpi.lapic_addr : 0);
	ioapic_init();
	bool hpet = acpi.has_hpet && hpet_init(acpi.hpet_addr);
	/* "nohpet": calibrate against the PIT (the HPET stays available as
	 * a reference for the tests). */
	bool nohpet = bootinfo_cmdline_has(&boot_info, "nohpet");
	/* The LAPIC timer's rate is measured over the TSC's windows. */
	uint64_t lapic_hz = 0;
	lapic_timer_start_free();
	tsc_clock_init(hpet && !nohpet ? TIME_REF_HPET : TIME_REF_PIT,
		       lapic_timer_current, &lapic_hz);
	lapic_timer_stop();

	timer_init();
	/* To the nearest tick: a rate rounded down makes every count end a
	 * little early and the timer re-arm for the rest. */
	bsp_lapic_per_ms = (lapic_hz + 500) / 1000;
	if (!bsp_lapic_per_ms)
		bsp_lapic_per_ms = lapic_timer_measure_per_ms();
	this_cpu()->lapic_ticks_per_ms = bsp_lapic_per_ms;
	timer_init_cpu();
	pr_info("lapic: timer %llu.%03llu MHz (bus / 16), %s mode",
		(unsigned long long)(bsp_lapic_per_ms / 1000),
		(unsigned long long)(bsp_lapic_per_ms % 1000),
		timer_uses_tsc_deadline() ? "TSC-deadline" : "one-shot");
	irq_enable();
}

void time_init_ap(void)
{
	lapic_init_ap();
	/* Every LAPIC timer runs off the same bus clock. */
	this_cpu()->lapic_ticks_per_ms = bsp_lapic_per_ms;
	timer_init_cpu();
}
