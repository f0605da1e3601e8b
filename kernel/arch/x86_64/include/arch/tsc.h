/* TSC calibration and the clock behind clock_ns() (tsc.c). */
#pragma once
#include <kern/types.h>

enum time_ref { TIME_REF_HPET, TIME_REF_PIT };

/* Measures the TSC rate against ref (median of five windows: 1 ms on the
 * HPET, 10 ms on the PIT); 0 if ref is unusable. */
uint64_t tsc_measure_hz(enum time_ref ref);
/* Calibrates and starts the clock (boot CPU, once). If aux is given, it
 * reads a free-running 32-bit down-counter (the LAPIC timer) whose rate
 * is measured over the same windows and stored in *aux_hz. */
void tsc_clock_init(enum time_ref ref, uint32_t (*aux)(void),
		    uint64_t *aux_hz);
uint64_t tsc_hz(void);
/* TSC value at which clock_ns() reaches ns (saturating). */
uint64_t tsc_from_ns(uint64_t ns);
/* The TSC read first thing at the kernel's entry (boot.c). */
extern uint64_t boot_entry_tsc;
