/* Scheduling parameters, the scheduling authority and DL admission. The
 * threads here are created but never started: parameters, admission and
 * authority checks do not need them to run. */
#include <string.h>

#include "gtest.h"
#include "gutil.h"

static uint64_t cpu_density(unsigned cpu)
{
	struct sched_cpu_info ci;
	if (sys_sched_cpu_info(g_telemetry(), cpu, &ci) < 0)
		return ~0ull;
	return ci.dl_density_ppm;
}

static uint64_t auth_used(handle_t a)
{
	struct sched_auth_info ai;
	if (sys_sched_auth_info(a, &ai) < 0)
		return ~0ull;
	return ai.dl_bw_used_ppm;
}

GTEST(sched_params_rejected)
{
	handle_t h;
	GCHECK_OK(sys_thread_create(g_self(), "p", 1, &h));
	struct sched_params bad[] = {
		{.cls = 7, .cpu = SCHED_CPU_KEEP},
		{.cls = SCHED_CLASS_IDLE, .cpu = SCHED_CPU_KEEP},
		{.cls = SCHED_CLASS_BE, .priority = 3, .cpu = SCHED_CPU_KEEP},
		{.cls = SCHED_CLASS_BE,
		 .weight = SCHED_BE_WEIGHT_MAX + 1,
		 .cpu = SCHED_CPU_KEEP},
		{.cls = SCHED_CLASS_BE,
		 .flags = SCHED_FLAG_RR,
		 .cpu = SCHED_CPU_KEEP},
		{.cls = SCHED_CLASS_BE, .reserved = 1, .cpu = SCHED_CPU_KEEP},
		{.cls = SCHED_CLASS_RT,
		 .priority = 5,
		 .weight = 5,
		 .cpu = SCHED_CPU_KEEP},
		{.cls = SCHED_CLASS_RT,
		 .priority = 5,
		 .quantum_ns = 1000000,
		 .cpu = SCHED_CPU_KEEP}, /* a quantum without RR */
		{.cls = SCHED_CLASS_RT,
		 .priority = 5,
		 .flags = SCHED_FLAG_RR,
		 .quantum_ns = 10,
		 .cpu = SCHED_CPU_KEEP},
		{.cls = SCHED_CLASS_RT,
		 .priority = 5,
		 .flags = 0x80,
		 .cpu = SCHED_CPU_KEEP},
		g_dl(2 * MS, MS, 10 * MS),  /* runtime > deadline */
		g_dl(MS, 20 * MS, 10 * MS), /* deadline > period */
		g_dl(1000, MS, 10 * MS),    /* runtime too small */
		g_dl(MS, MS, 20000 * MS),   /* period too long */
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		long r = sys_sched_set(g_sched(), h, &bad[i]);
		if (r != ERR_INVALID_ARGS)
			printf("    case %u: %s\n", i, err_name(r));
		GCHECK_ERR(r, ERR_INVALID_ARGS);
	}
	struct sched_params far = {.cls = SCHED_CLASS_BE, .cpu = 4096};
	GCHECK_ERR(sys_sched_set(g_sched(), h, &far), ERR_OUT_OF_RANGE);
	GCHECK_ERR(sys_sched_set(g_sched(), h, NULL), ERR_FAULT);
	GCHECK_ERR(sys_sched_set(g_sched(), h, (void *)KERNEL_PTR), ERR_FAULT);
	GCHECK_ERR(sys_sched_get(h, (void *)KERNEL_PTR), ERR_FAULT);
	/* Nothing of that changed the thread. */
	struct sched_params got;
	GCHECK_OK(sys_sched_get(h, &got));
	GCHECK_EQ(got.cls, SCHED_CLASS_BE);
	GCHECK_EQ(got.weight, SCHED_BE_WEIGHT_DEFAULT);
	GCHECK_OK(sys_handle_close(h));
}

