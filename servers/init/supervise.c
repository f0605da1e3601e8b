/* Supervision state machine (supervise.h). A crash-looping service costs
 * only itself: each death schedules one start after its own backoff, and
 * sup_step starts every due service in the same pass, so no service waits
 * behind another's restarts. */
#include <stdio.h>
#include <string.h>

#include "supervise.h"

const char *sup_state_name(enum sup_state st)
{
	static const char *const names[] = {
		[SUP_WAITING] = "waiting", [SUP_STARTING] = "starting",
		[SUP_RUNNING] = "running", [SUP_BACKOFF] = "backoff",
		[SUP_FAILED] = "failed",   [SUP_STOPPED] = "stopped",
		[SUP_BAD] = "bad",
	};
	return (unsigned)st < sizeof(names) / sizeof(names[0]) ? names[st]
							       : "?";
}

static void set_state(struct sup_svc *s, enum sup_state st, uint64_t now)
{
	s->state = st;
	s->since_ns = now;
}

static void reset_failures(struct sup *sp, int i)
{
	struct sup_svc *s = &sp->s[i];
	s->nfails = s->fail_next = 0;
	s->backoff_ns = sp->m->svc[i].backoff_min_ns;
}

void sup_init(struct sup *sp, const struct manifest *m,
	      const struct sup_ops *ops, void *ctx, uint64_t now)
{
	memset(sp, 0, sizeof(*sp));
	sp->m = m;
	sp->ops = ops;
	sp->ctx = ctx;
	sp->stable_ns = SUP_STABLE_NS;
	for (int i = 0; i < m->n; i++) {
		set_state(&sp->s[i], m->svc[i].ok ? SUP_WAITING : SUP_BAD, now);
		reset_failures(sp, i);
	}
}

static int deps_up(const struct sup *sp, int i)
{
	const struct man_svc *e = &sp->m->svc[i];
	for (int d = 0; d < e->nafter; d++) {
		enum sup_state st = sp->s[e->dep[d]].state;
		if (st != SUP_STARTING && st != SUP_RUNNING)
			return 0;
	}
	return 1;
}

/* Whether a dependency of i ended or was started again since i's
 * instance started. */
static int dep_cycled(const struct sup *sp, int i)
{
	const struct man_svc *e = &sp->m->svc[i];
	for (int d = 0; d < e->nafter; d++) {
		const struct sup_svc *ds = &sp->s[e->dep[d]];
		if ((ds->state != SUP_STARTING && ds->state != SUP_RUNNING) ||
		    ds->started_ns > sp->s[i].started_ns)
			return 1;
	}
	return 0;
}

/* Records a failure; 1 when it makes the service failed. */
static int count_failure(struct sup *sp, int i, uint64_t now)
{
	struct sup_svc *s = &sp->s[i];
	const struct man_svc *e = &sp->m->svc[i];
	s->fails[s->fail_next] = now;
	s->fail_next = (s->fail_next + 1) % e->limit_n;
	if (s->nfails < e->limit_n)
		s->nfails++;
	/* The oldest of the last limit_n failures is at fail_next. */
	return s->nfails == e->limit_n &&
	       now - s->fails[s->fail_next] <= e->limit_window_ns;
}

static void schedule_restart(struct sup *sp, int i, uint64_t now)
{
	struct sup_svc *s = &sp->s[i];
	const struct man_svc *e = &sp->m->svc[i];
	set_state(s, SUP_BACKOFF, now);
	s->due_ns = now + s->backoff_ns;
	s->backoff_ns = s->backoff_ns > e->backoff_max_ns / 2
				? e->backoff_max_ns
				: s->backoff_ns * 2;
}

static void start_one(struct sup *sp, int i, uint64_t now)
{
	struct sup_svc *s = &sp->s[i];
	uint64_t koid = 0;
	if (s->generation)
		s->restarts++;
	s->generation++;
	long r = sp->ops->start(sp->ctx, i, &koid);
	if (r == 0) {
		s->koid = koid;
		s->started_ns = now;
		set_state(s, SUP_STARTING, now);
		return;
	}
	/* Could not even start: a failure like a crash at once. */
	s->koid = 0;
	s->started_ns = now;
	set_state(s, SUP_STARTING, now);
	sup_exited(sp, i, r, now);
}

