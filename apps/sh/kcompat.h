/* Temporary: SYS_OBJECT_NOTIFY (55) and SYS_TASK_STATS (56) as ISSUE10.md
 * fixes them, until the kernel room's additions to syscall.h and sys.h are
 * merged; this file is deleted then (its names are the final ones). */
#pragma once
#include <stdint.h>

#include <execrt/syscall.h>

#define SH_SYS_OBJECT_NOTIFY 55
#define SH_SYS_TASK_STATS    56

struct task_stats {
	uint64_t koid, parent_koid;
	char name[32];
	uint64_t mem_quota, mem_used;
	uint64_t threads;
	uint64_t runtime_ns; /* sum over its threads, live + ended */
	uint64_t cpu_quota_runtime_ns, cpu_quota_period_ns;
	uint32_t state; /* 0 running, 1 dying */
	uint32_t reserved;
};

#ifndef HOST_TEST
#include <execrt/sys.h>

static inline long sys_object_notify(handle_t h, handle_t notif, uint64_t bits)
{
	return EXECRT_SC(SH_SYS_OBJECT_NOTIFY, h, notif, bits, 0, 0, 0);
}

static inline long sys_task_stats(handle_t sysinfo, uint64_t after_koid,
				  struct task_stats *buf, uint32_t max)
{
	return EXECRT_SC(SH_SYS_TASK_STATS, sysinfo, after_koid, buf, max, 0,
			 0);
}
#endif
