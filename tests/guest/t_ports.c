/* Ports: send/receive, call/reply between threads, handles in messages,
 * badges, event streams, reply_recv, full queues, bad input, peer death
 * both ways, and priority donation under a flood of low-priority calls. */
#include <string.h>

#include "gtest.h"
#include "gutil.h"

#define T_LONG (5000 * MS)

static handle_t pr; /* the port the server threads below serve */

static long send_bytes(handle_t s, const void *p, uint32_t len,
		       uint64_t deadline)
{
	struct port_msg m = {.data = p, .len = len};
	return sys_port_send(s, &m, deadline);
}

static long recv_bytes(handle_t r, void *buf, uint32_t cap, struct port_rx *rx,
		       uint64_t deadline)
{
	memset(rx, 0, sizeof(*rx));
	rx->buf = buf;
	rx->cap = cap;
	return sys_port_recv(r, rx, deadline);
}

/* Echo server: answers each call with its bytes + 1 (first byte), until
 * a message of length 0. Exit status: calls served, or negative error. */
static int64_t echo_server(uint64_t arg)
{
	(void)arg;
	unsigned char buf[64];
	struct port_rx rx;
	int64_t served = 0;
	for (;;) {
		long r = recv_bytes(pr, buf, sizeof(buf), &rx, DEADLINE_NONE);
		if (r < 0)
			return r == ERR_PEER_CLOSED ? served : r;
		if (rx.len == 0)
			return served;
		buf[0]++;
		struct port_msg m = {.data = buf, .len = rx.len};
		r = sys_port_reply(rx.reply, &m);
		if (r < 0 && r != ERR_PEER_CLOSED)
			return r;
		served++;
	}
}

static long call_byte(handle_t s, unsigned char v, unsigned char *out,
		      uint64_t deadline)
{
	struct port_msg m = {.data = &v, .len = 1};
	struct port_rx rx = {.buf = out, .cap = 1};
	long r = sys_port_call(s, &m, &rx, deadline);
	if (r == 0 && rx.len != 1)
		return -100;
	return r;
}

GTEST(port_send_recv_basic)
{
	handle_t r, s;
	GCHECK_OK(sys_port_create(0, &r, &s));
	struct handle_info hi;
	GCHECK_OK(sys_handle_info(r, &hi));
	GCHECK_EQ(hi.type, OBJ_PORT);
	GCHECK_OK(sys_handle_info(s, &hi));
	GCHECK_EQ(hi.type, OBJ_PORT_SEND);
	GCHECK_EQ(hi.rights,
		  RIGHT_WRITE | RIGHT_TRANSFER | RIGHT_DUPLICATE | RIGHT_WAIT);
	static char big[PORT_MSG_MAX], got[PORT_MSG_MAX];
	for (unsigned i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 7);
	GCHECK_OK(send_bytes(s, "hello", 5, DEADLINE_POLL));
	GCHECK_OK(send_bytes(s, big, sizeof(big), DEADLINE_POLL));
	struct port_rx rx;
	GCHECK_OK(recv_bytes(r, got, sizeof(got), &rx, DEADLINE_POLL));
	GCHECK_EQ(rx.len, 5);
	GCHECK(memcmp(got, "hello", 5) == 0);
	GCHECK_EQ(rx.reply, HANDLE_INVALID);
	GCHECK_EQ(rx.badge, 0);
	/* Too small a buffer: the sizes come back, the message stays. */
	GCHECK_ERR(recv_bytes(r, got, 100, &rx, DEADLINE_POLL),
		   ERR_BUFFER_TOO_SMALL);
	GCHECK_EQ(rx.len, PORT_MSG_MAX);
	GCHECK_OK(recv_bytes(r, got, sizeof(got), &rx, DEADLINE_POLL));
	GCHECK_EQ(rx.len, PORT_MSG_MAX);
	GCHECK(memcmp(got, big, sizeof(big)) == 0);
	GCHECK_ERR(recv_bytes(r, got, sizeof(got), &rx, DEADLINE_POLL),
		   ERR_SHOULD_WAIT);
	uint64_t t0 = g_now();
	GCHECK_ERR(recv_bytes(r, got, sizeof(got), &rx, t0 + 20 * MS),
		   ERR_TIMED_OUT);
	GCHECK(g_now() >= t0 + 20 * MS);
	GCHECK_OK(sys_handle_close(s));
	GCHECK_OK(sys_handle_close(r));
}

