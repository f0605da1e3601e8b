/* Arch side of the one-shot timer (timer.c); the portable interface is
 * kern/time.h. */
#pragma once
#include <kern/types.h>

void timer_init(void);	   /* once: handler, mode choice */
void timer_init_cpu(void); /* every CPU: disarmed */
bool timer_pending(void);  /* this CPU has an armed timer */
bool timer_uses_tsc_deadline(void);
uint64_t lapic_timer_measure_per_ms(void);
/* Tests: cap one LAPIC count (0: back to 2^32-1) to force re-arming. */
void timer_test_set_max_ticks(uint32_t ticks);
