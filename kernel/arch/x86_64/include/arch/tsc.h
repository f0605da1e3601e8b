/* TSC calibration and the clock behind clock_ns() (tsc.c). */
#pragma once
#include <kern/types.h>

enum time_ref { TIME_REF_HPET, TIME_REF_PIT };

/* Measures the TSC rate against ref (median of several ~10 ms windows);
 * 0 if ref is unusable. Interrupts should be off. */
uint64_t tsc_measure_hz(enum time_ref ref);
/* Calibrates and starts the clock (boot CPU, once). */
void tsc_clock_init(enum time_ref ref);
uint64_t tsc_hz(void);
/* TSC value at which clock_ns() reaches ns (saturating). */
uint64_t tsc_from_ns(uint64_t ns);
/* The TSC read first thing at the kernel's entry (boot.c). */
extern uint64_t boot_entry_tsc;
