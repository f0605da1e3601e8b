/* Doorbell scans (REVIEW-17 F8). A client holds a SIGNAL copy of netd's
 * doorbell and can ring every bit, and a bit says only "some socket of a
 * connection in this group may have news": netd must look at each of
 * the group's sockets. So the work one signal causes is bounded per
 * pass: a scan visits sockets in round-robin order (groups from where
 * the last one stopped, connections, slots) and stops when its budget
 * is spent; sock_tick continues it next pass and keeps netd from
 * sleeping meanwhile. A socket whose two client counters have not moved
 * costs little (no lwIP work); an empty slot costs less still.
 *
 * No wake-up is lost: a bit rung again while its group is being scanned
 * is scanned again from the start after the groups already waiting. */
#include "sock_int.h"

#define SCAN_BUDGET  4096u /* units per pass */
#define COST_SLOT    1u	   /* an empty slot */
#define COST_SAME    2u	   /* counters unchanged: nothing to do */
#define COST_SERVICE 16u   /* counters moved: rings <-> lwIP */
#define GROUPS	     48u

void sock_on_doorbell(uint64_t bits)
{
	sk_enter();
	sk_g.scan_todo |= (bits & SOCK_DOORBELL_MASK) >> SOCK_DOORBELL_BIT0;
	(void)sk_scan_run();
	sk_leave();
}

static uint32_t visit(struct sock *s)
{
	if (s->dead || s->hostile)
		return COST_SLOT;
	uint64_t rt = __atomic_load_n(&s->shm->rx_tail, __ATOMIC_RELAXED);
	uint64_t th = __atomic_load_n(&s->shm->tx_head, __ATOMIC_RELAXED);
	if (rt == s->rx_tail && th == s->tx_head)
		return COST_SAME;
	sk_service(s);
	return COST_SERVICE;
}

/* The next group rung, from scan_next on (round robin). */
static bool next_group(void)
{
	uint64_t todo = sk_g.scan_todo & ((1ull << GROUPS) - 1);
	if (!todo) /* every pass asks: the common answer costs nothing */
		return false;
	/* the first bit at or after scan_next, else the first at all */
	uint64_t from = todo & (~0ull << sk_g.scan_next);
	uint32_t g = (uint32_t)__builtin_ctzll(from ? from : todo);
	sk_g.scan_todo &= ~(1ull << g);
	sk_g.scan_next = (g + 1) % GROUPS;
	sk_g.scan_conn = g;
	sk_g.scan_slot = 0;
	sk_g.scan_active = true;
	return true;
}

bool sk_scan_run(void)
{
	uint32_t spent = 0;
	while (spent < SCAN_BUDGET) {
		if (!sk_g.scan_active && !next_group())
			return false;
		if (sk_g.scan_conn >= sk_g.nconns) {
			sk_g.scan_active = false;
			continue;
		}
		struct sconn *c = &sk_g.conns[sk_g.scan_conn];
		/* Past its highest socket (or none): the next connection. */
		if (!c->used || sk_g.scan_slot >= c->top) {
			sk_g.scan_conn += GROUPS;
			sk_g.scan_slot = 0;
			spent += COST_SLOT;
			continue;
		}
		struct sock *s = c->socks[sk_g.scan_slot++];
		spent += s ? visit(s) : COST_SLOT;
	}
	return sk_g.scan_active || sk_g.scan_todo;
}
