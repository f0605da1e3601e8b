/* init's log rings and console lines (servers/init/logring.c): overflow
 * drops the oldest bytes and counts them, lines split across writes,
 * long lines cut, control characters masked, the rate limit. */
#include <string.h>

#include "harness.h"
#include "logring.h"

static char out[8192];
static size_t outlen;
static int nemit;

static void capture(void *ctx, const char *text, size_t len)
{
	(void)ctx;
	if (outlen + len < sizeof(out)) {
		memcpy(out + outlen, text, len);
		outlen += len;
		out[outlen] = 0;
	}
	nemit++;
}

static void reset_out(void)
{
	outlen = 0;
	out[0] = 0;
	nemit = 0;
}

TEST(log_ring_overflow_drops_oldest)
{
	char buf[16], t[32];
	struct log_ring r;
	log_init(&r, buf, sizeof(buf));
	CHECK_EQ(log_tail(&r, t, sizeof(t)), 0);
	log_write(&r, "0123456789", 10);
	CHECK_EQ(r.dropped, 0);
	CHECK_EQ(log_tail(&r, t, sizeof(t)), 10);
	CHECK(!memcmp(t, "0123456789", 10));
	log_write(&r, "abcdefghij", 10); /* 4 oldest go */
	CHECK_EQ(r.dropped, 4);
	CHECK_EQ(log_tail(&r, t, sizeof(t)), 16);
	CHECK(!memcmp(t, "456789abcdefghij", 16));
	CHECK_EQ(log_tail(&r, t, 3), 3);
	CHECK(!memcmp(t, "hij", 3));
	/* A write bigger than the ring keeps its tail. */
	log_write(&r, "ABCDEFGHIJKLMNOPQRSTUVWXYZ", 26);
	CHECK_EQ(r.dropped, 4 + 26);
	CHECK_EQ(log_tail(&r, t, sizeof(t)), 16);
	CHECK(!memcmp(t, "KLMNOPQRSTUVWXYZ", 16));
	CHECK_EQ(r.head, 46);
	/* Many small writes wrapping around. */
	for (int i = 0; i < 1000; i++)
		log_write(&r, "xyz", 3);
	CHECK_EQ(r.dropped, 46 + 3000 - 16);
	CHECK_EQ(log_tail(&r, t, 6), 6);
	CHECK(!memcmp(t, "xyzxyz", 6));
}

TEST(log_lines_prefix_and_split)
{
	char buf[256];
	struct log_ring r;
	log_init(&r, buf, sizeof(buf));
	reset_out();
	uint64_t t = 12345678000ull; /* 12.345678 s */
	log_lines(&r, "hello ", 6, t, "test", capture, NULL);
	CHECK_EQ(nemit, 0);
	log_lines(&r, "world\r\nsecond\x1b[1m\n", 18, t, "test", capture, NULL);
	CHECK_EQ(nemit, 2);
	CHECK(!strcmp(out, "[  12.345678] [test] hello world\n"
			   "[  12.345678] [test] second?[1m\n"));
	char p[64];
	CHECK_EQ(log_prefix(p, sizeof(p), 123456789012345678ull, "x"), 23);
	CHECK(!strcmp(p, "[123456789.012345] [x] "));
	/* A line longer than LOG_LINE_MAX comes out in pieces. */
	reset_out();
	char longl[LOG_LINE_MAX * 2 + 11];
	memset(longl, 'a', sizeof(longl) - 1);
	longl[sizeof(longl) - 1] = '\n';
	log_lines(&r, longl, sizeof(longl), t, "x", capture, NULL);
	CHECK_EQ(nemit, 3);
	CHECK_EQ(outlen,
		 3 * strlen("[  12.345678] [x] \n") + sizeof(longl) - 1);
}

TEST(log_rate_limit_counts_suppressed)
{
	char buf[1024];
	struct log_ring r;
	log_init(&r, buf, sizeof(buf));
	reset_out();
	uint64_t t = 5000000000ull;
	for (int i = 0; i < 1000; i++)
		log_lines(&r, "flood\n", 6, t, "f", capture, NULL);
	CHECK_EQ(r.lines, 1000);
	CHECK_EQ(nemit, LOG_BURST);
	CHECK_EQ(r.suppressed, 1000 - LOG_BURST);
	/* A second later: LOG_RATE more, the first one after a note. */
	reset_out();
	t += 1000000000ull;
	for (int i = 0; i < 1000; i++)
		log_lines(&r, "flood\n", 6, t, "f", capture, NULL);
	CHECK_EQ(nemit, LOG_RATE + 1);
	CHECK(!strncmp(out,
		       "[   6.000000] [f] (900 lines not shown: rate "
		       "limit; the log has them)\n",
		       70));
	CHECK_EQ(r.suppressed, 2000 - LOG_BURST - LOG_RATE);
	/* A steady trickle under the rate is never cut. */
	log_init(&r, buf, sizeof(buf));
	reset_out();
	for (int i = 0; i < 500; i++) {
		t += 1000000000ull / LOG_RATE;
		log_lines(&r, "tick\n", 5, t, "f", capture, NULL);
	}
	CHECK_EQ(nemit, 500);
	CHECK_EQ(r.suppressed, 0);
}
