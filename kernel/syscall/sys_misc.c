/* Clock, scheduling and diagnostics calls. */
#include <kern/arch.h>
#include <kern/irq.h>
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

/* -> bytes written */
SYSCALL3(sys_debug_write, HANDLE, console_h, UPTR, ubuf, U64, len)
{
	char buf[256];
	if (len > DEBUG_WRITE_MAX)
		return ERR_OUT_OF_RANGE;
	if (!user_range_ok(ubuf, len))
		return ERR_FAULT;
	struct resource *con;
	int err = get_resource(console_h, RES_CONSOLE, RIGHT_WRITE, &con);
	if (err)
		return err;
	for (uint64_t done = 0; done < len;) {
		size_t n = MIN(sizeof(buf), len - done);
		if (copy_from_user(buf, (const char *)ubuf + done, n)) {
			kobj_put(&con->obj);
			return done ? (long)done : ERR_FAULT;
		}
		kprintf("%.*s", (int)n, buf);
		done += n;
	}
	kobj_put(&con->obj);
	return (long)len;
}

SYSCALL0(sys_clock_now)
{
	return (long)clock_ns();
}

/* Arguments ignored: the entry and exit alone, for measuring them. */
SYSCALL0(sys_null)
{
	return 0;
}

SYSCALL0(sys_yield)
{
	thread_yield();
	return 0;
}

/* A pending kill ends the sleep early. */
SYSCALL1(sys_sleep_until, DEADLINE, deadline)
{
	sched_sleep_until(deadline);
	return 0;
}

SYSCALL2(sys_kernel_stats, HANDLE, sysinfo_h, UPTR, out)
{
	if (!user_range_ok(out, sizeof(struct kernel_stats)))
		return ERR_FAULT;
	struct resource *r;
	int err = get_resource(sysinfo_h, RES_SYSINFO, RIGHT_READ, &r);
	if (err)
		return err;
	kobj_put(&r->obj);
	struct pmm_stats ps;
	pmm_get_stats(&ps);
	struct kernel_stats ks = {
		.frames_total = ps.total_frames,
		.frames_free = ps.free_frames,
		.frames_cached = kmem_cached_frames(),
		.frames_slab = kmem_slab_frames(),
		.kobjects_live = kobj_live_count(),
		.slab_objects = kmem_objects_in_use(),
		.tasks = task_count(),
		.threads = thread_count(),
		.cpus_online = arch_cpus_online(),
		.accounts = account_count(),
		.irq_stray = irq_stray_count(),
	};
	struct account *a = account_current();
	unsigned long f = spin_lock_irqsave(&a->lock);
	ks.mem_quota = a->quota;
	ks.mem_used = a->used;
	spin_unlock_irqrestore(&a->lock, f);
	return copy_to_user((void *)out, &ks, sizeof(ks));
}

#define TASK_STATS_BATCH 16

static uint32_t collect_tasks(uint64_t after, void *out, uint32_t max)
{
	return task_stats_collect(after, out, max);
}

/* -> tasks copied */
SYSCALL4(sys_task_stats, HANDLE, sysinfo_h, U64, after_koid, UPTR, buf, U64,
	 max_recs)
{
	struct resource *r;
	int err = get_resource(sysinfo_h, RES_SYSINFO, RIGHT_READ, &r);
	if (err)
		return err;
	kobj_put(&r->obj);
	return copy_out_by_koid(after_koid, buf, max_recs,
				sizeof(struct task_stats), TASK_STATS_BATCH,
				collect_tasks);
}
