/* audiomixerd's internals shared by amx_main.c (the request thread:
 * requests, subscribers, the device) and amx_period.c (the period
 * thread). Locking: amx_main.c's top (glock). */
#pragma once
#include <stdint.h>

#include <execrt/runtime.h>
#include <execrt/sys.h>

#include "amx_dev.h"
#include "amx_lead.h"
#include "amx_proto.h"

static inline uint64_t now(void)
{
	long t = sys_clock_now();
	return t < 0 ? 0 : (uint64_t)t;
}

static inline handle_t self(void)
{
	return execrt_handle(START_H_SELF_TASK);
}

/* The period thread's state; the main thread sets it up while the
 * thread is stopped and reads the counters atomically. */
struct amx_rt {
	handle_t thread, go; /* go: notif, bit 1 = run state changed */
	handle_t notice_recv, notice_send;
	int run;	  /* 1 while the device plays */
	uint64_t written; /* periods written since START */
	uint64_t cleared; /* periods played whose slots were zeroed */
	uint32_t ahead, periods, period, channels, slot_bytes;
	/* periods written past the playing one (amx_lead.h); lead and
	 * step_max copied for the main thread */
	struct amx_lead adapt;
	uint32_t lead;
	uint64_t step_max;
	uint64_t period_ns;
	/* counters the main thread reads (atomics) */
	uint64_t xruns, xrun_periods_pending, notices, last_notice_ns;
	uint64_t cost_ns, late_max_ns, cost_max_ns;
	uint64_t last_periods; /* the driver's count at the last check */
	uint64_t late_all_ns;
};

extern struct amx_state st; /* the graph: edited under glock */
extern struct amx_dev dev;  /* the open device */
extern struct amx_rt rt;

/* amx_period.c */
/* glock, taken by the main thread (sleeping 20 us between tries). */
void lock_main(void *ctx);
void unlock(void *ctx);
/* Renders period k into its slot and silences the one after it. Under
 * glock. */
void render(uint64_t k);
/* Creates the notice port, the go notification and the period thread
 * (it waits for rt.run). */
int rt_thread_start(void);
