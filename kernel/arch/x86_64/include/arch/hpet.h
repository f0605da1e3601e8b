/* HPET main counter: the boot-time reference for calibrating the TSC and
 * the LAPIC timer, and the independent reference in the clock tests. Its
 * comparators are left disabled (the LAPIC timer does the work). */
#pragma once
#include <kern/types.h>

/* Maps and starts the counter; false when there is no usable HPET. */
bool hpet_init(phys_addr_t base);
bool hpet_present(void);
uint64_t hpet_counter(void);
/* Nanoseconds between two counter reads (handles a 32-bit counter's
 * wrap-around for intervals shorter than one wrap). */
uint64_t hpet_delta_ns(uint64_t from, uint64_t to);
uint64_t hpet_period_fs(void);
