/* Console sessions and the foreground (sess.h). */
#include "sess.h"

static int slot_of(const struct con_sess *t, uint64_t badge)
{
	for (int i = 0; badge && i < CON_SESS_MAX; i++)
		if (t->badge[i] == badge)
			return i;
	return -1;
}

uint64_t sess_badge(struct con_sess *t)
{
	if (sess_count(t) == CON_SESS_MAX)
		return 0;
	if (t->next < CON_SESS_BADGE_MIN)
		t->next = CON_SESS_BADGE_MIN;
	return t->next++;
}

bool sess_add(struct con_sess *t, uint64_t badge, bool control, uint64_t task)
{
	if (badge < CON_SESS_BADGE_MIN || (control && t->control))
		return false;
	for (int i = 0; i < CON_SESS_MAX; i++) {
		if (t->badge[i])
			continue;
		t->badge[i] = badge;
		t->task[i] = task;
		if (control)
			t->control = t->fg = badge;
		return true;
	}
	return false;
}

uint64_t sess_of(const struct con_sess *t, uint64_t badge, uint64_t task)
{
	if (badge || !task)
		return badge;
	for (int i = 0; i < CON_SESS_MAX; i++)
		if (t->badge[i] && t->task[i] == task)
			return t->badge[i];
	for (int k = 0; k < CON_ADOPT_MAX; k++)
		if (t->adopt[k].badge && t->adopt[k].task == task)
			return t->adopt[k].badge;
	return 0;
}

int sess_adopt(struct con_sess *t, uint64_t badge, uint64_t task)
{
	if (!sess_live(t, badge) || badge == t->control)
		return -1;
	if (!task || sess_of(t, 0, task))
		return -2;
	int n = 0, slot = -1;
	for (int k = 0; k < CON_ADOPT_MAX; k++) {
		n += t->adopt[k].badge == badge;
		if (!t->adopt[k].badge && slot < 0)
			slot = k;
	}
	if (n >= CON_ADOPT_PER || slot < 0)
		return -3;
	t->adopt[slot].badge = badge;
	t->adopt[slot].task = task;
	return 0;
}

bool sess_live(const struct con_sess *t, uint64_t badge)
{
	return slot_of(t, badge) >= 0;
}

bool sess_may_control(const struct con_sess *t, uint64_t caller)
{
	return caller == 0 && !t->control;
}

bool sess_closed(struct con_sess *t, uint64_t badge)
{
	int i = slot_of(t, badge);
	if (i < 0)
		return false;
	t->badge[i] = 0;
	t->task[i] = 0;
	for (int k = 0; k < CON_ADOPT_MAX; k++)
		if (t->adopt[k].badge == badge)
			t->adopt[k].badge = t->adopt[k].task = 0;
	if (badge == t->control)
		t->control = t->fg = 0;
	else if (badge == t->fg)
		t->fg = t->control;
	return true;
}

int sess_set_fg(struct con_sess *t, uint64_t caller, uint64_t target)
{
	if (!t->control || caller != t->control)
		return -1;
	if (!target)
		target = caller;
	if (!sess_live(t, target))
		return -2;
	t->fg = target;
	return 0;
}

enum sess_rl sess_readline(const struct con_sess *t, uint64_t caller)
{
	if (!t->control)
		return SESS_RL_ANY;
	if (caller == t->control)
		return SESS_RL_CONTROL;
	return caller == t->fg ? SESS_RL_FG : SESS_RL_BG;
}

bool sess_gets_events(const struct con_sess *t, uint64_t badge)
{
	return !t->control || badge == t->control || badge == t->fg;
}

int sess_count(const struct con_sess *t)
{
	int n = 0;
	for (int i = 0; i < CON_SESS_MAX; i++)
		n += t->badge[i] != 0;
	return n;
}
