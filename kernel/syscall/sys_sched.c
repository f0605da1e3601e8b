/* Scheduling calls (docs/scheduling.md): parameters through a scheduling
 * authority, weaker authorities, the global configuration, task CPU
 * quotas, and the telemetry reads. Handles and rights are checked first,
 * then user memory is copied in, then the arguments; only then does
 * anything change. */
#include <kern/arch.h>
#include <kern/handle.h>
#include <kern/lib.h>
#include <kern/resource.h>
#include <kern/sched.h>
#include <kern/sched_auth.h>
#include <kern/slab.h>
#include <kern/syscall.h>
#include <kern/task.h>
#include <kern/thread.h>
#include <kern/uaccess.h>

#define STATS_BATCH 32 /* per pass under the thread-list lock */
#define TRACE_BATCH 32 /* per pass under a run-queue lock */

/* The authority behind h (a reference) and the rights the handle holds. */
static int get_auth(uint64_t h, uint32_t rights, struct sched_auth **out,
		    uint32_t *held)
{
	struct kobject *o;
	uint32_t r;
	int err = handle_get(&cur_task()->handles, (handle_t)h, OBJ_SCHED_AUTH,
			     rights, &o, &r);
	if (err)
		return err;
	*out = container_of(o, struct sched_auth, obj);
	if (held)
		*held = r;
	return 0;
}

static int copy_in(void *dst, uint64_t usrc, size_t len)
{
	if (!user_range_ok(usrc, len) || copy_from_user(dst, (void *)usrc, len))
		return ERR_FAULT;
	return 0;
}

static int copy_out(uint64_t udst, const void *src, size_t len)
{
	if (!user_range_ok(udst, len) || copy_to_user((void *)udst, src, len))
		return ERR_FAULT;
	return 0;
}

/* auth_h, thread_h, const struct sched_params * */
SYSCALL(sys_sched_set)
{
	struct sched_auth *a;
	int err = get_auth(a0, RIGHT_WRITE, &a, NULL);
	if (err)
		return err;
	struct kobject *o;
	err = cur_get((handle_t)a1, OBJ_THREAD, RIGHT_MANAGE, &o);
	if (err) {
		kobj_put(&a->obj);
		return err;
	}
	struct sched_params p;
	err = copy_in(&p, a2, sizeof(p));
	if (!err)
		err = sched_set_params(container_of(o, struct thread, obj), &p,
				       a);
	kobj_put(o);
	kobj_put(&a->obj);
	return err;
}

/* thread_h, struct sched_params *out */
SYSCALL(sys_sched_get)
{
	struct kobject *o;
	int err = cur_get((handle_t)a0, OBJ_THREAD, RIGHT_READ, &o);
	if (err)
		return err;
	struct sched_params p;
	sched_get_params(container_of(o, struct thread, obj), &p);
	kobj_put(o);
	return copy_out(a1, &p, sizeof(p));
}

/* auth_h, const struct sched_auth_limits *, handle_t *out */
SYSCALL(sys_sched_auth_derive)
{
	struct sched_auth *a;
	int err = get_auth(a0, RIGHT_MANAGE, &a, NULL);
	if (err)
		return err;
	struct sched_auth_limits lim;
	err = copy_in(&lim, a1, sizeof(lim));
	if (!err && !user_range_ok(a2, sizeof(handle_t)))
		err = ERR_FAULT;
	struct sched_auth *child = NULL;
	if (!err)
		err = sched_auth_derive(a, &lim, &child);
	kobj_put(&a->obj);
	if (err)
		return err;
	err = cur_install(&child->obj, RIGHTS_SCHED_AUTH, a2);
	kobj_put(&child->obj); /* a failed install destroys it: pool back */
	return err;
}

/* auth_h, struct sched_auth_info *out */
SYSCALL(sys_sched_auth_info)
{
	struct sched_auth *a;
	int err = get_auth(a0, RIGHT_READ, &a, NULL);
	if (err)
		return err;
	struct sched_auth_info info;
	sched_auth_info(a, &info);
	kobj_put(&a->obj);
	return copy_out(a1, &info, sizeof(info));
}

/* auth_h, const struct sched_config *set, struct sched_config *out */
SYSCALL(sys_sched_config)
{
	struct sched_auth *a;
	uint32_t held;
	int err = get_auth(a0, RIGHT_READ, &a, &held);
	if (err)
		return err;
	if (a1 &&
	    (!(held & RIGHT_WRITE) || !(a->lim.flags & SCHED_AUTH_MAY_CONFIG)))
		err = ERR_ACCESS_DENIED;
	struct sched_config c, old;
	sched_get_config(&old);
	if (!err && a1)
		err = copy_in(&c, a1, sizeof(c));
	/* The old configuration goes out first: a bad pointer then fails
	 * the call before anything changed. */
	if (!err && a2)
		err = copy_out(a2, &old, sizeof(old));
	if (!err && a1)
		err = sched_set_config(&c);
	kobj_put(&a->obj);
	return err;
}

