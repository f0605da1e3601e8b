/* The console's readline ownership (rlown.h). */
#include "rlown.h"

static bool is_owner(const struct rl_own *o, uint64_t badge, uint64_t task)
{
	return o->owner && task == o->owner && badge == o->owner_badge;
}

enum rl_verdict rl_decide(struct rl_own *o, uint64_t badge, uint64_t task,
			  uint64_t now)
{
	if (!o->pending) {
		if (o->reserve_until && now < o->reserve_until) {
			if (badge == o->badge && task == o->task)
				return RL_RESUME;
			if (!is_owner(o, badge, task))
				return RL_BUSY;
		}
		return RL_FRESH;
	}
	if (badge != o->badge)
		return RL_BUSY;
	if (task == o->task || is_owner(o, badge, task))
		return RL_TAKEOVER;
	if (now < o->next_probe)
		return RL_BUSY;
	o->next_probe = now + RL_PROBE_GAP_NS;
	return RL_PROBE;
}

enum rl_verdict rl_probed(struct rl_own *o, bool gone, uint64_t badge,
			  uint64_t task, uint64_t now)
{
	o->pending = false;
	if (gone) {
		/* The owner died at its prompt: its successor owns. */
		if (o->task == o->owner) {
			o->owner = task;
			o->owner_badge = badge;
		}
		o->reserve_until = 0;
		return RL_FRESH;
	}
	o->reserve_until = now + RL_RESERVE_NS;
	if (!o->reserve_until)
		o->reserve_until = 1;
	return RL_BUSY;
}

void rl_taken(struct rl_own *o, uint64_t badge, uint64_t task)
{
	o->pending = true;
	o->badge = badge;
	o->task = task;
	o->reserve_until = 0;
	if (!o->owner) {
		o->owner = task;
		o->owner_badge = badge;
	}
}

void rl_done(struct rl_own *o)
{
	o->pending = false;
	o->reserve_until = 0;
}
