/* Scheduling authorities (OBJ_SCHED_AUTH): the capability to change
 * threads' classes and parameters. The root task gets one holding
 * everything; it derives weaker ones (fewer classes, a lower priority
 * ceiling, a smaller DL pool, no quota or configuration rights) for the
 * services it starts.
 *
 * The DL pool works like memory quotas: deriving carves the child's pool
 * out of the parent's at once, and it comes back when the child object is
 * destroyed (which cannot happen while a DL thread admitted through it
 * still holds a reference). The pool counters live under the admission
 * lock (params.c). */
#include <execrt/errors.h>
#include <kern/lib.h>
#include <kern/slab.h>

#include <kern/sched_auth.h>

/* Frees a; returns its parent when a held the parent's last reference. */
static struct sched_auth *auth_free(struct sched_auth *a)
{
	struct sched_auth *p = a->parent;
	if (p) {
		unsigned long f = sched_admit_lock_take();
		p->used -= a->lim.dl_bw_ppm;
		sched_admit_lock_drop(f);
	}
	kfree(a);
	return p && kobj_put_last(&p->obj) ? p : NULL;
}

static void auth_destroy(struct kobject *o)
{
	/* A chain of derived authorities may be deeper than a kernel stack:
	 * parents dying with their child are freed in this loop, each one's
	 * charge returned after it is freed (kobj_put's job for o). */
	struct sched_auth *a = container_of(o, struct sched_auth, obj);
	struct charge c = {0};
	while (a) {
		struct sched_auth *p = auth_free(a);
		charge_drop(&c);
		if (p)
			c = p->obj.charge;
		a = p;
	}
}

static const struct kobj_ops auth_ops = {
	.name = "sched-auth",
	.destroy = auth_destroy,
};

int sched_auth_create_root(uint64_t dl_bw_ppm, struct sched_auth **out)
{
	struct sched_auth *a = kmalloc(sizeof(*a));
	if (!a)
		return ERR_NO_MEMORY;
	kobj_init(&a->obj, OBJ_SCHED_AUTH, &auth_ops);
	a->lim.classes = SCHED_CLASS_MASK(SCHED_CLASS_BE) |
			 SCHED_CLASS_MASK(SCHED_CLASS_RT) |
			 SCHED_CLASS_MASK(SCHED_CLASS_DL);
	a->lim.max_priority = SCHED_RT_PRIO_MAX;
	a->lim.dl_bw_ppm = dl_bw_ppm;
	a->lim.flags = SCHED_AUTH_MAY_QUOTA | SCHED_AUTH_MAY_CONFIG;
	a->lim.cpu_mask = ~0ull;
	*out = a;
	return 0;
}

int sched_auth_derive(struct sched_auth *parent,
		      const struct sched_auth_limits *lim,
		      struct sched_auth **out)
{
	const uint32_t all = SCHED_CLASS_MASK(SCHED_CLASS_BE) |
			     SCHED_CLASS_MASK(SCHED_CLASS_RT) |
			     SCHED_CLASS_MASK(SCHED_CLASS_DL);
	if (lim->reserved || (lim->classes & ~all) ||
	    (lim->flags & ~(SCHED_AUTH_MAY_QUOTA | SCHED_AUTH_MAY_CONFIG)) ||
	    lim->max_priority > SCHED_RT_PRIO_MAX)
		return ERR_INVALID_ARGS;
	/* Never more than the parent has. */
	if ((lim->classes & ~parent->lim.classes) ||
	    (lim->cpu_mask & ~parent->lim.cpu_mask) ||
	    (lim->flags & ~parent->lim.flags) ||
	    lim->max_priority > parent->lim.max_priority)
		return ERR_ACCESS_DENIED;
	struct charge ch;
	int err = kobj_precharge(&ch, sizeof(struct sched_auth));
	if (err)
		return err;
	struct sched_auth *a = kmalloc(sizeof(*a));
	if (!a) {
		charge_drop(&ch);
		return ERR_NO_MEMORY;
	}
	unsigned long f = sched_admit_lock_take();
	bool fits = lim->dl_bw_ppm <= parent->lim.dl_bw_ppm &&
		    parent->used + lim->dl_bw_ppm <= parent->lim.dl_bw_ppm;
	if (fits)
		parent->used += lim->dl_bw_ppm;
	sched_admit_lock_drop(f);
	if (!fits) {
		kfree(a);
		charge_drop(&ch);
		return ERR_NO_RESOURCES;
	}
	kobj_init_charged(&a->obj, OBJ_SCHED_AUTH, &auth_ops, &ch);
	a->lim = *lim;
	if (!a->lim.cpu_mask)
		a->lim.cpu_mask = parent->lim.cpu_mask;
	kobj_get(&parent->obj);
	a->parent = parent;
	*out = a;
	return 0;
}

void sched_auth_info(struct sched_auth *a, struct sched_auth_info *out)
{
	memset(out, 0, sizeof(*out));
	unsigned long f = sched_admit_lock_take();
	out->limits = a->lim;
	out->dl_bw_used_ppm = a->used;
	sched_admit_lock_drop(f);
}
