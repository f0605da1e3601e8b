/* Local APIC (xAPIC, MMIO). TCG has no x2APIC. */
#pragma once
#include <kern/types.h>

void lapic_init(phys_addr_t base); /* boot CPU: map the registers, enable */
void lapic_init_ap(void);	   /* every other CPU, once started */
uint32_t lapic_id(void);
void lapic_eoi(void);
void lapic_send_ipi(uint32_t apic_id, uint8_t vector);
void lapic_send_ipi_all_but_self(uint8_t vector);
/* An NMI: reaches a CPU even with interrupts off (panic stop). */
void lapic_send_nmi(uint32_t apic_id);
/* Start-up sequence for an AP; `page` is the trampoline's physical page
 * number (trampoline address >> 12, below 1 MiB). */
void lapic_send_init(uint32_t apic_id);
void lapic_send_sipi(uint32_t apic_id, uint8_t page);
/* One-shot LAPIC timer on this CPU, in nanoseconds from now (0: stop). */
void lapic_timer_oneshot_ns(uint64_t ns);

/* Lower-level timer control (time code). The timer counts at the bus
 * clock divided by 16 (lapic_ticks_per_ms in struct cpu). */
void lapic_timer_oneshot_ticks(uint32_t ticks); /* 0 is treated as 1 */
void lapic_timer_tsc_deadline(uint64_t tsc);	/* TSC-deadline mode */
void lapic_timer_stop(void);
void lapic_timer_start_free(void); /* masked count-down from 2^32-1 */
uint32_t lapic_timer_current(void);

/* Time set-up of a secondary CPU (after percpu/GDT/IDT are loaded there):
 * enables its LAPIC and copies the boot CPU's timer calibration. Call with
 * interrupts off; it leaves them off. */
void time_init_ap(void);