uint64_t sup_step(struct sup *sp, uint64_t now)
{
	uint64_t next = SUP_NEVER;
	/* Passes until nothing more starts: a start can let dependents go. */
	for (int again = 1; again;) {
		again = 0;
		for (int i = 0; i < sp->m->n; i++) {
			struct sup_svc *s = &sp->s[i];
			if ((s->state == SUP_WAITING && deps_up(sp, i)) ||
			    (s->state == SUP_BACKOFF && s->due_ns <= now)) {
				start_one(sp, i, now);
				again |= s->state == SUP_STARTING;
			}
		}
	}
	for (int i = 0; i < sp->m->n; i++) {
		struct sup_svc *s = &sp->s[i];
		uint64_t t = SUP_NEVER;
		if (s->state == SUP_STARTING) {
			if (now - s->started_ns >= sp->stable_ns) {
				/* Its next death waits the minimum again
				 * (sup_exited); the failure history stays, so
				 * N deaths in the window still make it failed
				 * however long each instance lived. */
				set_state(s, SUP_RUNNING, now);
			} else {
				t = s->started_ns + sp->stable_ns;
			}
		} else if (s->state == SUP_BACKOFF) {
			t = s->due_ns;
		}
		if (t < next)
			next = t;
	}
	return next;
}

void sup_exited(struct sup *sp, int i, int64_t status, uint64_t now)
{
	struct sup_svc *s = &sp->s[i];
	const struct man_svc *e = &sp->m->svc[i];
	if (s->state != SUP_STARTING && s->state != SUP_RUNNING)
		return; /* not running: nothing of ours */
	s->last_exit = status;
	s->exited = 1;
	s->koid = 0;
	if (s->stop_req) {
		s->stop_req = s->restart_req = 0;
		set_state(s, SUP_STOPPED, now);
		return;
	}
	if (s->restart_req) { /* asked for: no failure, no delay */
		s->restart_req = 0;
		reset_failures(sp, i);
		set_state(s, SUP_WAITING, now);
		return;
	}
	int failure = status != 0;
	if (e->restart == MAN_RESTART_NEVER ||
	    (e->restart == MAN_RESTART_ON_FAILURE && !failure)) {
		set_state(s, failure ? SUP_FAILED : SUP_STOPPED, now);
		return;
	}
	if (dep_cycled(sp, i)) {
		/* It lost a dependency (the shell its console): not its
		 * failure. It starts again once they are up. */
		s->backoff_ns = e->backoff_min_ns;
		set_state(s, SUP_WAITING, now);
		return;
	}
	if (s->state == SUP_RUNNING) /* it had been up a while */
		s->backoff_ns = e->backoff_min_ns;
	if (failure && count_failure(sp, i, now)) {
		char msg[96];
		snprintf(msg, sizeof(msg),
			 "failed: %u failures within %llu ms; not restarted",
			 e->limit_n,
			 (unsigned long long)(e->limit_window_ns / 1000000));
		set_state(s, SUP_FAILED, now);
		if (sp->ops->note)
			sp->ops->note(sp->ctx, i, msg);
		return;
	}
	schedule_restart(sp, i, now);
}

int sup_cmd(struct sup *sp, int i, enum sup_cmd cmd, uint64_t now)
{
	struct sup_svc *s = &sp->s[i];
	if (s->state == SUP_BAD)
		return SUP_E_BAD;
	int up = s->state == SUP_STARTING || s->state == SUP_RUNNING;
	switch (cmd) {
	case SUP_CMD_START:
		if (up || s->state == SUP_WAITING || s->state == SUP_BACKOFF)
			return SUP_E_STATE;
		break;
	case SUP_CMD_STOP:
		if (up) {
			s->stop_req = 1;
			s->restart_req = 0;
			sp->ops->kill(sp->ctx, i);
		} else {
			set_state(s, SUP_STOPPED, now);
		}
		return 0;
	case SUP_CMD_RESTART:
		if (up) {
			s->restart_req = 1;
			s->stop_req = 0;
			sp->ops->kill(sp->ctx, i);
			return 0;
		}
		break;
	}
	reset_failures(sp, i);
	set_state(s, SUP_WAITING, now);
	return 0;
}

int sup_find_koid(const struct sup *sp, uint64_t koid)
{
	for (int i = 0; koid && i < sp->m->n; i++)
		if (sp->s[i].koid == koid && (sp->s[i].state == SUP_STARTING ||
					      sp->s[i].state == SUP_RUNNING))
			return i;
	return -1;
}
