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

/* Window per sample. The HPET counts at 10-100 MHz and reads in one MMIO
 * access: 1 ms gives 100,000 ticks at 100 MHz (10 ppm of quantization),
 * and the median of five is well inside what anything here needs (the
 * tests want 1%). The PIT (1.19 MHz, three port accesses per read) keeps
 * 10 ms: its ticks alone would cost 840 ppm in 1 ms. */
#define HPET_WINDOW_NS 1000000ull /* 1 ms */
#define CAL_SAMPLES    5
#define PIT_WINDOW     11932 /* 10.0 ms of PIT ticks */

static struct clock_scale tsc_to_ns, ns_to_tsc;
static uint64_t tsc0, base_ns, hz;
static bool ready;

/* clock_ns() itself, not a wrapper: it is on every switch. */
uint64_t clock_ns(void)
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

uint64_t arch_clock_ns(void)
{
	return clock_ns();
}

void clock_delay_ns(uint64_t ns)
{
	uint64_t start = clock_ns();
	while (clock_ns() - start < ns)
		cpu_pause();
}

/* Calibration compares TSC time with a reference counter over a short
 * window. Under TCG the host can stall the vCPU at any moment: a stall
 * between the two ends of the window is harmless (both clocks run on), but
 * one between reading the reference and reading the TSC is not. So every
 * reference read is bracketed by two TSC reads (its TSC time is their
 * midpoint, give or take half the bracket), and a sample whose brackets
 * are wider than MAX_ERR_PPM of the window is thrown away.
 *
 * The boot calibration also measures a second counter over the same
 * windows (the LAPIC timer, a 32-bit down-counter), bracketed the same
 * way against the TSC, so that it needs no windows of its own. */
#define MAX_ERR_PPM  1000
#define CAL_ATTEMPTS (4 * CAL_SAMPLES)

struct cal_sample {
	uint64_t hz;
	bool ok;
	uint64_t aux_ticks, aux_cycles; /* the second counter, if any */
	bool aux_ok;
};

static uint32_t (*aux_read)(void);

/* The TSC time of a reference read: the midpoint of the two TSC reads
 * around it; *err is half their distance. */
static uint64_t hpet_at(uint64_t *h, uint64_t *err)
{
	uint64_t a = rdtsc();
	*h = hpet_counter();
	uint64_t b = rdtsc();
	*err = (b - a) / 2;
	return a + *err;
}

static uint64_t pit_at(uint16_t *c, uint64_t *err)
{
	uint64_t a = rdtsc();
	*c = pit_ch2_read();
	uint64_t b = rdtsc();
	*err = (b - a) / 2;
	return a + *err;
}

static uint64_t aux_at(uint32_t *c, uint64_t *err)
{
	uint64_t a = rdtsc();
	*c = aux_read();
	uint64_t b = rdtsc();
	*err = (b - a) / 2;
	return a + *err;
}

static bool narrow(uint64_t e0, uint64_t e1, uint64_t span)
{
	return (e0 + e1) * 1000000ull / MAX_ERR_PPM <= span;
}

/* The second counter's reads at the two ends of a window. */
struct aux_end {
	uint64_t t, err;
	uint32_t count;
};

static void aux_mark(struct aux_end *e)
{
	if (aux_read)
		e->t = aux_at(&e->count, &e->err);
}

static void aux_finish(struct cal_sample *s, const struct aux_end *a,
		       const struct aux_end *b)
{
	if (!aux_read)
		return;
	s->aux_ticks = (uint32_t)(a->count - b->count);
	s->aux_cycles = b->t - a->t;
	s->aux_ok = narrow(a->err, b->err, s->aux_cycles);
}

static struct cal_sample sample_hpet(void)
{
	uint64_t h0, h1, ns, e0, e1;
	struct aux_end x0 = {0}, x1 = {0};
	aux_mark(&x0);
	uint64_t t0 = hpet_at(&h0, &e0), t1;
	do {
		t1 = hpet_at(&h1, &e1);
		ns = hpet_delta_ns(h0, h1);
	} while (ns < HPET_WINDOW_NS);
	aux_mark(&x1);
	struct cal_sample s = {.hz = clock_rate_hz(t1 - t0, ns),
			       .ok = narrow(e0, e1, t1 - t0)};
	aux_finish(&s, &x0, &x1);
	return s;
}

/* Reads the counter rather than waiting for OUT2, so that the end of the
 * window is bracketed like its start. A stall longer than the counter's
 * period (54.9 ms) would wrap the elapsed count: OUT2, high once the
 * count passed zero, rejects such a sample. */