GTEST(port_bad_input)
{
	handle_t r, s, v;
	GCHECK_OK(sys_port_create(0, &r, &s));
	GCHECK_OK(sys_vmo_create(PAGE, &v));
	static char big[PORT_MSG_MAX + 1];
	struct port_rx rx;
	char buf[8];
	GCHECK_ERR(send_bytes(s, big, sizeof(big), DEADLINE_POLL),
		   ERR_INVALID_ARGS);
	handle_t hs[PORT_HANDLES_MAX + 1];
	for (unsigned i = 0; i < PORT_HANDLES_MAX + 1; i++)
		hs[i] = v;
	struct port_msg m = {.nhandles = PORT_HANDLES_MAX + 1, .handles = hs};
	GCHECK_ERR(sys_port_send(s, &m, DEADLINE_POLL), ERR_INVALID_ARGS);
	m.nhandles = 2; /* the same handle twice */
	GCHECK_ERR(sys_port_send(s, &m, DEADLINE_POLL), ERR_INVALID_ARGS);
	handle_t nt = g_dup(v, RIGHT_READ | RIGHT_WRITE);
	m.nhandles = 1;
	m.handles = &nt;
	GCHECK_ERR(sys_port_send(s, &m, DEADLINE_POLL), ERR_ACCESS_DENIED);
	GCHECK_OK(sys_handle_info(nt, &(struct handle_info){0}));
	m.handles = &r; /* its own receive handle */
	GCHECK_ERR(sys_port_send(s, &m, DEADLINE_POLL), ERR_INVALID_ARGS);
	m.handles = (const handle_t *)KERNEL_PTR;
	GCHECK_ERR(sys_port_send(s, &m, DEADLINE_POLL), ERR_FAULT);
	GCHECK_ERR(sys_port_send(s, (void *)KERNEL_PTR, DEADLINE_POLL),
		   ERR_FAULT);
	GCHECK_ERR(recv_bytes(s, buf, sizeof(buf), &rx, DEADLINE_POLL),
		   ERR_WRONG_TYPE);
	GCHECK_ERR(send_bytes(r, "x", 1, DEADLINE_POLL), ERR_WRONG_TYPE);
	handle_t ro = g_dup(r, RIGHT_READ);
	handle_t minted;
	GCHECK_ERR(sys_port_mint(ro, 1, &minted), ERR_ACCESS_DENIED);
	handle_t so = g_dup(s, RIGHT_TRANSFER);
	GCHECK_ERR(send_bytes(so, "x", 1, DEADLINE_POLL), ERR_ACCESS_DENIED);
	GCHECK_ERR(sys_port_reply(s, &m), ERR_WRONG_TYPE);
	GCHECK_ERR(sys_port_create(1, &minted, &minted), ERR_INVALID_ARGS);
	GCHECK_ERR(sys_port_create(0, (void *)KERNEL_PTR, &minted), ERR_FAULT);
	rx.buf = (void *)KERNEL_PTR;
	rx.cap = 8;
	GCHECK_ERR(sys_port_recv(r, &rx, DEADLINE_POLL), ERR_FAULT);
	/* Nothing was queued by any of that. */
	GCHECK_ERR(recv_bytes(r, buf, sizeof(buf), &rx, DEADLINE_POLL),
		   ERR_SHOULD_WAIT);
	GCHECK_OK(sys_handle_close(so));
	GCHECK_OK(sys_handle_close(ro));
	GCHECK_OK(sys_handle_close(nt));
	GCHECK_OK(sys_handle_close(v));
	GCHECK_OK(sys_handle_close(s));
	GCHECK_OK(sys_handle_close(r));
}

