/* Scheduling parameters: validation, DL admission and the global
 * configuration.
 *
 * Admission rule: on each CPU the DL shares, runtime/deadline each
 * (density, which is the share EDF needs when deadlines are shorter than
 * periods), must sum to at most sched_cfg.dl_bound_ppm; and the authority
 * used must have that share left in its pool. Both are checked and
 * charged under one global admission lock, held across applying the
 * parameters, so a thread's admitted share always matches what it runs
 * with. A refused request changes nothing. */
#include <execrt/errors.h>
#include <kern/arch.h>
#include <kern/port.h>
#include <kern/sched_auth.h>
#include <kern/task.h>
#include <kern/thread.h>

#include "core.h"

static spinlock_t admit_lock = SPINLOCK_INIT;

unsigned long sched_admit_lock_take(void)
{
	return spin_lock_irqsave(&admit_lock);
}

void sched_admit_lock_drop(unsigned long flags)
{
	spin_unlock_irqrestore(&admit_lock, flags);
}

uint64_t sched_dl_density(uint64_t runtime, uint64_t deadline)
{
	return (runtime * 1000000ull + deadline - 1) / deadline;
}

int sched_params_check(const struct sched_params *p)
{
	if (p->reserved)
		return ERR_INVALID_ARGS;
	if (p->cpu != SCHED_CPU_KEEP &&
	    (p->cpu < 0 || (unsigned)p->cpu >= arch_cpus_online()))
		return ERR_OUT_OF_RANGE;
	bool no_dl = !p->runtime_ns && !p->deadline_ns && !p->period_ns;
	switch (p->cls) {
	case SCHED_CLASS_BE:
		if (p->flags || p->priority || p->quantum_ns || !no_dl ||
		    p->weight > SCHED_BE_WEIGHT_MAX)
			return ERR_INVALID_ARGS;
		return 0;
	case SCHED_CLASS_RT:
		if ((p->flags & ~SCHED_FLAG_RR) || p->weight || !no_dl ||
		    p->priority < SCHED_RT_PRIO_MIN ||
		    p->priority > SCHED_RT_PRIO_MAX)
			return ERR_INVALID_ARGS;
		if (p->quantum_ns && (!(p->flags & SCHED_FLAG_RR) ||
				      p->quantum_ns < SCHED_RR_QUANTUM_MIN_NS ||
				      p->quantum_ns > SCHED_RR_QUANTUM_MAX_NS))
			return ERR_INVALID_ARGS;
		return 0;
	case SCHED_CLASS_DL:
		if (p->flags || p->priority || p->weight || p->quantum_ns)
			return ERR_INVALID_ARGS;
		if (p->runtime_ns < SCHED_DL_RUNTIME_MIN_NS ||
		    p->runtime_ns > p->deadline_ns ||
		    p->deadline_ns > p->period_ns ||
		    p->period_ns > SCHED_DL_PERIOD_MAX_NS)
			return ERR_INVALID_ARGS;
		return 0;
	default:
		return ERR_INVALID_ARGS;
	}
}

/* Placement is checked against the thread's state under the admission
 * lock; starting a thread takes it too, so none starts in between. */
void sched_start_thread(struct thread *t)
{
	unsigned long f = sched_admit_lock_take();
	/* By load, within its affinity; admitted DL work stays put. */
	if (READ_ONCE(t->state) == THREAD_NEW && !t->dl.density_ppm)
		t->cpu = sched_place(t);
	sched_wake(t);
	sched_admit_lock_drop(f);
	sched_preempt_check(); /* the switch the wake asked for */
}

static void apply(struct thread *t, const void *arg, uint64_t now)
{
	const struct sched_params *p = arg;
	if (p->cpu != SCHED_CPU_KEEP) {
		/* An explicit CPU pins the thread there; a new one is on no
		 * queue yet. */
		t->cpu = (unsigned)p->cpu;
		WRITE_ONCE(t->affinity, 1ull << p->cpu);
	}
	/* Other CPUs read a donor's parameters without its lock: the DL
	 * server is ready before the class says DL. */
	if (p->cls == SCHED_CLASS_DL)
		dl_setup(&t->dl, p->runtime_ns, p->deadline_ns, p->period_ns,
			 now);
	struct sched_params sp = *p;
	sp.cpu = SCHED_CPU_KEEP;
	uint32_t cls = sp.cls;
	sp.cls = t->sp.cls;
	t->sp = sp;
	__atomic_store_n(&t->sp.cls, cls, __ATOMIC_RELEASE);
}

