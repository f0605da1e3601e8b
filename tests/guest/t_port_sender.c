/* port_rx.sender (docs/ipc.md "Who sent it"): the koid of the task whose
 * thread sent a message, made a call or gave an answer, filled by the
 * kernel on both IPC paths; 0 for the kernel's no-senders notice. A
 * server counts per-client limits by it (fsd does). */
#include <string.h>

#include "gchild.h"
#include "gtest.h"
#include "gutil.h"

static uint64_t koid_of(handle_t h)
{
	struct handle_info hi;
	return sys_handle_info(h, &hi) == 0 ? hi.koid : 0;
}

static long recv_one(handle_t r, struct port_rx *rx, void *buf, uint32_t cap,
		     handle_t *hv)
{
	memset(rx, 0, sizeof(*rx));
	rx->buf = buf;
	rx->cap = cap;
	rx->handles = hv;
	rx->hcap = hv ? 1 : 0;
	rx->sender = 0xdeadbeef; /* must be overwritten */
	return sys_port_recv(r, rx, g_now() + 5000 * MS);
}

GTEST(port_sender_is_the_sending_task)
{
	handle_t r, s;
	GCHECK_OK(sys_port_create(0, &r, &s));
	uint64_t me = koid_of(g_self());
	GCHECK(me != 0);
	/* Our own send. */
	uint8_t b[8] = {1};
	struct port_msg m = {.data = b, .len = 1};
	GCHECK_OK(sys_port_send(s, &m, DEADLINE_POLL));
	struct port_rx rx;
	GCHECK_OK(recv_one(r, &rx, b, sizeof(b), NULL));
	GCHECK_EQ(rx.sender, me);
	/* A child's send, through a handle we gave it. */
	struct child c;
	int64_t st = -1;
	handle_t sd = g_dup(s, RIGHT_SAME);
	GCHECK_OK(g_spawn_ex("guest-child-quota", "give:@", 1ull << 20, 0, sd,
			     RIGHT_SAME, &c));
	uint64_t child = koid_of(c.task);
	uint64_t magic = 0;
	handle_t v = HANDLE_INVALID;
	long e = recv_one(r, &rx, &magic, sizeof(magic), &v);
	g_reap(&c, 5000 * MS, &st);
	if (v)
		sys_handle_close(v);
	GCHECK_OK(e);
	GCHECK_EQ(magic, QS_MAGIC);
	GCHECK(child != 0 && child != me);
	GCHECK_EQ(rx.sender, child);
	/* The no-senders notice is the kernel's. */
	handle_t n;
	GCHECK_OK(sys_port_mint_ex(r, 7, PORT_MINT_NOTIFY_CLOSED, &n));
	GCHECK_OK(sys_handle_close(n));
	GCHECK_OK(recv_one(r, &rx, b, sizeof(b), NULL));
	GCHECK_EQ(rx.flags & PORT_RX_CLOSED, PORT_RX_CLOSED);
	GCHECK_EQ(rx.sender, 0);
	GCHECK_OK(sys_handle_close(s));
	GCHECK_OK(sys_handle_close(r));
}

/* A call (fastpath when it applies, else the slow path) and its answer:
 * the server learns the caller's task, the caller the server's. */
static handle_t cs_r;
static volatile uint64_t cs_seen;

static int64_t answer_one(uint64_t arg)
{
	(void)arg;
	uint8_t b[16];
	struct port_rx rx = {.buf = b, .cap = sizeof(b)};
	long e = sys_port_recv(cs_r, &rx, g_now() + 5000 * MS);
	if (e)
		return e;
	cs_seen = rx.sender;
	struct port_msg m = {.data = b, .len = rx.len};
	return sys_port_reply(rx.reply, &m);
}

GTEST(port_sender_of_a_call_and_its_answer)
{
	handle_t s;
	GCHECK_OK(sys_port_create(0, &cs_r, &s));
	cs_seen = 0;
	struct gthread t;
	GCHECK_OK(gthread_start(&t, answer_one, 0));
	uint8_t q[4] = {9, 8, 7, 6}, a[16];
	struct port_msg m = {.data = q, .len = sizeof(q)};
	struct port_rx rx = {.buf = a, .cap = sizeof(a), .sender = 1};
	GCHECK_OK(sys_port_call(s, &m, &rx, g_now() + 5000 * MS));
	int64_t st = -1;
	GCHECK_OK(gthread_join(&t, g_now() + 5000 * MS, &st));
	GCHECK_OK(st);
	uint64_t me = koid_of(g_self());
	GCHECK_EQ(cs_seen, me);
	GCHECK_EQ(rx.sender, me); /* the answer came from our own thread */
	GCHECK_OK(sys_handle_close(s));
	GCHECK_OK(sys_handle_close(cs_r));
}