/* auth_h, task_h, runtime_ns, period_ns */
SYSCALL(sys_task_set_cpu_quota)
{
	struct sched_auth *a;
	int err = get_auth(a0, RIGHT_WRITE, &a, NULL);
	if (err)
		return err;
	struct kobject *o;
	err = cur_get((handle_t)a1, OBJ_TASK, RIGHT_MANAGE, &o);
	if (err) {
		kobj_put(&a->obj);
		return err;
	}
	if (!(a->lim.flags & SCHED_AUTH_MAY_QUOTA))
		err = ERR_ACCESS_DENIED;
	else
		err = sched_task_set_quota(container_of(o, struct task, obj),
					   a2, a3);
	kobj_put(o);
	kobj_put(&a->obj);
	return err;
}

static int get_telemetry(uint64_t h)
{
	struct resource *r;
	int err = resource_get((handle_t)h, RES_TELEMETRY, RIGHT_READ, &r);
	if (!err)
		kobj_put(&r->obj);
	return err;
}

/* tel_h, cpu, from_seq, struct sched_trace_rec *buf, max,
 * struct sched_trace_status *st -> records copied */
SYSCALL(sys_sched_trace_read)
{
	int err = get_telemetry(a0);
	if (err)
		return err;
	if (a1 >= arch_cpus_online())
		return ERR_OUT_OF_RANGE;
	uint32_t max = (uint32_t)MIN(a4, 1u << 20);
	if ((max &&
	     !user_range_ok(a3,
			    (uint64_t)max * sizeof(struct sched_trace_rec))) ||
	    !user_range_ok(a5, sizeof(struct sched_trace_status)))
		return ERR_FAULT;
	struct sched_trace_rec batch[TRACE_BATCH];
	struct sched_trace_status st;
	uint64_t seq = a2, lost = 0;
	uint32_t done = 0;
	do {
		uint32_t want = MIN(max - done, TRACE_BATCH);
		int n = sched_trace_read((unsigned)a1, seq, batch, want, &st);
		if (n < 0)
			return n;
		lost += st.lost; /* the ring may wrap between passes */
		if (n && copy_to_user((struct sched_trace_rec *)a3 + done,
				      batch, n * sizeof(batch[0])))
			return ERR_FAULT;
		done += (uint32_t)n;
		seq = st.next_seq;
		if ((uint32_t)n < want)
			break;
	} while (done < max);
	st.lost = lost;
	st.next_seq = seq;
	if (copy_to_user((void *)a5, &st, sizeof(st)))
		return ERR_FAULT;
	return done;
}

/* tel_h, after_koid, struct sched_thread_stats *buf, max -> count */
SYSCALL(sys_sched_stats)
{
	int err = get_telemetry(a0);
	if (err)
		return err;
	uint32_t max = (uint32_t)MIN(a3, 1u << 20);
	if (max &&
	    !user_range_ok(a2,
			   (uint64_t)max * sizeof(struct sched_thread_stats)))
		return ERR_FAULT;
	/* Each pass walks the thread list from its start: big batches keep
	 * the walks few (the buffer is too big for the stack). */
	struct sched_thread_stats *batch =
		kmalloc(STATS_BATCH * sizeof(*batch));
	if (!batch)
		return ERR_NO_MEMORY;
	uint64_t after = a1;
	uint32_t done = 0;
	while (done < max) {
		uint32_t want = MIN(max - done, STATS_BATCH);
		uint32_t n = sched_thread_stats(after, batch, want);
		if (n && copy_to_user((struct sched_thread_stats *)a2 + done,
				      batch, n * sizeof(batch[0]))) {
			kfree(batch);
			return ERR_FAULT;
		}
		done += n;
		if (n < want)
			break;
		after = batch[n - 1].koid;
	}
	kfree(batch);
	return done;
}

/* tel_h, cpu, struct sched_cpu_info *out */
SYSCALL(sys_sched_cpu_info)
{
	int err = get_telemetry(a0);
	if (err)
		return err;
	if (a1 >= arch_cpus_online())
		return ERR_OUT_OF_RANGE;
	struct sched_cpu_info info;
	sched_cpu_info((unsigned)a1, &info);
	return copy_out(a2, &info, sizeof(info));
}