GTEST(port_handles_travel)
{
	handle_t r, s, v;
	GCHECK_OK(sys_port_create(0, &r, &s));
	GCHECK_OK(sys_vmo_create(PAGE, &v));
	GCHECK_OK(sys_vmo_write(v, "secret", 0, 7));
	uint64_t koid = g_koid(v);
	struct port_msg m = {
		.data = "vmo", .len = 3, .nhandles = 1, .handles = &v};
	GCHECK_OK(sys_port_send(s, &m, DEADLINE_POLL));
	/* Moved: the sender's handle is gone. */
	GCHECK_ERR(sys_handle_close(v), ERR_BAD_HANDLE);
	char buf[8];
	handle_t got[2] = {0};
	struct port_rx rx = {
		.buf = buf, .cap = sizeof(buf), .handles = got, .hcap = 0};
	GCHECK_ERR(sys_port_recv(r, &rx, DEADLINE_POLL), ERR_BUFFER_TOO_SMALL);
	GCHECK_EQ(rx.nhandles, 1);
	rx.hcap = 2;
	GCHECK_OK(sys_port_recv(r, &rx, DEADLINE_POLL));
	GCHECK_EQ(rx.nhandles, 1);
	GCHECK_EQ(g_koid(got[0]), koid);
	char s2[7];
	GCHECK_OK(sys_vmo_read(got[0], s2, 0, 7));
	GCHECK(memcmp(s2, "secret", 7) == 0);
	GCHECK_OK(sys_handle_close(got[0]));
	/* Queued handles die with the port. */
	GCHECK_OK(sys_vmo_create(PAGE, &v));
	GCHECK_OK(sys_port_send(s, &m, DEADLINE_POLL));
	GCHECK_OK(sys_handle_close(r));
	GCHECK_ERR(sys_port_send(s, &m, DEADLINE_POLL), ERR_BAD_HANDLE);
	GCHECK_ERR(send_bytes(s, "x", 1, DEADLINE_POLL), ERR_PEER_CLOSED);
	GCHECK_OK(sys_handle_close(s));
}

GTEST(port_badges_and_event_stream)
{
	/* The client owns the port; the "server" got a minted send handle
	 * and streams events into it. */
	handle_t r, s, s7, s9;
	GCHECK_OK(sys_port_create(0, &r, &s));
	GCHECK_OK(sys_port_mint(r, 7, &s7));
	GCHECK_OK(sys_port_mint(r, 9, &s9));
	for (unsigned char i = 0; i < 10; i++)
		GCHECK_OK(send_bytes(i & 1 ? s9 : s7, &i, 1, DEADLINE_POLL));
	GCHECK_OK(send_bytes(s, "z", 1, DEADLINE_POLL));
	for (unsigned char i = 0; i < 10; i++) {
		unsigned char b;
		struct port_rx rx;
		GCHECK_OK(recv_bytes(r, &b, 1, &rx, DEADLINE_POLL));
		GCHECK_EQ(b, i);
		GCHECK_EQ(rx.badge, i & 1 ? 9 : 7);
	}
	char c;
	struct port_rx rx;
	GCHECK_OK(recv_bytes(r, &c, 1, &rx, DEADLINE_POLL));
	GCHECK_EQ(rx.badge, 0);
	GCHECK_OK(sys_handle_close(s7));
	GCHECK_OK(sys_handle_close(s9));
	GCHECK_OK(sys_handle_close(s));
	GCHECK_OK(sys_handle_close(r));
}