/* A CPU of t's affinity where a DL share fits (admission lock held):
 * `first` if it fits there, else the least loaded that fits, else
 * `first` (refused then). */
static unsigned dl_fit(struct thread *t, struct sched_auth *auth,
		       uint64_t density, unsigned first)
{
	(void)auth;
	unsigned best = first;
	uint64_t best_used = UINT64_MAX;
	for (unsigned c = 0; c < arch_cpus_online(); c++) {
		if (!((t->affinity >> c) & 1))
			continue;
		uint64_t used = sched_rq(c)->dl_density;
		if (t->dl.density_ppm && t->dl.admit_cpu == c)
			used -= t->dl.density_ppm;
		if (used + density > sched_cfg.dl_bound_ppm)
			continue;
		if (c == first)
			return c;
		if (used < best_used) {
			best = c;
			best_used = used;
		}
	}
	return best;
}

/* Gives back t's admitted share. Admission lock held; returns the
 * authority reference to drop once the lock is released. */
static struct sched_auth *unadmit(struct thread *t)
{
	struct sched_auth *a = t->dl.auth;
	if (!a && !t->dl.density_ppm)
		return NULL;
	if (a)
		a->used -= t->dl.density_ppm;
	sched_rq(t->dl.admit_cpu)->dl_density -= t->dl.density_ppm;
	t->dl.auth = NULL;
	t->dl.density_ppm = 0;
	return a;
}

int sched_set_params(struct thread *t, const struct sched_params *in,
		     struct sched_auth *auth)
{
	int err = sched_params_check(in);
	if (err)
		return err;
	struct sched_params p = *in;
	if (p.cls == SCHED_CLASS_BE && !p.weight)
		p.weight = SCHED_BE_WEIGHT_DEFAULT;
	if (auth) {
		if (!(auth->lim.classes & SCHED_CLASS_MASK(p.cls)) ||
		    p.priority > auth->lim.max_priority)
			return ERR_ACCESS_DENIED;
	} else if (p.cls == SCHED_CLASS_DL) {
		return ERR_NOT_SUPPORTED; /* DL is admitted via an authority */
	}
	uint64_t density =
		p.cls == SCHED_CLASS_DL
			? sched_dl_density(p.runtime_ns, p.deadline_ns)
			: 0;
	unsigned long f = sched_admit_lock_take();
	unsigned cpu = p.cpu == SCHED_CPU_KEEP ? t->cpu : (unsigned)p.cpu;
	/* Automatic DL placement: where it fits, its own CPU first. */
	if (density && p.cpu == SCHED_CPU_KEEP && !t->sched_released)
		cpu = dl_fit(t, auth, density, cpu);
	if (t->sched_released) {
		err = ERR_BAD_STATE; /* exiting */
	} else if (p.cpu != SCHED_CPU_KEEP && (unsigned)p.cpu != t->cpu &&
		   READ_ONCE(t->state) != THREAD_NEW) {
		err = ERR_BAD_STATE; /* no migration of started threads */
	} else if (density) {
		uint64_t own = t->dl.density_ppm;
		uint64_t on_cpu = sched_rq(cpu)->dl_density;
		if (t->dl.density_ppm && t->dl.admit_cpu == cpu)
			on_cpu -= own;
		uint64_t in_pool = auth->used - (t->dl.auth == auth ? own : 0);
		if (on_cpu + density > sched_cfg.dl_bound_ppm ||
		    in_pool + density > auth->lim.dl_bw_ppm)
			err = ERR_NO_RESOURCES;
	}
	struct sched_auth *old = NULL;
	if (!err) {
		old = unadmit(t);
		if (density) {
			kobj_get(&auth->obj);
			auth->used += density;
			sched_rq(cpu)->dl_density += density;
			t->dl.auth = auth;
			t->dl.density_ppm = density;
			t->dl.admit_cpu = cpu;
		}
		sched_change(t, apply, &p);
		if (cpu != t->cpu)
			sched_move(t, cpu); /* re-admitted there */
	}
	sched_admit_lock_drop(f);
	if (old)
		kobj_put(&old->obj);
	/* Servers running on t's parameters, and whoever t calls. */
	if (!err)
		donate_propagate(t);
	sched_preempt_check(); /* a switch sched_change asked for */
	return err;
}

