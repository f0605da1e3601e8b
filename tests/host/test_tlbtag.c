/* Host tests for the per-CPU TLB tag slots (kern/tlbtag.h, x86 PCIDs): a
 * space coming back to its tag reuses it without a flush only when no
 * shootdown happened since; a slot handed to another space always
 * flushes; tags stay in 1..TLBTAG_SLOTS; and, against a model that
 * records what each tag may still hold, no sequence of loads and
 * shootdowns ever runs a space on entries older than its last shootdown. */
#include <string.h>

#include "harness.h"
#include <kern/tlbtag.h>

TEST(tlbtag_first_use_flushes_then_reuses)
{
	struct tlbtag_cpu c;
	memset(&c, 0, sizeof(c));
	bool flush = false;
	unsigned t = tlbtag_pick(&c, 5, 0, &flush);
	CHECK(t >= 1 && t <= TLBTAG_SLOTS);
	CHECK(flush);
	unsigned u = tlbtag_pick(&c, 7, 0, &flush);
	CHECK(u != t);
	CHECK(flush);
	CHECK_EQ(tlbtag_pick(&c, 5, 0, &flush), t);
	CHECK(!flush);
}

TEST(tlbtag_shootdown_since_last_load_flushes_once)
{
	struct tlbtag_cpu c;
	memset(&c, 0, sizeof(c));
	bool flush;
	unsigned t = tlbtag_pick(&c, 9, 3, &flush);
	CHECK_EQ(tlbtag_pick(&c, 9, 4, &flush), t);
	CHECK(flush);
	CHECK_EQ(tlbtag_pick(&c, 9, 4, &flush), t);
	CHECK(!flush);
}

TEST(tlbtag_evicted_space_gets_a_flushed_tag)
{
	struct tlbtag_cpu c;
	memset(&c, 0, sizeof(c));
	bool flush;
	unsigned first = tlbtag_pick(&c, 1, 0, &flush);
	for (uint64_t id = 2; id <= TLBTAG_SLOTS + 1; id++)
		tlbtag_pick(&c, id, 0, &flush);
	/* Space 1's slot went to space TLBTAG_SLOTS + 1. */
	CHECK_EQ(tlbtag_pick(&c, TLBTAG_SLOTS + 1, 0, &flush), first);
	CHECK(!flush);
	unsigned again = tlbtag_pick(&c, 1, 0, &flush);
	CHECK(flush);
	CHECK(again >= 1 && again <= TLBTAG_SLOTS);
}

/* Model: per tag, the space whose entries it may hold and the oldest
 * generation of them. Random loads and shootdowns over 20 spaces; after
 * each load, the tag must hold only the loaded space's entries, none older
 * than its generation. */
static uint64_t rs = 88172645463325252ull;
static uint64_t rnd(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return rs;
}

TEST(tlbtag_never_runs_on_stale_entries)
{
	enum { SPACES = 20, STEPS = 200000 };
	struct tlbtag_cpu c;
	memset(&c, 0, sizeof(c));
	uint64_t gen[SPACES + 1];
	memset(gen, 0, sizeof(gen));
	struct {
		uint64_t space, oldest;
		bool used;
	} held[TLBTAG_SLOTS + 1];
	memset(held, 0, sizeof(held));
	unsigned bad = 0, flushes = 0, reuses = 0;
	for (int step = 0; step < STEPS; step++) {
		uint64_t s = 1 + rnd() % SPACES;
		if (rnd() % 3 == 0) { /* a shootdown elsewhere */
			gen[s]++;
			continue;
		}
		bool flush;
		unsigned t = tlbtag_pick(&c, s, gen[s], &flush);
		if (t < 1 || t > TLBTAG_SLOTS) {
			bad++;
			continue;
		}
		if (flush) {
			held[t].used = false;
			flushes++;
		} else {
			reuses++;
		}
		if (held[t].used &&
		    (held[t].space != s || held[t].oldest < gen[s]))
			bad++;
		if (!held[t].used) {
			held[t].used = true;
			held[t].space = s;
			held[t].oldest = gen[s];
		}
	}
	CHECK_EQ(bad, 0);
	CHECK(flushes > 0 && reuses > 0);
}
