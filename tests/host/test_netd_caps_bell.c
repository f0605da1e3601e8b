/* netd's socket service: the work one doorbell signal causes is bounded
 * (REVIEW-17 F8). A client holds a SIGNAL copy of netd's doorbell and
 * may ring every group's bit; netd scans within a budget per pass,
 * continues on the next passes (sock_tick), and loses no wake-up. */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "netd_sock_fix.h"

#define PER_CONN 200u
#define CONNS	 3
#define ALL	 (CONNS * PER_CONN)

static struct nx_sock socks[CONNS][PER_CONN];

/* 600 TCP sockets of task 42 whose connects were refused: no pcb (so
 * no pool share), but each is a socket a doorbell scan must look at;
 * what is written into them is dropped, which moves tx_tail. */
static void make_socks(struct nx_conn *a)
{
	for (int k = 0; k < CONNS; k++) {
		for (uint32_t i = 0; i < PER_CONN; i++) {
			CHECK_EQ(nx_socket(&a[k], 1, 0, &socks[k][i]), 0);
			CHECK_EQ(nx_connect_to(&socks[k][i], 7499), 0);
		}
		nx_run(5);
		for (uint32_t i = 0; i < PER_CONN; i++)
			CHECK(nx_state(&socks[k][i]) & NET_ST_CLOSED);
	}
}

/* Each socket of the first `conns` connections gets 8 more bytes,
 * without ringing. */
static void write_quietly(int conns)
{
	for (int k = 0; k < conns; k++)
		for (uint32_t i = 0; i < PER_CONN; i++)
			socks[k][i].shm->tx_head += 8;
}

static uint32_t taken(void)
{
	uint32_t n = 0;
	for (int k = 0; k < CONNS; k++)
		for (uint32_t i = 0; i < PER_CONN; i++)
			n += socks[k][i].shm->tx_tail ==
			     socks[k][i].shm->tx_head;
	return n;
}

/* One signal with every bit: netd looks at no more than a budget's
 * worth of sockets at once; the next passes do the rest. */
TEST(netd_caps_bell_one_signal_bounded_work)
{
	CHECK_EQ(nx_setup(256u << 20), 0);
	struct nx_conn a[CONNS], x;
	nx_sender = 42;
	for (int k = 0; k < CONNS; k++)
		CHECK_EQ(nx_connect(&a[k]), 0);
	make_socks(a);
	write_quietly(CONNS);
	nx_sender = 43;
	CHECK_EQ(nx_connect(&x), 0);
	sock_on_doorbell(SOCK_DOORBELL_MASK); /* x rings every bit */
	uint32_t first = taken();
	fprintf(stderr, "    one signal: %u of %u sockets serviced\n", first,
		ALL);
	CHECK(first > 0);
	CHECK(first <= 256);
	/* netd does not sleep while a scan is left: sock_tick continues
	 * it and says "now" while some is still left. */
	CHECK_EQ(sock_tick(nx_now_ns), nx_now_ns);
	CHECK(taken() > first);
	nx_run(2);
	CHECK_EQ(taken(), ALL);
	CHECK(sock_tick(nx_now_ns) > nx_now_ns);
	nx_disconnect(&x);
	for (int k = 0; k < CONNS; k++)
		nx_disconnect(&a[k]);
	CHECK_EQ(nx_teardown(), 0);
}

/* A flood of every bit, with fresh work behind each signal, does not
 * keep another task's socket waiting for more than a few passes, and
 * a bit rung while its group is being scanned is scanned again. */
TEST(netd_caps_bell_flood_is_fair)
{
	CHECK_EQ(nx_setup(256u << 20), 0);
	struct nx_conn a[CONNS], v;
	nx_sender = 42;
	for (int k = 0; k < CONNS; k++)
		CHECK_EQ(nx_connect(&a[k]), 0);
	make_socks(a);
	nx_sender = 44;
	CHECK_EQ(nx_connect(&v), 0);
	struct nx_sock vs;
	CHECK_EQ(nx_socket(&v, 1, 0, &vs), 0);
	CHECK_EQ(nx_connect_to(&vs, 7499), 0);
	nx_run(5);
	for (int round = 0; round < 3; round++) {
		write_quietly(CONNS);
		sock_on_doorbell(SOCK_DOORBELL_MASK);
	}
	/* The victim writes and rings its own bit once, mid-flood. */
	vs.shm->tx_head += 8;
	nx_doorbell(&v);
	int calls = 0;
	while (vs.shm->tx_tail != vs.shm->tx_head && calls < 20) {
		write_quietly(CONNS);
		sock_on_doorbell(SOCK_DOORBELL_MASK);
		calls++;
	}
	fprintf(stderr, "    victim serviced after %d more flood signals\n",
		calls);
	CHECK(calls <= 4);
	/* A socket of a group being scanned, behind the cursor, changed
	 * and rung again: serviced on a later pass. */
	nx_run(2);
	CHECK_EQ(taken(), ALL);
	write_quietly(CONNS);
	sock_on_doorbell(a[0].db_bits | a[1].db_bits | a[2].db_bits);
	uint32_t first = taken(), again = 0;
	CHECK(first < ALL);
	for (int k = 0; k < CONNS; k++) {
		struct net_shm *m = socks[k][0].shm;
		if (m->tx_tail == m->tx_head) {
			m->tx_head += 8;
			sock_on_doorbell(a[k].db_bits);
			again++;
		}
	}
	CHECK(again > 0);
	nx_run(2);
	CHECK_EQ(taken(), ALL);
	nx_disconnect(&v);
	for (int k = 0; k < CONNS; k++)
		nx_disconnect(&a[k]);
	CHECK_EQ(nx_teardown(), 0);
}
