/* The console's subscriber table (servers/console/subs.c): a program
 * subscribing must not take Ctrl-C away from the shell's subscription. */
#include "harness.h"
#include "proto.h"
#include "subs.h"

TEST(console_subs_interrupt_goes_to_all)
{
	static struct con_subs t;
	int order[CON_SUBS_MAX];
	CHECK_EQ(subs_add(&t, 10, 100, CON_EV_INTERRUPT | CON_EV_KEY, 0, 0), 0);
	/* A child subscribes too: the shell's entry stays. */
	CHECK_EQ(subs_add(&t, 11, 101, CON_EV_INTERRUPT, 0, 0), 0);
	CHECK_EQ(subs_count(&t, CON_EV_INTERRUPT), 2);
	CHECK_EQ(subs_order(&t, CON_EV_INTERRUPT, NULL, order), 2);
	CHECK_EQ(t.s[order[0]].h, 11); /* newest first */
	CHECK_EQ(t.s[order[1]].h, 10);
	CHECK_EQ(subs_order(&t, CON_EV_KEY, NULL, order), 1);
	CHECK_EQ(t.s[order[0]].h, 10);
	/* The same port again replaces its own entry only. */
	CHECK_EQ(subs_add(&t, 12, 101, CON_EV_KEY, 0, 0), 11);
	CHECK_EQ(subs_count(&t, 0), 2);
	CHECK_EQ(subs_count(&t, CON_EV_INTERRUPT), 1);
	CHECK_EQ(subs_order(&t, CON_EV_KEY, NULL, order), 2);
	CHECK_EQ(t.s[order[0]].h, 12);
	/* Unsubscribe names a port: another's entry stays. */
	CHECK_EQ(subs_remove(&t, 555), 0);
	CHECK_EQ(subs_remove(&t, 101), 12);
	CHECK_EQ(subs_remove(&t, 101), 0);
	CHECK_EQ(subs_count(&t, 0), 1);
	CHECK_EQ(subs_remove(&t, 100), 10);
	CHECK_EQ(subs_count(&t, 0), 0);
}

TEST(console_subs_full_table_drops_oldest)
{
	static struct con_subs t;
	int order[CON_SUBS_MAX];
	for (uint32_t i = 0; i < CON_SUBS_MAX; i++)
		CHECK_EQ(subs_add(&t, 20 + i, 200 + i, CON_EV_INTERRUPT, 0, 0), 0);
	CHECK_EQ(subs_add(&t, 99, 999, CON_EV_INTERRUPT, 0, 0), 20);
	CHECK_EQ(subs_add(&t, 98, 998, CON_EV_INTERRUPT, 0, 0), 21);
	CHECK_EQ(subs_count(&t, 0), CON_SUBS_MAX);
	CHECK_EQ(subs_order(&t, CON_EV_INTERRUPT, NULL, order), CON_SUBS_MAX);
	CHECK_EQ(t.s[order[0]].h, 98);
	CHECK_EQ(t.s[order[1]].h, 99);
	CHECK_EQ(t.s[order[CON_SUBS_MAX - 1]].h, 22);
}
