/* The console's event subscribers (subs.h). */
#include "subs.h"

#include <stdbool.h>
#include <string.h>

/* The oldest entry of session sess (any: match false, not of sess). */
static int oldest(const struct con_subs *t, uint64_t sess, bool match)
{
	int slot = -1;
	for (int i = 0; i < CON_SUBS_MAX; i++)
		if ((t->s[i].sess == sess) == match &&
		    (slot < 0 || t->s[i].seq < t->s[slot].seq))
			slot = i;
	return slot;
}

uint32_t subs_add(struct con_subs *t, uint32_t h, uint64_t koid,
		  unsigned events, uint64_t sess, uint64_t keep)
{
	int slot = -1;
	uint32_t old = 0;
	for (int i = 0; i < CON_SUBS_MAX && slot < 0; i++)
		if (t->s[i].h && t->s[i].koid == koid)
			slot = i;
	for (int i = 0; i < CON_SUBS_MAX && slot < 0; i++)
		if (!t->s[i].h)
			slot = i;
	if (slot < 0)
		slot = oldest(t, sess, true);
	if (slot < 0)
		slot = keep ? oldest(t, keep, false) : oldest(t, sess, false);
	if (slot < 0)
		return h; /* all the controlling session's: not added */
	old = t->s[slot].h;
	t->s[slot] = (struct con_sub){.h = h,
				      .koid = koid,
				      .events = events,
				      .seq = ++t->seq,
				      .sess = sess};
	return old;
}

uint32_t subs_remove(struct con_subs *t, uint64_t koid)
{
	for (int i = 0; i < CON_SUBS_MAX; i++) {
		if (t->s[i].h && t->s[i].koid == koid) {
			uint32_t h = t->s[i].h;
			memset(&t->s[i], 0, sizeof(t->s[i]));
			return h;
		}
	}
	return 0;
}

int subs_order(const struct con_subs *t, unsigned kind,
	       const struct con_sess *ss, int order[CON_SUBS_MAX])
{
	int n = 0;
	for (int i = 0; i < CON_SUBS_MAX; i++) {
		if (!t->s[i].h || !(t->s[i].events & kind) ||
		    (ss && !sess_gets_events(ss, t->s[i].sess)))
			continue;
		int k = n++;
		for (; k > 0 && t->s[order[k - 1]].seq < t->s[i].seq; k--)
			order[k] = order[k - 1];
		order[k] = i;
	}
	return n;
}

int subs_count(const struct con_subs *t, unsigned kind)
{
	int n = 0;
	for (int i = 0; i < CON_SUBS_MAX; i++)
		n += t->s[i].h && (!kind || (t->s[i].events & kind));
	return n;
}

int subs_drop_sess(struct con_subs *t, uint64_t sess,
		   uint32_t out[CON_SUBS_MAX])
{
	int n = 0;
	for (int i = 0; i < CON_SUBS_MAX; i++) {
		if (t->s[i].h && t->s[i].sess == sess) {
			out[n++] = t->s[i].h;
			memset(&t->s[i], 0, sizeof(t->s[i]));
		}
	}
	return n;
}
