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

SYSCALL3(sys_sched_set, HANDLE, auth_h, HANDLE, thread_h, UPTR, uparams)
{
	struct sched_auth *a;
	int err = get_sched_auth(auth_h, RIGHT_WRITE, &a);
	if (err)
		return err;
	struct thread *t;
	err = get_thread(thread_h, RIGHT_MANAGE, &t);
	if (err) {
		kobj_put(&a->obj);
		return err;
	}
	struct sched_params p;
	err = copy_in(&p, uparams, sizeof(p));
	if (!err)
		err = sched_set_params(t, &p, a);
	kobj_put(&t->obj);
	kobj_put(&a->obj);
	return err;
}

SYSCALL3(sys_sched_affinity, HANDLE, auth_h, HANDLE, thread_h, U64, mask)
{
	struct sched_auth *a;
	int err = get_sched_auth(auth_h, RIGHT_WRITE, &a);
	if (err)
		return err;
	struct thread *t;
	err = get_thread(thread_h, RIGHT_MANAGE, &t);
	if (!err) {
		err = sched_set_affinity(t, a, mask);
		kobj_put(&t->obj);
	}
	kobj_put(&a->obj);
	return err;
}

SYSCALL2(sys_sched_get, HANDLE, thread_h, UPTR, out)
{
	struct thread *t;
	int err = get_thread(thread_h, RIGHT_READ, &t);
	if (err)
		return err;
	struct sched_params p;
	sched_get_params(t, &p);
	kobj_put(&t->obj);
	return copy_out(out, &p, sizeof(p));
}

SYSCALL3(sys_sched_auth_derive, HANDLE, auth_h, UPTR, ulim, UPTR, out)
{
	struct sched_auth *a;
	int err = get_sched_auth(auth_h, RIGHT_MANAGE, &a);
	if (err)
		return err;
	struct sched_auth_limits lim;
	struct new_handle nh;
	err = copy_in(&lim, ulim, sizeof(lim));
	if (!err)
		err = newh_reserve(&nh, out);
	struct sched_auth *child = NULL;
	if (!err) {
		err = sched_auth_derive(a, &lim, &child);
		if (err)
			newh_cancel(&nh);
	}
	kobj_put(&a->obj);
	if (err)
		return err;
	err = newh_commit(&nh, &child->obj, RIGHTS_SCHED_AUTH);
	kobj_put(&child->obj); /* a failed install destroys it: pool back */
	return err;
}

SYSCALL2(sys_sched_auth_info, HANDLE, auth_h, UPTR, out)
{
	struct sched_auth *a;
	int err = get_sched_auth(auth_h, RIGHT_READ, &a);
	if (err)
		return err;
	struct sched_auth_info info;
	sched_auth_info(a, &info);
	kobj_put(&a->obj);
	return copy_out(out, &info, sizeof(info));
}

/* set and out may each be 0 */
SYSCALL3(sys_sched_config, HANDLE, auth_h, UPTR, set, UPTR, out)
{
	struct sched_auth *a;
	uint32_t held;
	int err = get_sched_auth_rights(auth_h, RIGHT_READ, &a, &held);
	if (err)
		return err;
	if (set &&
	    (!(held & RIGHT_WRITE) || !(a->lim.flags & SCHED_AUTH_MAY_CONFIG)))
		err = ERR_ACCESS_DENIED;
	struct sched_config c, old;
	sched_get_config(&old);
	if (!err && set)
		err = copy_in(&c, set, sizeof(c));
	/* The old configuration goes out first: a bad pointer then fails
	 * the call before anything changed. */
	if (!err && out)
		err = copy_out(out, &old, sizeof(old));
	if (!err && set)
		err = sched_set_config(&c);
	kobj_put(&a->obj);
	return err;
}

SYSCALL4(sys_task_set_cpu_quota, HANDLE, auth_h, HANDLE, task_h, U64,
	 runtime_ns, U64, period_ns)
{
	struct sched_auth *a;
	int err = get_sched_auth(auth_h, RIGHT_WRITE, &a);
	if (err)
		return err;
	struct task *t;
	err = get_task(task_h, RIGHT_MANAGE, &t);
	if (err) {
		kobj_put(&a->obj);
		return err;
	}
	if (!(a->lim.flags & SCHED_AUTH_MAY_QUOTA))
		err = ERR_ACCESS_DENIED;
	else
		err = sched_task_set_quota(t, runtime_ns, period_ns);
	kobj_put(&t->obj);
	kobj_put(&a->obj);
	return err;
}

static int get_telemetry(handle_t h)
{
	struct resource *r;
	int err = get_resource(h, RES_TELEMETRY, RIGHT_READ, &r);
	if (!err)
		kobj_put(&r->obj);
	return err;
}

/* -> records copied */
SYSCALL6(sys_sched_trace_read, HANDLE, tel_h, U64, cpu, U64, from_seq, UPTR,
	 buf, U64, max_recs, UPTR, status_out)
{
	int err = get_telemetry(tel_h);
	if (err)
		return err;
	if (cpu >= arch_cpus_online())
		return ERR_OUT_OF_RANGE;
	uint32_t max = (uint32_t)MIN(max_recs, 1u << 20);
	if ((max &&
	     !user_range_ok(buf,
			    (uint64_t)max * sizeof(struct sched_trace_rec))) ||
	    !user_range_ok(status_out, sizeof(struct sched_trace_status)))
		return ERR_FAULT;
	struct sched_trace_rec batch[TRACE_BATCH];
	struct sched_trace_status st;
	uint64_t seq = from_seq, lost = 0;
	uint32_t done = 0;
	do {
		uint32_t want = MIN(max - done, TRACE_BATCH);
		int n = sched_trace_read((unsigned)cpu, seq, batch, want, &st);
		if (n < 0)
			return n;
		lost += st.lost; /* the ring may wrap between passes */
		if (n && copy_to_user((struct sched_trace_rec *)buf + done,
				      batch, n * sizeof(batch[0])))
			return ERR_FAULT;
		done += (uint32_t)n;
		seq = st.next_seq;
		if ((uint32_t)n < want)
			break;
	} while (done < max);
	st.lost = lost;
	st.next_seq = seq;
	if (copy_to_user((void *)status_out, &st, sizeof(st)))
		return ERR_FAULT;
	return done;
}

static uint32_t collect_threads(uint64_t after, void *out, uint32_t max)
{
	return sched_thread_stats(after, out, max);
}

/* -> threads copied */
SYSCALL4(sys_sched_stats, HANDLE, tel_h, U64, after_koid, UPTR, buf, U64,
	 max_recs)
{
	int err = get_telemetry(tel_h);
	if (err)
		return err;
	/* Each batch resumes after the last koid in O(log n) (telemetry.c). */
	return copy_out_by_koid(after_koid, buf, max_recs,
				sizeof(struct sched_thread_stats), STATS_BATCH,
				collect_threads);
}

SYSCALL3(sys_sched_cpu_info, HANDLE, tel_h, U64, cpu, UPTR, out)
{
	int err = get_telemetry(tel_h);
	if (err)
		return err;
	if (cpu >= arch_cpus_online())
		return ERR_OUT_OF_RANGE;
	struct sched_cpu_info info;
	sched_cpu_info((unsigned)cpu, &info);
	arch_tlb_ipis((unsigned)cpu, &info.tlb_ipis_user,
		      &info.tlb_ipis_kernel);
	return copy_out(out, &info, sizeof(info));
}