GTEST(port_queue_full)
{
	handle_t r, s;
	GCHECK_OK(sys_port_create(0, &r, &s));
	for (unsigned i = 0; i < PORT_QUEUE_MAX; i++)
		GCHECK_OK(send_bytes(s, "q", 1, DEADLINE_POLL));
	GCHECK_ERR(send_bytes(s, "q", 1, DEADLINE_POLL), ERR_SHOULD_WAIT);
	uint64_t t0 = g_now();
	GCHECK_ERR(send_bytes(s, "q", 1, t0 + 20 * MS), ERR_TIMED_OUT);
	GCHECK(g_now() >= t0 + 20 * MS);
	char c;
	struct port_rx rx;
	GCHECK_OK(recv_bytes(r, &c, 1, &rx, DEADLINE_POLL));
	GCHECK_OK(send_bytes(s, "q", 1, DEADLINE_POLL));
	GCHECK_OK(sys_handle_close(r)); /* drops the 64 queued */
	GCHECK_OK(sys_handle_close(s));
}

GTEST(port_call_reply_threads)
{
	handle_t s;
	GCHECK_OK(sys_port_create(0, &pr, &s));
	struct gthread srv;
	GCHECK_OK(gthread_start(&srv, echo_server, 0));
	for (unsigned i = 0; i < 100; i++) {
		unsigned char out = 0;
		GCHECK_OK(
			call_byte(s, (unsigned char)i, &out, g_now() + T_LONG));
		GCHECK_EQ(out, (unsigned char)(i + 1));
	}
	GCHECK_OK(send_bytes(s, "", 0, DEADLINE_POLL)); /* stop */
	int64_t st;
	GCHECK_OK(gthread_join(&srv, g_now() + T_LONG, &st));
	GCHECK_EQ(st, 100);
	GCHECK_OK(sys_handle_close(s));
	GCHECK_OK(sys_handle_close(pr));
}

/* Serves with reply_recv: one system call per request after the first. */
static int64_t rr_server(uint64_t arg)
{
	(void)arg;
	unsigned char b;
	struct port_rx rx;
	int64_t n = 0;
	long r = recv_bytes(pr, &b, 1, &rx, DEADLINE_NONE);
	while (r == 0 && rx.len) {
		b = (unsigned char)(b * 2);
		struct port_msg m = {.data = &b, .len = 1};
		handle_t rep = rx.reply;
		rx = (struct port_rx){.buf = &b, .cap = 1};
		r = sys_port_reply_recv(rep, &m, pr, &rx, DEADLINE_NONE);
		n++;
	}
	return r ? r : n;
}

GTEST(port_reply_recv)
{
	handle_t s;
	GCHECK_OK(sys_port_create(0, &pr, &s));
	struct gthread srv;
	GCHECK_OK(gthread_start(&srv, rr_server, 0));
	for (unsigned i = 1; i < 50; i++) {
		unsigned char out = 0;
		GCHECK_OK(
			call_byte(s, (unsigned char)i, &out, g_now() + T_LONG));
		GCHECK_EQ(out, (unsigned char)(i * 2));
	}
	GCHECK_OK(send_bytes(s, "", 0, DEADLINE_POLL));
	int64_t st;
	GCHECK_OK(gthread_join(&srv, g_now() + T_LONG, &st));
	GCHECK_EQ(st, 49);
	GCHECK_OK(sys_handle_close(s));
	GCHECK_OK(sys_handle_close(pr));
}

/* Receives one call and closes the receive handle without answering. */
static int64_t dying_server(uint64_t arg)
{
	(void)arg;
	char b;
	struct port_rx rx;
	long r = recv_bytes(pr, &b, 1, &rx, DEADLINE_NONE);
	sys_handle_close(pr);
	if (r == 0)
		sys_handle_close(rx.reply); /* never answered */
	return r;
}

static handle_t call_s;
static int64_t caller(uint64_t arg)
{
	unsigned char out;
	return call_byte(call_s, (unsigned char)arg, &out, g_now() + T_LONG);
}

