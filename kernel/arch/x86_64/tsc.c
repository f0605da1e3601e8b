/* The monotonic clock: the TSC scaled to nanoseconds,
 *   ns = base + ((tsc - tsc0) * mult) >> shift
 * with a 128-bit product (kern/clockmath.h). base is the time since reset
 * at calibration, so log timestamps carry on from the TSC's own count; the
 * (tsc0, base) pair lets a later recalibration continue without a jump.
 * Reads 0 before calibration. */
#include <arch/cpu.h>
#include <arch/hpet.h>
#include <arch/pit.h>
#include <arch/tsc.h>
#include <kern/arch.h>
#include <kern/clockmath.h>
#include <kern/log.h>
#include <kern/time.h>

#define CAL_WINDOW_NS 10000000ull /* 10 ms per sample */
#define CAL_SAMPLES   5
#define PIT_WINDOW    11932 /* 10.0 ms of PIT ticks */

static struct clock_scale tsc_to_ns, ns_to_tsc;
static uint64_t tsc0, base_ns, hz;
static bool ready;

uint64_t arch_clock_ns(void)
{
	if (!__atomic_load_n(&ready, __ATOMIC_ACQUIRE))
		return 0;
	uint64_t t = rdtsc();
	/* An AP whose TSC lags the boot CPU's must not see time run
	 * backwards past the epoch (QEMU keeps TSCs in step). */
	if (t < tsc0)
		return base_ns;
	return base_ns + clock_scale_apply(&tsc_to_ns, t - tsc0);
}

uint64_t clock_ns(void)
{
	return arch_clock_ns();
}

void clock_delay_ns(uint64_t ns)
{
	uint64_t start = clock_ns();
	while (clock_ns() - start < ns)
		cpu_pause();
}

static uint64_t sample_hpet(void)
{
	uint64_t h0 = hpet_counter(), t0 = rdtsc(), h1, ns;
	do {
		h1 = hpet_counter();
		ns = hpet_delta_ns(h0, h1);
	} while (ns < CAL_WINDOW_NS);
	uint64_t t1 = rdtsc();
	return clock_rate_hz(t1 - t0, ns);
}

/* Reads the PIT counter between two TSC reads; returns their midpoint. */
static uint64_t pit_read_at(uint16_t *count)
{
	uint64_t a = rdtsc();
	*count = pit_ch2_read();
	return a + (rdtsc() - a) / 2;
}

/* Reads the counter rather than waiting for OUT2: a host stall of the
 * TCG thread then lands inside the measured interval on both sides
 * instead of being added to the TSC side only. */
static uint64_t sample_pit(void)
{
	uint16_t c0, c1;
	pit_ch2_start();
	uint64_t t0 = pit_read_at(&c0), t1;
	uint16_t ticks;
	do {
		t1 = pit_read_at(&c1);
		ticks = (uint16_t)(c0 - c1);
	} while (ticks < PIT_WINDOW);
	uint64_t ns = (uint64_t)ticks * 1000000000ull / PIT_HZ;
	return clock_rate_hz(t1 - t0, ns);
}

uint64_t tsc_measure_hz(enum time_ref ref)
{
	if (ref == TIME_REF_HPET && !hpet_present())
		return 0;
	uint64_t s[CAL_SAMPLES];
	unsigned long flags = arch_irq_save();
	for (unsigned i = 0; i < CAL_SAMPLES; i++)
		s[i] = ref == TIME_REF_HPET ? sample_hpet() : sample_pit();
	arch_irq_restore(flags);
	uint64_t med = clock_median(s, CAL_SAMPLES);
	pr_debug("tsc: %s samples %llu..%llu Hz",
		 ref == TIME_REF_HPET ? "HPET" : "PIT",
		 (unsigned long long)s[0],
		 (unsigned long long)s[CAL_SAMPLES - 1]);
	return med;
}

void tsc_clock_init(enum time_ref ref)
{
	if (ref == TIME_REF_HPET && !hpet_present())
		ref = TIME_REF_PIT;
	hz = tsc_measure_hz(ref);
	if (!hz)
		panic("tsc: calibration failed");
	clock_scale_init(&tsc_to_ns, 1000000000ull, hz);
	clock_scale_init(&ns_to_tsc, hz, 1000000000ull);
	tsc0 = rdtsc();
	base_ns = clock_scale_apply(&tsc_to_ns, tsc0);
	__atomic_store_n(&ready, true, __ATOMIC_RELEASE);
	uint64_t khz = hz / 1000;
	pr_info("tsc: %llu.%03llu MHz (calibrated against %s), invariant TSC: "
		"%s, TSC-deadline: %s",
		(unsigned long long)(khz / 1000),
		(unsigned long long)(khz % 1000),
		ref == TIME_REF_HPET ? "HPET" : "PIT",
		cpu_features.invariant_tsc ? "yes" : "no",
		cpu_features.tsc_deadline ? "yes" : "no");
}

uint64_t tsc_hz(void)
{
	return hz;
}

uint64_t tsc_from_ns(uint64_t ns)
{
	if (ns <= base_ns)
		return tsc0;
	uint64_t d = clock_scale_apply(&ns_to_tsc, ns - base_ns);
	return d > UINT64_MAX - tsc0 ? UINT64_MAX : tsc0 + d;
}
