/* HPET: only the main counter is used. */
#include <arch/hpet.h>
#include <kern/clockmath.h>
#include <kern/log.h>
#include <kern/vm.h>

#define HPET_CAP	   0x000
#define HPET_CONF	   0x010
#define HPET_COUNTER	   0x0f0
#define HPET_TIMER_CONF(n) (0x100 + 0x20 * (n))

#define CAP_COUNT_64	 (1ull << 13)
#define CONF_ENABLE	 (1ull << 0)
#define CONF_LEGACY	 (1ull << 1)
#define TIMER_INT_ENABLE (1ull << 2)

/* The spec's upper bound for the period (100 ns). */
#define HPET_MAX_PERIOD_FS 100000000ull

static volatile uint64_t *hpet_regs;
static uint64_t period_fs;
static uint64_t counter_mask;
static struct clock_scale to_ns;

static uint64_t rd(uint32_t reg)
{
	return hpet_regs[reg / 8];
}

static void wr(uint32_t reg, uint64_t v)
{
	hpet_regs[reg / 8] = v;
}

__cold bool hpet_init(phys_addr_t base)
{
	if (!base)
		return false;
	hpet_regs = ioremap(base, 0x400);
	uint64_t cap = rd(HPET_CAP);
	uint64_t p = cap >> 32;
	if (p == 0 || p > HPET_MAX_PERIOD_FS) {
		pr_warn("hpet: bad period %llu fs; not used",
			(unsigned long long)p);
		hpet_regs = NULL;
		return false;
	}
	unsigned ntimers = (unsigned)((cap >> 8) & 0x1f) + 1;
	/* Stop, turn off legacy replacement (so the PIT keeps IRQ0 and the
	 * RTC IRQ8) and every comparator interrupt, then start counting. */
	wr(HPET_CONF, rd(HPET_CONF) & ~(CONF_ENABLE | CONF_LEGACY));
	for (unsigned i = 0; i < ntimers; i++)
		wr(HPET_TIMER_CONF(i),
		   rd(HPET_TIMER_CONF(i)) & ~TIMER_INT_ENABLE);
	counter_mask = (cap & CAP_COUNT_64) ? ~0ull : 0xffffffffull;
	period_fs = p;
	clock_scale_init(&to_ns, period_fs, 1000000);
	wr(HPET_CONF, rd(HPET_CONF) | CONF_ENABLE);
	uint64_t khz = 1000000000000ull / period_fs;
	pr_info("hpet: at %llx, %llu.%03llu MHz, %u comparators, %s counter",
		(unsigned long long)base, (unsigned long long)(khz / 1000),
		(unsigned long long)(khz % 1000), ntimers,
		counter_mask == ~0ull ? "64-bit" : "32-bit");
	return true;
}

bool hpet_present(void)
{
	return hpet_regs != NULL;
}

uint64_t hpet_counter(void)
{
	return rd(HPET_COUNTER) & counter_mask;
}

uint64_t hpet_delta_ns(uint64_t from, uint64_t to)
{
	return clock_scale_apply(&to_ns, (to - from) & counter_mask);
}

uint64_t hpet_period_fs(void)
{
	return period_fs;
}