GTEST(port_peer_death_server)
{
	GCHECK_OK(sys_port_create(0, &pr, &call_s));
	struct gthread c1, c2, srv;
	GCHECK_OK(gthread_start(&c1, caller, 1));
	GCHECK_OK(gthread_start(&c2, caller, 2));
	sys_sleep_until(g_now() + 10 * MS); /* both calls queued */
	GCHECK_OK(gthread_start(&srv, dying_server, 0));
	int64_t st;
	GCHECK_OK(gthread_join(&srv, g_now() + T_LONG, &st));
	GCHECK_EQ(st, 0);
	GCHECK_OK(gthread_join(&c1, g_now() + T_LONG, &st));
	GCHECK_ERR(st, ERR_PEER_CLOSED);
	GCHECK_OK(gthread_join(&c2, g_now() + T_LONG, &st));
	GCHECK_ERR(st, ERR_PEER_CLOSED);
	GCHECK_ERR(send_bytes(call_s, "x", 1, DEADLINE_POLL), ERR_PEER_CLOSED);
	GCHECK_OK(sys_handle_close(call_s));
}

static int64_t caller_short(uint64_t arg)
{
	unsigned char out;
	return call_byte(call_s, (unsigned char)arg, &out, g_now() + 30 * MS);
}

GTEST(port_peer_death_client)
{
	/* A caller that gives up while its call is queued takes it back
	 * (t_port_withdraw.c); one that gives up (deadline) while the server
	 * holds its reply: answering is a harmless error, handles attached
	 * stay ours. */
	handle_t r, v;
	GCHECK_OK(sys_port_create(0, &r, &call_s));
	GCHECK_OK(sys_vmo_create(PAGE, &v));
	unsigned char out;
	GCHECK_ERR(call_byte(call_s, 1, &out, g_now() + 10 * MS),
		   ERR_TIMED_OUT);
	char b;
	struct port_rx rx;
	GCHECK_ERR(recv_bytes(r, &b, 1, &rx, DEADLINE_POLL), ERR_SHOULD_WAIT);
	struct gthread c0;
	int64_t st0;
	GCHECK_OK(gthread_start(&c0, caller_short, 1));
	GCHECK_OK(recv_bytes(r, &b, 1, &rx, g_now() + T_LONG));
	GCHECK(rx.reply != HANDLE_INVALID);
	GCHECK_OK(gthread_join(&c0, g_now() + T_LONG, &st0));
	GCHECK_ERR(st0, ERR_TIMED_OUT);
	struct port_msg m = {
		.data = "a", .len = 1, .nhandles = 1, .handles = &v};
	GCHECK_ERR(sys_port_reply(rx.reply, &m), ERR_PEER_CLOSED);
	GCHECK_ERR(sys_handle_close(rx.reply), ERR_BAD_HANDLE); /* one-shot */
	GCHECK_OK(sys_handle_info(v, &(struct handle_info){0}));
	/* A caller killed (its thread gone) mid-call: same. */
	struct gthread c;
	GCHECK_OK(gthread_start(&c, caller, 3));
	GCHECK_OK(recv_bytes(r, &b, 1, &rx, g_now() + T_LONG));
	GCHECK_OK(sys_handle_close(rx.reply)); /* never answered */
	int64_t st;
	GCHECK_OK(gthread_join(&c, g_now() + T_LONG, &st));
	GCHECK_ERR(st, ERR_PEER_CLOSED);
	GCHECK_OK(sys_handle_close(v));
	GCHECK_OK(sys_handle_close(r));
	GCHECK_OK(sys_handle_close(call_s));
}

/* Donation: a server at low base priority that spins WORK per request,
 * FLOODERS low-priority callers keeping its queue full, and a
 * medium-priority thread hogging the CPU. Without donation the server
 * would never run past the hog; with it, the high-priority main thread's
 * calls finish within a few requests' work. */
#define WORK	 (500 * 1000ull) /* ns per request */
#define FLOODERS 3
#define HICALLS	 20

static volatile int stop;

static void spin_for(uint64_t ns)
{
	uint64_t end = (uint64_t)sys_clock_now() + ns;
	while ((uint64_t)sys_clock_now() < end)
		;
}

