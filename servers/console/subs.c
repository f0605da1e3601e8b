/* The console's event subscribers (subs.h). */
#include "subs.h"

#include <string.h>

uint32_t subs_add(struct con_subs *t, uint32_t h, uint64_t koid,
		  unsigned events)
{
	int slot = -1;
	uint32_t old = 0;
	for (int i = 0; i < CON_SUBS_MAX && slot < 0; i++)
		if (t->s[i].h && t->s[i].koid == koid)
			slot = i;
	for (int i = 0; i < CON_SUBS_MAX && slot < 0; i++)
		if (!t->s[i].h)
			slot = i;
	if (slot < 0) {
		slot = 0;
		for (int i = 1; i < CON_SUBS_MAX; i++)
			if (t->s[i].seq < t->s[slot].seq)
				slot = i;
	}
	old = t->s[slot].h;
	t->s[slot] = (struct con_sub){
		.h = h, .koid = koid, .events = events, .seq = ++t->seq};
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

int subs_order(const struct con_subs *t, unsigned kind, int order[CON_SUBS_MAX])
{
	int n = 0;
	for (int i = 0; i < CON_SUBS_MAX; i++) {
		if (!t->s[i].h || !(t->s[i].events & kind))
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
