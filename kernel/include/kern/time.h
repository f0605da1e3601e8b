/* Time: a monotonic nanosecond clock and a tickless one-shot timer per CPU.
 * The clock is the TSC, calibrated at boot against the HPET (or the PIT). */
#pragma once
#include <kern/types.h>

/* Nanoseconds since boot; never goes backwards on one CPU. */
uint64_t clock_ns(void);

/* Arm this CPU's one-shot timer for an absolute deadline (clock_ns()
 * time). When it passes, fn runs in interrupt context on this CPU.
 * Re-arming replaces the previous deadline; a deadline in the past fires
 * as soon as possible. timer_cancel() disarms. */
typedef void (*timer_fn_t)(void);
void timer_arm(uint64_t deadline_ns, timer_fn_t fn);
void timer_cancel(void);

/* Busy-wait (for drivers and tests; the scheduler later adds sleeping). */
void clock_delay_ns(uint64_t ns);