void sched_get_params(struct thread *t, struct sched_params *out)
{
	unsigned long f = sched_admit_lock_take();
	*out = t->sp;
	out->cpu = (int32_t)READ_ONCE(t->cpu);
	sched_admit_lock_drop(f);
}

void sched_thread_release(struct thread *t)
{
	unsigned long f = sched_admit_lock_take();
	struct sched_auth *old = unadmit(t);
	t->sched_released = true;
	sched_admit_lock_drop(f);
	if (old)
		kobj_put(&old->obj);
}

void sched_get_config(struct sched_config *out)
{
	unsigned long f = sched_admit_lock_take();
	*out = sched_cfg;
	sched_admit_lock_drop(f);
}

int sched_set_config(const struct sched_config *c)
{
	if (c->reserved || (c->flags & ~SCHED_CFG_TRACE) ||
	    c->dl_bound_ppm > 1000000 || c->rt_cap_period_ns < 1000000 ||
	    c->rt_cap_period_ns > 10000000000ull ||
	    c->rt_cap_runtime_ns > c->rt_cap_period_ns ||
	    c->rr_quantum_ns < SCHED_RR_QUANTUM_MIN_NS ||
	    c->rr_quantum_ns > SCHED_RR_QUANTUM_MAX_NS ||
	    c->be_latency_ns < 1000000 || c->be_latency_ns > 1000000000 ||
	    c->be_min_slice_ns < 100000 ||
	    c->be_min_slice_ns > c->be_latency_ns)
		return ERR_INVALID_ARGS;
	/* DL threads are never held back by the cap: their bound must fit
	 * under it, or best effort could starve. */
	if ((unsigned __int128)c->dl_bound_ppm * c->rt_cap_period_ns >
	    (unsigned __int128)c->rt_cap_runtime_ns * 1000000)
		return ERR_INVALID_ARGS;
	int err = 0;
	unsigned long f = sched_admit_lock_take();
	for (unsigned cpu = 0; cpu < arch_cpus_online(); cpu++)
		if (sched_rq(cpu)->dl_density > c->dl_bound_ppm)
			err = ERR_BAD_STATE; /* admitted threads stay admitted
					      */
	if (!err) {
		sched_cfg = *c;
		__atomic_fetch_add(&sched_cfg_gen, 1, __ATOMIC_RELEASE);
	}
	sched_admit_lock_drop(f);
	if (!err)
		sched_poke_all(); /* new quanta, slices and cap */
	return err;
}

int sched_set_affinity(struct thread *t, struct sched_auth *auth,
		       uint64_t mask)
{
	unsigned n = arch_cpus_online();
	uint64_t online = n >= 64 ? ~0ull : (1ull << n) - 1;
	if (mask & ~online)
		return ERR_INVALID_ARGS;
	if (auth)
		mask &= auth->lim.cpu_mask;
	if (!mask)
		return ERR_INVALID_ARGS;
	int err = 0;
	unsigned long f = sched_admit_lock_take();
	unsigned dst = t->cpu;
	if (t->sched_released || t->is_idle) {
		err = ERR_BAD_STATE;
	} else if (t->dl.density_ppm && !((mask >> t->dl.admit_cpu) & 1)) {
		/* Admitted DL work moves only with its admission. */
		uint64_t d = t->dl.density_ppm;
		dst = n;
		for (unsigned c = 0; c < n && dst == n; c++)
			if (((mask >> c) & 1) &&
			    sched_rq(c)->dl_density + d <= sched_cfg.dl_bound_ppm)
				dst = c;
		if (dst == n) {
			err = ERR_NO_RESOURCES;
		} else {
			sched_rq(t->dl.admit_cpu)->dl_density -= d;
			sched_rq(dst)->dl_density += d;
			t->dl.admit_cpu = dst;
		}
	} else if (t->dl.density_ppm) {
		dst = t->dl.admit_cpu;
	} else if (!((mask >> t->cpu) & 1)) {
		uint64_t keep = t->affinity;
		t->affinity = mask;
		dst = sched_place(t);
		t->affinity = keep;
	}
	if (!err) {
		WRITE_ONCE(t->affinity, mask);
		/* Also when a move asked for earlier is still pending. */
		if (dst != t->cpu || READ_ONCE(t->move_to) >= 0)
			sched_move(t, dst);
	}
	sched_admit_lock_drop(f);
	sched_preempt_check(); /* t may be the caller, leaving this CPU */
	return err;
}