GTEST(sched_params_round_trip)
{
	handle_t h;
	GCHECK_OK(sys_thread_create(g_self(), "p", 1, &h));
	struct sched_params p = g_dl(MS, 4 * MS, 8 * MS), got;
	GCHECK_OK(sys_sched_set(g_sched(), h, &p));
	GCHECK_OK(sys_sched_get(h, &got));
	GCHECK_EQ(got.cls, SCHED_CLASS_DL);
	GCHECK_EQ(got.runtime_ns, MS);
	GCHECK_EQ(got.deadline_ns, 4 * MS);
	GCHECK_EQ(got.period_ns, 8 * MS);
	GCHECK(got.cpu >= 0);
	GCHECK_OK(g_set_rt(h, 42, 1, 3 * MS));
	GCHECK_OK(sys_sched_get(h, &got));
	GCHECK_EQ(got.cls, SCHED_CLASS_RT);
	GCHECK_EQ(got.priority, 42);
	GCHECK_EQ(got.flags, SCHED_FLAG_RR);
	GCHECK_EQ(got.quantum_ns, 3 * MS);
	GCHECK_OK(g_set_be(h, 77));
	GCHECK_OK(sys_sched_get(h, &got));
	GCHECK_EQ(got.weight, 77);
	/* Placement: any CPU before the start, not after. */
	struct sched_params on1 = {.cls = SCHED_CLASS_BE,
				   .cpu = (int32_t)(g_ncpus() - 1)};
	GCHECK_OK(sys_sched_set(g_sched(), h, &on1));
	GCHECK_OK(sys_sched_get(h, &got));
	GCHECK_EQ(got.cpu, (int32_t)(g_ncpus() - 1));
	GCHECK_OK(sys_handle_close(h));
	handle_t me = execrt_handle(START_H_SELF_THREAD);
	GCHECK_OK(sys_sched_get(me, &got));
	struct sched_params move = {.cls = SCHED_CLASS_BE,
				    .cpu = got.cpu == 0 && g_ncpus() > 1};
	if (g_ncpus() > 1)
		GCHECK_ERR(sys_sched_set(g_sched(), me, &move), ERR_BAD_STATE);
}

/* Fill a CPU to the bound: the next request is refused and changes
 * nothing; raising the bound or freeing a share makes room. */