static struct cal_sample sample_pit(void)
{
	uint16_t c0, c1, ticks;
	uint64_t e0, e1;
	struct aux_end x0 = {0}, x1 = {0};
	pit_ch2_start();
	aux_mark(&x0);
	uint64_t t0 = pit_at(&c0, &e0), t1;
	do {
		t1 = pit_at(&c1, &e1);
		ticks = (uint16_t)(c0 - c1);
	} while (ticks < PIT_WINDOW);
	aux_mark(&x1);
	uint64_t ns = (uint64_t)ticks * 1000000000ull / PIT_HZ;
	struct cal_sample s = {.hz = clock_rate_hz(t1 - t0, ns),
			       .ok = narrow(e0, e1, t1 - t0) &&
				     !pit_ch2_expired()};
	aux_finish(&s, &x0, &x1);
	return s;
}

static const char *ref_name(enum time_ref ref)
{
	return ref == TIME_REF_HPET ? "HPET" : "PIT";
}

/* The median of CAL_SAMPLES good samples (of at most CAL_ATTEMPTS; if
 * too few are good, of those there are, or of all when none is). The
 * samples are left in s[0..*n). */
static uint64_t measure(enum time_ref ref, struct cal_sample *s, unsigned *n)
{
	uint64_t good[CAL_SAMPLES], all[CAL_ATTEMPTS];
	unsigned ngood = 0;
	*n = 0;
	unsigned long flags = arch_irq_save();
	while (ngood < CAL_SAMPLES && *n < CAL_ATTEMPTS) {
		s[*n] = ref == TIME_REF_HPET ? sample_hpet() : sample_pit();
		all[*n] = s[*n].hz;
		if (s[*n].ok)
			good[ngood++] = s[*n].hz;
		++*n;
	}
	arch_irq_restore(flags);
	uint64_t med =
		ngood ? clock_median(good, ngood) : clock_median(all, *n);
	pr_debug("tsc: %s: %u good samples of %u, median %llu Hz",
		 ref_name(ref), ngood, *n, (unsigned long long)med);
	return med;
}

uint64_t tsc_measure_hz(enum time_ref ref)
{
	if (ref == TIME_REF_HPET && !hpet_present())
		return 0;
	struct cal_sample s[CAL_ATTEMPTS];
	unsigned n;
	return measure(ref, s, &n);
}

/* The second counter's rate: the median over the windows whose own
 * brackets were narrow (or over all), converted with the new scale. */
static uint64_t aux_rate(const struct cal_sample *s, unsigned n)
{
	uint64_t good[CAL_ATTEMPTS], all[CAL_ATTEMPTS];
	unsigned ngood = 0;
	for (unsigned i = 0; i < n; i++) {
		uint64_t ns = clock_scale_apply(&tsc_to_ns, s[i].aux_cycles);
		all[i] = ns ? clock_rate_hz(s[i].aux_ticks, ns) : 0;
		if (s[i].aux_ok)
			good[ngood++] = all[i];
	}
	return ngood ? clock_median(good, ngood) : clock_median(all, n);
}

void tsc_clock_init(enum time_ref ref, uint32_t (*aux)(void), uint64_t *aux_hz)
{
	if (ref == TIME_REF_HPET && !hpet_present())
		ref = TIME_REF_PIT;
	struct cal_sample s[CAL_ATTEMPTS];
	unsigned n;
	aux_read = aux;
	hz = measure(ref, s, &n);
	aux_read = NULL;
	if (!hz)
		panic("tsc: calibration failed");
	clock_scale_init(&tsc_to_ns, 1000000000ull, hz);
	clock_scale_init(&ns_to_tsc, hz, 1000000000ull);
	if (aux && aux_hz)
		*aux_hz = aux_rate(s, n);
	tsc0 = rdtsc();
	base_ns = clock_scale_apply(&tsc_to_ns, tsc0);
	__atomic_store_n(&ready, true, __ATOMIC_RELEASE);
	uint64_t khz = hz / 1000;
	pr_info("tsc: %llu.%03llu MHz (calibrated against %s), invariant TSC: "
		"%s, TSC-deadline: %s",
		(unsigned long long)(khz / 1000),
		(unsigned long long)(khz % 1000), ref_name(ref),
		cpu_features.invariant_tsc ? "yes" : "no",
		cpu_features.tsc_deadline ? "yes" : "no");
}

uint64_t arch_cycles_to_ns(uint64_t t)
{
	if (!__atomic_load_n(&ready, __ATOMIC_ACQUIRE))
		return 0;
	/* The same scale as clock_ns(), also before the calibration. */
	if (t >= tsc0)
		return base_ns + clock_scale_apply(&tsc_to_ns, t - tsc0);
	uint64_t d = clock_scale_apply(&tsc_to_ns, tsc0 - t);
	return d < base_ns ? base_ns - d : 0;
}

uint64_t arch_kernel_entry_ns(void)
{
	return arch_cycles_to_ns(boot_entry_tsc);
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
