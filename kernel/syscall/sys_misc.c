/* Clock, scheduling and diagnostics calls. */
#include <kern/arch.h>
#include <kern/lib.h>
#include <kern/log.h>
#include <kern/pmm.h>
#include <kern/resource.h>
#include <kern/sched.h>
#include <kern/slab.h>
#include <kern/syscall.h>
#include <kern/task.h>
#include <kern/thread.h>
#include <kern/time.h>
#include <kern/uaccess.h>

#define DEBUG_WRITE_MAX 4096

/* console_h, buf, len -> bytes written */
SYSCALL(sys_debug_write)
{
	char buf[256];
	uint64_t len = a2;
	if (len > DEBUG_WRITE_MAX)
		return ERR_OUT_OF_RANGE;
	if (!user_range_ok(a1, len))
		return ERR_FAULT;
	struct resource *con;
	int err = resource_get((handle_t)a0, RES_CONSOLE, RIGHT_WRITE, &con);
	if (err)
		return err;
	for (uint64_t done = 0; done < len;) {
		size_t n = MIN(sizeof(buf), len - done);
		if (copy_from_user(buf, (const char *)a1 + done, n)) {
			kobj_put(&con->obj);
			return done ? (long)done : ERR_FAULT;
		}
		kprintf("%.*s", (int)n, buf);
		done += n;
	}
	kobj_put(&con->obj);
	return (long)len;
}

SYSCALL(sys_clock_now)
{
	return (long)clock_ns();
}

SYSCALL(sys_yield)
{
	thread_yield();
	return 0;
}

/* deadline_ns -> 0; a pending kill ends the sleep early */
SYSCALL(sys_sleep_until)
{
	sched_sleep_until(a0);
	return 0;
}

/* sysinfo_h, struct kernel_stats *out */
SYSCALL(sys_kernel_stats)
{
	if (!user_range_ok(a1, sizeof(struct kernel_stats)))
		return ERR_FAULT;
	struct resource *r;
	int err = resource_get((handle_t)a0, RES_SYSINFO, RIGHT_READ, &r);
	if (err)
		return err;
	kobj_put(&r->obj);
	struct pmm_stats ps;
	pmm_get_stats(&ps);
	struct kernel_stats ks = {
		.frames_total = ps.total_frames,
		.frames_free = ps.free_frames,
		.frames_cached = kmem_cached_frames(),
		.kobjects_live = kobj_live_count(),
		.slab_objects = kmem_objects_in_use(),
		.tasks = task_count(),
		.threads = thread_count(),
		.cpus_online = arch_cpus_online(),
		.accounts = account_count(),
	};
	struct account *a = account_current();
	unsigned long f = spin_lock_irqsave(&a->lock);
	ks.mem_quota = a->quota;
	ks.mem_used = a->used;
	spin_unlock_irqrestore(&a->lock, f);
	return copy_to_user((void *)a1, &ks, sizeof(ks));
}
