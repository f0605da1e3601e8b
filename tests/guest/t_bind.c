/* A notification bound to a port: one thread waits for messages and
 * signals together (SYS_PORT_BIND_NOTIF). */
#include <string.h>

#include "gtest.h"
#include "gutil.h"

#define MSG_BIT (1ull << 0)
#define SIG_BIT (1ull << 5)
#define T_SECOND (1000 * MS)

static handle_t b_notif, b_send;

static int64_t poke(uint64_t what)
{
	sys_sleep_until(g_now() + 5 * MS);
	if (what == 0) {
		struct port_msg m = {.data = "m", .len = 1};
		return sys_port_send(b_send, &m, DEADLINE_NONE);
	}
	return sys_notif_signal(b_notif, SIG_BIT);
}

GTEST(port_bound_notification_wakes_on_messages_and_signals)
{
	handle_t r, s, n, plain;
	GCHECK_OK(sys_port_create(0, &r, &s));
	GCHECK_OK(sys_notif_create(&n));
	b_notif = n;
	b_send = s;
	GCHECK_OK(sys_port_bind_notif(r, n, MSG_BIT));
	uint64_t bits = 0;
	/* A message from another thread wakes the notification waiter. */
	struct gthread t;
	GCHECK_OK(gthread_start(&t, poke, 0));
	GCHECK_OK(sys_notif_wait(n, MSG_BIT | SIG_BIT, g_now() + T_SECOND,
				 &bits));
	GCHECK_EQ(bits, MSG_BIT);
	GCHECK_OK(gthread_join(&t, DEADLINE_NONE, NULL));
	char buf[4];
	struct port_rx rx = {.buf = buf, .cap = sizeof(buf)};
	GCHECK_OK(sys_port_recv(r, &rx, DEADLINE_POLL));
	GCHECK_EQ(rx.len, 1);
	/* A plain signal on the same notification, same wait. */
	GCHECK_OK(gthread_start(&t, poke, 1));
	GCHECK_OK(sys_notif_wait(n, MSG_BIT | SIG_BIT, g_now() + T_SECOND,
				 &bits));
	GCHECK_EQ(bits, SIG_BIT);
	GCHECK_OK(gthread_join(&t, DEADLINE_NONE, NULL));
	/* Bad input: zero bits, wrong handles, missing rights. */
	GCHECK_ERR(sys_port_bind_notif(r, n, 0), ERR_INVALID_ARGS);
	GCHECK_ERR(sys_port_bind_notif(s, n, 1), ERR_WRONG_TYPE);
	GCHECK_ERR(sys_port_bind_notif(r, r, 1), ERR_WRONG_TYPE);
	plain = g_dup(n, RIGHT_WAIT);
	GCHECK_ERR(sys_port_bind_notif(r, plain, 1), ERR_ACCESS_DENIED);
	sys_handle_close(plain);
	/* Messages already queued at binding time signal at once. */
	struct port_msg m = {.data = "q", .len = 1};
	GCHECK_OK(sys_port_send(s, &m, DEADLINE_POLL));
	handle_t n2;
	GCHECK_OK(sys_notif_create(&n2));
	GCHECK_OK(sys_port_bind_notif(r, n2, SIG_BIT));
	GCHECK_OK(sys_notif_wait(n2, SIG_BIT, DEADLINE_POLL, &bits));
	GCHECK_EQ(bits, SIG_BIT);
	sys_handle_close(n2);
	sys_handle_close(s);
	sys_handle_close(r);
	sys_handle_close(n);
}