GTEST(sched_admission_bound)
{
	struct sched_config cfg, hi;
	GCHECK_OK(sys_sched_config(g_sched(), NULL, &cfg));
	GCHECK_EQ(cfg.dl_bound_ppm, 900000);
	handle_t h[4];
	for (int i = 0; i < 4; i++)
		GCHECK_OK(sys_thread_create(g_self(), "adm", 3, &h[i]));
	struct sched_params p0 = g_dl(MS, 10 * MS, 10 * MS);
	p0.cpu = 0;
	GCHECK_OK(sys_sched_set(g_sched(), h[3], &p0)); /* pins h[3] on 0 */
	uint64_t base = cpu_density(0);
	uint64_t room = cfg.dl_bound_ppm - base; /* h[3] holds 10% */
	/* Two shares of 30% and what is left exactly. */
	struct sched_params a = g_dl(3 * MS, 10 * MS, 20 * MS);
	a.cpu = 0;
	GCHECK_OK(sys_sched_set(g_sched(), h[0], &a));
	GCHECK_OK(sys_sched_set(g_sched(), h[1], &a));
	GCHECK_EQ(cpu_density(0), base + 600000);
	uint64_t rest = room - 600000; /* in ppm */
	struct sched_params over = g_dl(rest * 10 + 10000, 10000000, 10000000);
	over.cpu = 0;
	GCHECK_ERR(sys_sched_set(g_sched(), h[2], &over), ERR_NO_RESOURCES);
	struct sched_params got;
	GCHECK_OK(sys_sched_get(h[2], &got));
	GCHECK_EQ(got.cls, SCHED_CLASS_BE); /* unchanged */
	GCHECK_EQ(cpu_density(0), base + 600000);
	struct sched_params fits = g_dl(rest * 10, 10000000, 10000000);
	fits.cpu = 0;
	GCHECK_OK(sys_sched_set(g_sched(), h[2], &fits));
	GCHECK_EQ(cpu_density(0), cfg.dl_bound_ppm);
	/* Full; a bound below what is admitted is refused. */
	GCHECK_ERR(sys_sched_set(g_sched(), h[2], &over), ERR_NO_RESOURCES);
	if (g_ncpus() > 1) {
		/* Admission is per CPU: the same request fits on another
		 * one (for a thread not started yet), and back. */
		uint64_t other = cpu_density(1);
		over.cpu = 1;
		GCHECK_OK(sys_sched_set(g_sched(), h[2], &over));
		GCHECK_EQ(cpu_density(1), other + rest + 1000);
		GCHECK_EQ(cpu_density(0), base + 600000);
		GCHECK_OK(sys_sched_set(g_sched(), h[2], &fits));
		GCHECK_EQ(cpu_density(1), other);
		over.cpu = 0;
	}
	hi = cfg;
	hi.dl_bound_ppm = 800000;
	GCHECK_ERR(sys_sched_config(g_sched(), &hi, NULL), ERR_BAD_STATE);
	hi.dl_bound_ppm = 950000;
	GCHECK_OK(sys_sched_config(g_sched(), &hi, NULL));
	GCHECK_OK(sys_sched_set(g_sched(), h[2], &over));
	/* A bound above the RT cap's share is never accepted. */
	hi.dl_bound_ppm = 960000;
	GCHECK_ERR(sys_sched_config(g_sched(), &hi, NULL), ERR_INVALID_ARGS);
	/* Leaving DL gives the share back. */
	GCHECK_OK(g_set_be(h[0], 0));
	GCHECK_EQ(cpu_density(0), base + 300000 + rest + 1000);
	for (int i = 0; i < 4; i++)
		GCHECK_OK(sys_handle_close(h[i]));
	GCHECK_EQ(cpu_density(0), base - 100000);
	GCHECK_OK(sys_sched_config(g_sched(), &cfg, NULL));
}

/* A derived authority holds less: fewer classes, a priority ceiling, a
 * DL pool carved out of its parent's, no quota or configuration rights. */
