/* The console's mirror buffer for the screen terminal
 * (servers/console/mirror.c): CR LF like the UART, bounded with drops
 * counted, pieces sent in order, a full port keeps the rest, a gone port
 * empties it. */
#include "harness.h"
#include "mirror.h"

static struct con_mirror m;
static char got[2 * MIRROR_BUF];
static size_t ngot;
static int calls, wait_after, gone_after;

static long fake_send(void *ctx, const char *p, size_t n)
{
	(void)ctx;
	calls++;
	if (gone_after >= 0 && calls > gone_after)
		return -4; /* e.g. ERR_PEER_CLOSED */
	if (wait_after >= 0 && calls > wait_after)
		return MIRROR_WAIT;
	memcpy(got + ngot, p, n);
	ngot += n;
	return 0;
}

static void reset(void)
{
	memset(&m, 0, sizeof(m));
	ngot = 0;
	calls = 0;
	wait_after = gone_after = -1;
}

TEST(console_mirror_crlf_and_pieces)
{
	reset();
	mirror_put(&m, "ab\ncd\n", 6);
	CHECK_EQ(m.len, 8);
	CHECK_EQ(mirror_flush(&m, 3, fake_send, NULL), 0);
	CHECK_EQ(calls, 3); /* 3 + 3 + 2 */
	CHECK_EQ(ngot, 8);
	CHECK(!memcmp(got, "ab\r\ncd\r\n", 8));
	CHECK_EQ(m.len, 0);
	CHECK_EQ(m.sent, 8);
}

TEST(console_mirror_full_port_keeps_the_rest)
{
	reset();
	wait_after = 1;
	mirror_put(&m, "0123456789", 10);
	CHECK_EQ(mirror_flush(&m, 4, fake_send, NULL), 0);
	CHECK_EQ(ngot, 4);
	CHECK_EQ(m.len, 6);
	CHECK(!memcmp(m.buf, "456789", 6));
	wait_after = -1;
	CHECK_EQ(mirror_flush(&m, 4, fake_send, NULL), 0);
	CHECK_EQ(ngot, 10);
	CHECK(!memcmp(got, "0123456789", 10));
	CHECK_EQ(m.len, 0);
}

TEST(console_mirror_gone_port_and_bound)
{
	reset();
	gone_after = 0;
	mirror_put(&m, "xyz", 3);
	CHECK_EQ(mirror_flush(&m, 100, fake_send, NULL), -4);
	CHECK_EQ(m.len, 0);
	CHECK_EQ(m.sent, 0);
	/* Over the bound: what fits is kept, the rest counted; a '\n' that
	 * would not fit with its CR is dropped whole. */
	reset();
	static char big[MIRROR_BUF + 100];
	memset(big, 'q', sizeof(big));
	mirror_put(&m, big, MIRROR_BUF - 1);
	mirror_put(&m, "\n!", 2);
	CHECK_EQ(m.len, MIRROR_BUF - 1);
	CHECK_EQ(m.dropped, 2);
	mirror_put(&m, "!", 1);
	CHECK_EQ(m.len, MIRROR_BUF);
	mirror_put(&m, big, sizeof(big));
	CHECK_EQ(m.dropped, 2 + sizeof(big));
}
