/* Tickless one-shot timer, one per CPU: the LAPIC timer (or the
 * TSC-deadline MSR when the CPU has it) is programmed for the next
 * deadline only; there is no periodic tick. All state lives in this CPU's
 * struct cpu and is touched only by that CPU with interrupts off, so no
 * lock is needed. */
#include <arch/cpu.h>
#include <arch/lapic.h>
#include <arch/percpu.h>
#include <arch/timer.h>
#include <arch/trap.h>
#include <arch/tsc.h>
#include <arch/vectors.h>
#include <kern/arch.h>
#include <kern/clockmath.h>
#include <kern/time.h>

/* Longest single LAPIC count; lowered by tests to exercise re-arming. */
static uint32_t max_ticks = 0xffffffffu;
static bool use_tsc_deadline;

void timer_test_set_max_ticks(uint32_t ticks)
{
	max_ticks = ticks ? ticks : 0xffffffffu;
}

bool timer_uses_tsc_deadline(void)
{
	return use_tsc_deadline;
}

/* ns -> LAPIC ticks, rounded up so the count never ends before the
 * deadline (if the LAPIC runs a little fast, the handler re-arms). */
static uint32_t ns_to_ticks(uint64_t ns, uint64_t per_ms)
{
	if (!per_ms)
		return max_ticks;
	uint64_t limit_ns = (uint64_t)max_ticks * 1000000ull / per_ms;
	if (ns >= limit_ns)
		return max_ticks;
	uint64_t t = (ns * per_ms + 999999) / 1000000;
	return t ? (uint32_t)t : 1;
}

static void program(struct cpu *c)
{
	if (use_tsc_deadline) {
		lapic_timer_tsc_deadline(tsc_from_ns(c->timer_deadline_ns));
		return;
	}
	uint64_t now = clock_ns();
	uint64_t delta =
		c->timer_deadline_ns > now ? c->timer_deadline_ns - now : 0;
	lapic_timer_oneshot_ticks(ns_to_ticks(delta, c->lapic_ticks_per_ms));
}

static void timer_irq(struct trap_frame *tf)
{
	(void)tf;
	lapic_eoi();
	struct cpu *c = this_cpu();
	c->timer_irqs++;
	timer_fn_t fn = c->timer_fn;
	if (!fn)
		return; /* cancelled after the interrupt was latched */
	if (clock_ns() < c->timer_deadline_ns) {
		program(c); /* long deadline in chunks, or LAPIC ran fast */
		return;
	}
	c->timer_fn = NULL;
	c->timer_fires++;
	fn(); /* may re-arm */
}

void timer_init(void)
{
	use_tsc_deadline = cpu_features.tsc_deadline;
	irq_set_handler(VEC_LAPIC_TIMER, timer_irq);
}

void timer_init_cpu(void)
{
	struct cpu *c = this_cpu();
	c->timer_fn = NULL;
	c->timer_deadline_ns = 0;
	lapic_timer_stop();
}

void timer_arm(uint64_t deadline_ns, timer_fn_t fn)
{
	if (!fn) {
		timer_cancel();
		return;
	}
	unsigned long flags = arch_irq_save();
	struct cpu *c = this_cpu();
	c->timer_deadline_ns = deadline_ns;
	c->timer_fn = fn;
	program(c);
	arch_irq_restore(flags);
}

void timer_cancel(void)
{
	unsigned long flags = arch_irq_save();
	this_cpu()->timer_fn = NULL;
	lapic_timer_stop();
	arch_irq_restore(flags);
}

bool timer_pending(void)
{
	return __atomic_load_n(&this_cpu()->timer_fn, __ATOMIC_RELAXED) != NULL;
}

/* LAPIC ticks per ms, measured against the (calibrated) TSC clock. The
 * LAPIC counts at tens of MHz, so a 1 ms window holds ~60,000 ticks
 * (~16 ppm); the median of three is far inside what timers need (a count
 * is rounded up and the handler re-arms if it ran short). As in the TSC
 * calibration (tsc.c), each count read is bracketed by two clock reads
 * and a window whose brackets exceed 0.1% of it (a host stall, or the
 * first run paying for code translation) is measured again. */
#define LAPIC_CAL_WINDOW_NS 1000000ull
#define LAPIC_CAL_SAMPLES   3
#define LAPIC_CAL_ATTEMPTS  (4 * LAPIC_CAL_SAMPLES)
#define LAPIC_CAL_MAX_PPM   1000

static uint32_t lapic_count_at(uint64_t *ns, uint64_t *err)
{
	uint64_t a = clock_ns();
	uint32_t c = lapic_timer_current();
	uint64_t b = clock_ns();
	*err = (b - a) / 2;
	*ns = a + *err;
	return c;
}

uint64_t lapic_timer_measure_per_ms(void)
{
	uint64_t good[LAPIC_CAL_SAMPLES], all[LAPIC_CAL_ATTEMPTS];
	unsigned ngood = 0, n = 0;
	unsigned long flags = arch_irq_save();
	while (ngood < LAPIC_CAL_SAMPLES && n < LAPIC_CAL_ATTEMPTS) {
		uint64_t t0, t1, e0, e1;
		lapic_timer_start_free();
		uint32_t c0 = lapic_count_at(&t0, &e0), c1;
		do
			c1 = lapic_count_at(&t1, &e1);
		while (t1 - t0 < LAPIC_CAL_WINDOW_NS);
		/* To the nearest tick: truncating would bias the rate low,
		 * and a low rate makes timers end a tick early and re-arm. */
		uint64_t per_ms =
			(clock_rate_hz(c0 - c1, t1 - t0) + 500) / 1000;
		all[n++] = per_ms;
		if ((e0 + e1) * 1000000ull / LAPIC_CAL_MAX_PPM <= t1 - t0)
			good[ngood++] = per_ms;
	}
	lapic_timer_stop();
	arch_irq_restore(flags);
	return ngood ? clock_median(good, ngood) : clock_median(all, n);
}