GTEST(sched_auth_derive_limits)
{
	uint64_t root_used = auth_used(g_sched());
	struct sched_auth_limits lim = {
		.classes = SCHED_CLASS_MASK(SCHED_CLASS_BE) |
			   SCHED_CLASS_MASK(SCHED_CLASS_RT) |
			   SCHED_CLASS_MASK(SCHED_CLASS_DL),
		.max_priority = 10,
		.dl_bw_ppm = 200000,
	};
	handle_t a, weak;
	GCHECK_OK(sys_sched_auth_derive(g_sched(), &lim, &a));
	GCHECK_EQ(auth_used(g_sched()), root_used + 200000);
	struct sched_auth_info ai;
	GCHECK_OK(sys_sched_auth_info(a, &ai));
	GCHECK_EQ(ai.limits.max_priority, 10);
	GCHECK_EQ(ai.limits.dl_bw_ppm, 200000);
	GCHECK_EQ(ai.dl_bw_used_ppm, 0);
	handle_t h[2];
	GCHECK_OK(sys_thread_create(g_self(), "d0", 2, &h[0]));
	GCHECK_OK(sys_thread_create(g_self(), "d1", 2, &h[1]));
	struct sched_params rt10 = {
		.cls = SCHED_CLASS_RT, .priority = 10, .cpu = SCHED_CPU_KEEP};
	struct sched_params rt11 = rt10;
	rt11.priority = 11;
	GCHECK_OK(sys_sched_set(a, h[0], &rt10));
	GCHECK_ERR(sys_sched_set(a, h[0], &rt11), ERR_ACCESS_DENIED);
	/* The pool: 15% fits, another 10% does not. */
	struct sched_params d15 = g_dl(1500000, 10 * MS, 10 * MS);
	struct sched_params d10 = g_dl(MS, 10 * MS, 10 * MS);
	GCHECK_OK(sys_sched_set(a, h[0], &d15));
	GCHECK_EQ(auth_used(a), 150000);
	GCHECK_ERR(sys_sched_set(a, h[1], &d10), ERR_NO_RESOURCES);
	GCHECK_OK(sys_sched_set(g_sched(), h[1], &d10)); /* the root can */
	/* Children never exceed the parent. */
	struct sched_auth_limits more = lim;
	more.max_priority = 11;
	handle_t x;
	GCHECK_ERR(sys_sched_auth_derive(a, &more, &x), ERR_ACCESS_DENIED);
	more = lim;
	more.flags = SCHED_AUTH_MAY_QUOTA;
	GCHECK_ERR(sys_sched_auth_derive(a, &more, &x), ERR_ACCESS_DENIED);
	more = lim;
	more.dl_bw_ppm = 100000; /* only 50000 left */
	GCHECK_ERR(sys_sched_auth_derive(a, &more, &x), ERR_NO_RESOURCES);
	more.reserved = 1;
	GCHECK_ERR(sys_sched_auth_derive(a, &more, &x), ERR_INVALID_ARGS);
	/* A class left out, no MANAGE, no WRITE, no quota/config rights. */
	struct sched_auth_limits be_only = {
		.classes = SCHED_CLASS_MASK(SCHED_CLASS_BE)};
	handle_t b;
	GCHECK_OK(sys_sched_auth_derive(a, &be_only, &b));
	GCHECK_ERR(sys_sched_set(b, h[0], &rt10), ERR_ACCESS_DENIED);
	weak = g_dup(a, RIGHT_READ | RIGHT_WRITE);
	GCHECK_ERR(sys_sched_auth_derive(weak, &be_only, &x),
		   ERR_ACCESS_DENIED);
	sys_handle_close(weak);
	weak = g_dup(a, RIGHT_READ);
	GCHECK_ERR(sys_sched_set(weak, h[0], &rt10), ERR_ACCESS_DENIED);
	sys_handle_close(weak);
	GCHECK_ERR(sys_task_set_cpu_quota(a, g_self(), 10 * MS, 100 * MS),
		   ERR_ACCESS_DENIED);
	struct sched_config cfg;
	GCHECK_OK(sys_sched_config(a, NULL, &cfg));
	GCHECK_ERR(sys_sched_config(a, &cfg, NULL), ERR_ACCESS_DENIED);
	/* The pool comes back once the authority and its DL threads are
	 * gone (a thread admitted through it keeps it alive). */
	GCHECK_OK(sys_handle_close(b));
	GCHECK_OK(sys_handle_close(a));
	GCHECK_EQ(auth_used(g_sched()), root_used + 200000 + 100000);
	GCHECK_OK(sys_handle_close(h[0]));
	GCHECK_EQ(auth_used(g_sched()), root_used + 100000);
	GCHECK_OK(sys_handle_close(h[1]));
	GCHECK_EQ(auth_used(g_sched()), root_used);
}

