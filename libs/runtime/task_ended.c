/* Has a task ended? For servers that reclaim what ended clients left
 * (fsd's connections and files, compositord's public layers, blitterd's
 * public surfaces): they ask only when a table is full. */
#include <execrt/runtime.h>

/* Asks the kernel (SYS_TASK_STATS through START_H_SYSINFO, READ; the
 * manifest's `sysinfo` key) for the first live task from koid on: koid
 * has ended when that is another task or none. Without the handle (or on
 * any error) nothing is known to have ended, so callers keep what they
 * hold. */
bool execrt_task_ended(uint64_t koid)
{
	struct task_stats t;
	handle_t si = execrt_handle(START_H_SYSINFO);
	if (!si || !koid)
		return false;
	long n = sys_task_stats(si, koid - 1, &t, 1);
	if (n < 0)
		return false;
	return n == 0 || t.koid != koid || t.state != 0;
}