/* Answers with reply_recv: the donation of the call it answers ends
 * exactly there, and the urgent call waiting (lent to this thread while
 * it served the lesser one) is taken in the same system call, so the
 * server never runs on its own low priority in between (docs/ipc.md). */
static int64_t spin_server(uint64_t arg)
{
	(void)arg;
	unsigned char b;
	struct port_rx rx;
	int64_t n = 0;
	long r = recv_bytes(pr, &b, 1, &rx, DEADLINE_NONE);
	for (;;) {
		if (r < 0)
			return r;
		if (rx.len == 0)
			return n;
		spin_for(WORK);
		struct port_msg m = {.data = &b, .len = 1};
		handle_t reply = rx.reply;
		memset(&rx, 0, sizeof(rx));
		rx.buf = &b;
		rx.cap = 1;
		r = sys_port_reply_recv(reply, &m, pr, &rx, DEADLINE_NONE);
		n++;
	}
}

static int64_t flooder(uint64_t arg)
{
	while (!stop) {
		unsigned char out;
		long r = call_byte(call_s, (unsigned char)arg, &out,
				   (uint64_t)sys_clock_now() + 4 * T_LONG);
		if (r < 0)
			return r;
	}
	return 0;
}

static int64_t hog(uint64_t arg)
{
	(void)arg;
	while (!stop)
		;
	return 0;
}

GTEST(port_donation_bounded_latency)
{
	handle_t me = execrt_handle(START_H_SELF_THREAD);
	GCHECK_OK(sys_port_create(0, &pr, &call_s));
	stop = 0;
	struct gthread srv, fl[FLOODERS], h;
	GCHECK_OK(gthread_start(&srv, spin_server, 0));
	GCHECK_OK(g_set_rt(srv.h, 2, 1, 0));
	GCHECK_OK(g_set_rt(me, 20, 0, 0));
	for (unsigned i = 0; i < FLOODERS; i++) {
		GCHECK_OK(gthread_start(&fl[i], flooder, i));
		GCHECK_OK(g_set_rt(fl[i].h, 4, 1, 0));
	}
	sys_sleep_until(g_now() + 20 * MS); /* the flood is on */
	GCHECK_OK(gthread_start(&h, hog, 0));
	GCHECK_OK(g_set_rt(h.h, 10, 1, 0));
	uint64_t worst = 0, sum = 0;
	long err = 0;
	for (unsigned i = 0; i < HICALLS && !err; i++) {
		sys_sleep_until(g_now() + 3 * MS);
		unsigned char out;
		uint64_t t0 = g_now();
		err = call_byte(call_s, 200, &out, t0 + T_LONG);
		uint64_t dt = g_now() - t0;
		worst = dt > worst ? dt : worst;
		sum += dt;
	}
	stop = 1;
	int64_t st;
	long jerr = gthread_join(&h, g_now() + T_LONG, &st);
	for (unsigned i = 0; i < FLOODERS; i++)
		if (gthread_join(&fl[i], g_now() + T_LONG, &st) || st)
			jerr = jerr ? jerr : -1;
	long serr = send_bytes(call_s, "", 0, g_now() + T_LONG);
	if (!serr)
		serr = gthread_join(&srv, g_now() + T_LONG, &st);
	g_set_be(me, 0);
	printf("    high-priority call latency: avg %llu us, worst %llu us "
	       "(work %llu us per request, %d flooders, hog at 10)\n",
	       (unsigned long long)(sum / HICALLS / 1000),
	       (unsigned long long)(worst / 1000),
	       (unsigned long long)(WORK / 1000), FLOODERS);
	GCHECK_OK(err);
	GCHECK_OK(jerr);
	GCHECK_OK(serr);
	GCHECK(st > HICALLS);
	/* At most the request in progress plus its own, with slack. */
	GCHECK(worst < 10 * WORK + 5 * MS);
	GCHECK_OK(sys_handle_close(call_s));
	GCHECK_OK(sys_handle_close(pr));
}