GTEST(sched_config_checked)
{
	struct sched_config cfg, c;
	GCHECK_OK(sys_sched_config(g_sched(), NULL, &cfg));
	GCHECK_EQ(cfg.rt_cap_runtime_ns, 950 * MS);
	GCHECK_EQ(cfg.rt_cap_period_ns, 1000 * MS);
	GCHECK_EQ(cfg.flags, SCHED_CFG_TRACE);
	c = cfg;
	c.rt_cap_runtime_ns = c.rt_cap_period_ns + 1;
	GCHECK_ERR(sys_sched_config(g_sched(), &c, NULL), ERR_INVALID_ARGS);
	c = cfg;
	c.rr_quantum_ns = 1;
	GCHECK_ERR(sys_sched_config(g_sched(), &c, NULL), ERR_INVALID_ARGS);
	c = cfg;
	c.flags = 0x100;
	GCHECK_ERR(sys_sched_config(g_sched(), &c, NULL), ERR_INVALID_ARGS);
	GCHECK_ERR(sys_sched_config(g_sched(), (void *)KERNEL_PTR, NULL),
		   ERR_FAULT);
	GCHECK_ERR(sys_sched_config(g_sched(), NULL, (void *)KERNEL_PTR),
		   ERR_FAULT);
	GCHECK_ERR(sys_sched_config(g_console(), NULL, &c), ERR_WRONG_TYPE);
	/* A setting reads back, and the old one is returned. */
	c = cfg;
	c.rr_quantum_ns = 5 * MS;
	struct sched_config old;
	GCHECK_OK(sys_sched_config(g_sched(), &c, &old));
	GCHECK_EQ(old.rr_quantum_ns, cfg.rr_quantum_ns);
	GCHECK_OK(sys_sched_config(g_sched(), NULL, &c));
	GCHECK_EQ(c.rr_quantum_ns, 5 * MS);
	GCHECK_OK(sys_sched_config(g_sched(), &cfg, NULL));
}

GTEST(sched_task_quota_checked)
{
	GCHECK_ERR(sys_task_set_cpu_quota(g_sched(), g_self(), 10 * MS, 100),
		   ERR_INVALID_ARGS);
	GCHECK_ERR(sys_task_set_cpu_quota(g_sched(), g_self(), 10, 100 * MS),
		   ERR_INVALID_ARGS);
	GCHECK_ERR(sys_task_set_cpu_quota(g_sched(), g_self(), 0, 100 * MS),
		   ERR_INVALID_ARGS);
	GCHECK_ERR(sys_task_set_cpu_quota(g_sched(), g_console(), MS, 10 * MS),
		   ERR_WRONG_TYPE);
	handle_t weak = g_dup(g_self(), RIGHT_WAIT);
	GCHECK_ERR(sys_task_set_cpu_quota(g_sched(), weak, MS, 10 * MS),
		   ERR_ACCESS_DENIED);
	sys_handle_close(weak);
	GCHECK_OK(sys_task_set_cpu_quota(g_sched(), g_self(), 0, 0));
}

/* Bad pointers and handles: clear errors, and a failed derive leaves the
 * parent's pool as it was. */
GTEST(sched_auth_bad_input)
{
	uint64_t used = auth_used(g_sched());
	struct sched_auth_limits lim = {
		.classes = SCHED_CLASS_MASK(SCHED_CLASS_BE),
		.dl_bw_ppm = 100000};
	struct sched_auth_info ai;
	handle_t x;
	GCHECK_ERR(sys_sched_auth_info(g_sched(), (void *)KERNEL_PTR),
		   ERR_FAULT);
	GCHECK_ERR(sys_sched_auth_info(g_console(), &ai), ERR_WRONG_TYPE);
	GCHECK_ERR(sys_sched_auth_derive(g_sched(), NULL, &x), ERR_FAULT);
	GCHECK_ERR(sys_sched_auth_derive(g_sched(), &lim, (void *)KERNEL_PTR),
		   ERR_FAULT);
	GCHECK_ERR(sys_sched_auth_derive(g_sched(), &lim,
					 (void *)g_unmapped_addr()),
		   ERR_FAULT);
	GCHECK_ERR(sys_sched_auth_derive(g_self(), &lim, &x), ERR_WRONG_TYPE);
	GCHECK_EQ(auth_used(g_sched()), used); /* nothing kept */
	struct sched_thread_stats ts;
	GCHECK_ERR(sys_sched_stats(g_telemetry(), 0, &ts, 0), 0);
}
