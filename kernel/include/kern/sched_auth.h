/* Scheduling authority objects (auth.c) and the admission lock that
 * guards their DL pools and the per-CPU admitted shares (params.c). */
#pragma once
#include <execrt/sched.h>
#include <kern/object.h>

struct sched_auth {
	struct kobject obj;
	struct sched_auth *parent; /* a reference; NULL for the root */
	struct sched_auth_limits lim;
	uint64_t used; /* DL share held (admission lock) */
};

int sched_auth_create_root(uint64_t dl_bw_ppm, struct sched_auth **out);
int sched_auth_derive(struct sched_auth *parent,
		      const struct sched_auth_limits *lim,
		      struct sched_auth **out);
void sched_auth_info(struct sched_auth *a, struct sched_auth_info *out);

/* The admission lock: taken before any run-queue lock, never inside one;
 * returns / takes the saved interrupt state. */
unsigned long sched_admit_lock_take(void);
void sched_admit_lock_drop(unsigned long flags);
