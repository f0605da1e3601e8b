/* The console's line discipline (servers/console/ldisc.c) and transmit
 * queue (txq.c). The echo goes through a txq (as in the server) into a
 * small terminal emulator (\r, \n, \b, ESC [ n C/D/K), so the tests check
 * what a person would see, not just the bytes. */
#include <stdint.h>
#include <string.h>

#include "harness.h"
#include "ldisc.h"
#include "txq.h"

#define ROWS 48
#define COLS 1400

struct term {
	char rows[ROWS][COLS];
	int row, col;
	int esc; /* 0 none, 1 ESC, 2 CSI */
	int num;
};

static struct term tm;
static struct txq q;
static struct ldisc ld;

static void term_byte(struct term *t, char c)
{
	if (t->esc == 1) {
		t->esc = c == '[' ? 2 : 0;
		t->num = 0;
		return;
	}
	if (t->esc == 2) {
		if (c >= '0' && c <= '9') {
			t->num = t->num * 10 + (c - '0');
			return;
		}
		int n = t->num ? t->num : 1;
		if (c == 'D')
			t->col = t->col > n ? t->col - n : 0;
		else if (c == 'C')
			t->col = t->col + n < COLS - 1 ? t->col + n : COLS - 1;
		else if (c == 'K')
			memset(t->rows[t->row] + t->col, 0,
			       (size_t)(COLS - t->col));
		t->esc = 0;
		return;
	}
	switch (c) {
	case 0x1b:
		t->esc = 1;
		return;
	case '\r':
		t->col = 0;
		return;
	case '\n':
		if (t->row == ROWS - 1) {
			memmove(t->rows[0], t->rows[1], (ROWS - 1) * COLS);
			memset(t->rows[ROWS - 1], 0, COLS);
		} else {
			t->row++;
		}
		return;
	case '\b':
		if (t->col)
			t->col--;
		return;
	}
	if (c >= 0x20 && c < 0x7f && t->col < COLS - 1)
		t->rows[t->row][t->col++] = c;
}

/* Everything queued goes to the terminal. */
static void flush(void)
{
	const char *p;
	size_t n;
	while ((n = txq_peek(&q, &p))) {
		for (size_t i = 0; i < n; i++)
			term_byte(&tm, p[i]);
		txq_consume(&q, n);
	}
}

/* Row r as text, trailing blanks removed. */
static const char *row(int r)
{
	static char s[COLS + 1];
	int n = 0;
	for (int i = 0; i < COLS; i++)
		s[i] = tm.rows[r][i] ? tm.rows[r][i] : ' ';
	for (int i = 0; i < COLS; i++)
		if (s[i] != ' ')
			n = i + 1;
	s[n] = 0;
	return s;
}

static void sink(void *ctx, const char *s, size_t n)
{
	(void)ctx;
	if (!txq_put(&q, s, n, 0)) {
		flush();
		txq_put(&q, s, n, 0);
	}
	flush();
}

static void setup(void)
{
	memset(&tm, 0, sizeof(tm));
	txq_init(&q);
	ld_init(&ld, sink, NULL);
}

/* Feeds s; the last event other than LD_NONE (or LD_NONE). */
static enum ld_event feed(const char *s)
{
	enum ld_event last = LD_NONE;
	for (; *s; s++) {
		enum ld_event e = ld_input(&ld, (uint8_t)*s, NULL);
		if (e != LD_NONE)
			last = e;
	}
	return last;
}

TEST(console_ldisc_echo_and_enter)
{
	setup();
	CHECK_EQ(ld_begin(&ld, "exec-rt> "), LD_NONE);
	STR_EQ(row(0), "exec-rt>");
	CHECK_EQ(feed("ps -a"), LD_NONE);
	STR_EQ(row(0), "exec-rt> ps -a");
	CHECK_EQ(tm.col, 14);
	CHECK_EQ(feed("\r"), LD_LINE);
	STR_EQ(ld_line(&ld), "ps -a");
	CHECK(!ld.active);
	CHECK_EQ(tm.row, 1);
	CHECK_EQ(tm.col, 0);
	CHECK_EQ(ld.lines, 1);
}

TEST(console_ldisc_backspace_erases_visibly)
{
	setup();
	ld_begin(&ld, "> ");
	feed("abcd\x7f\x08");
	STR_EQ(row(0), "> ab");
	CHECK_EQ(tm.col, 4);
	feed("\x08\x08\x08\x7f"); /* more than there is: stops at the prompt */
	STR_EQ(row(0), ">");
	CHECK_EQ(tm.col, 2);
	feed("xy\r");
	STR_EQ(ld_line(&ld), "xy");
	/* In the middle of the line: the tail moves left. */
	ld_begin(&ld, "> ");
	feed("abcd\x1b[D\x1b[D\x7f");
	STR_EQ(row(tm.row), "> acd");
	CHECK_EQ(tm.col, 3);
	CHECK_EQ(feed("\n"), LD_LINE);
	STR_EQ(ld_line(&ld), "acd");
}

TEST(console_ldisc_ctrl_u_and_cursor_keys)
{
	setup();
	ld_begin(&ld, "> ");
	feed("hello world\x15");
	STR_EQ(row(0), ">");
	CHECK_EQ(tm.col, 2);
	feed("ac\x1b[Db"); /* insert in the middle */
	STR_EQ(row(0), "> abc");
	CHECK_EQ(tm.col, 4);
	feed("\x1b[H>\x1b[F<"); /* home, end */
	STR_EQ(row(0), "> >abc<");
	feed("\x01\x1b[3~"); /* Ctrl-A, delete */
	STR_EQ(row(0), "> abc<");
	CHECK_EQ(tm.col, 2);
	feed("\x05\x1b[C\x1b[C!"); /* Ctrl-E; right at the end does nothing */
	STR_EQ(row(0), "> abc<!");
	CHECK_EQ(feed("\r"), LD_LINE);
	STR_EQ(ld_line(&ld), "abc<!");
}

TEST(console_ldisc_history_walks_and_redraws)
{
	setup();
	const char *lines[] = {"one", "two", "three"};
	for (int i = 0; i < 3; i++) {
		ld_begin(&ld, "$ ");
		feed(lines[i]);
		CHECK_EQ(feed("\r"), LD_LINE);
	}
	ld_begin(&ld, "$ ");
	feed("ne"); /* a new line in progress, kept while walking */
	int r = tm.row;
	feed("\x1b[A");
	STR_EQ(row(r), "$ three");
	feed("\x1b[A");
	STR_EQ(row(r), "$ two");
	feed("\x1bOA"); /* the SS3 form */
	STR_EQ(row(r), "$ one");
	feed("\x1b[A"); /* nothing older */
	STR_EQ(row(r), "$ one");
	CHECK_EQ(tm.col, 5);
	feed("\x1b[B\x1bOB");
	STR_EQ(row(r), "$ three");
	feed("\x1b[B");
	STR_EQ(row(r), "$ ne");
	feed("\x1b[B");
	STR_EQ(row(r), "$ ne");
	feed("\x1b[A\x1b[A!");
	CHECK_EQ(feed("\r"), LD_LINE);
	STR_EQ(ld_line(&ld), "two!");
	/* The same line twice is kept once. */
	ld_begin(&ld, "$ ");
	feed("two!\r");
	ld_begin(&ld, "$ ");
	feed("\x1b[A\x1b[A");
	STR_EQ(ld.line, "three");
	ld_cancel(&ld);
}

TEST(console_ldisc_history_keeps_last_32)
{
	setup();
	char s[16];
	for (int i = 0; i < 40; i++) {
		ld_begin(&ld, "");
		snprintf(s, sizeof(s), "cmd%d\r", i);
		CHECK_EQ(feed(s), LD_LINE);
	}
	ld_begin(&ld, "");
	for (int i = 0; i < 50; i++)
		feed("\x1b[A");
	CHECK_EQ(ld.hcount, LD_HIST);
	CHECK_EQ(feed("\r"), LD_LINE);
	STR_EQ(ld_line(&ld), "cmd8"); /* 40 - 32 */
}

TEST(console_ldisc_ctrl_c_interrupts)
{
	setup();
	ld_begin(&ld, "> ");
	feed("sleep 10");
	CHECK_EQ(feed("\x03"), LD_INTERRUPT);
	STR_EQ(row(0), "> sleep 10^C");
	CHECK(!ld.active);
	CHECK_EQ(ld.lines, 0);
	/* Not reading: Ctrl-C and keys are events. */
	uint8_t k = 0;
	CHECK_EQ(ld_input(&ld, 0x03, &k), LD_INTERRUPT);
	CHECK_EQ(ld_input(&ld, 'q', &k), LD_KEY);
	CHECK_EQ(k, 'q');
	ld_begin(&ld, "> ");
	CHECK_EQ(ld.len, 0);
	/* Ctrl-C inside an escape sequence still interrupts. */
	CHECK_EQ(feed("\x1b[1\x03"), LD_INTERRUPT);
}

TEST(console_ldisc_crlf_counts_once)
{
	setup();
	ld_begin(&ld, "");
	CHECK_EQ(feed("a\r"), LD_LINE);
	/* The LF of the pair comes while nothing is read: swallowed. */
	uint8_t k = 0;
	CHECK_EQ(ld_input(&ld, '\n', &k), LD_NONE);
	ld_begin(&ld, "");
	CHECK_EQ(feed("b\r"), LD_LINE);
	ld_begin(&ld, "");
	CHECK_EQ(feed("\nc\n"), LD_LINE); /* the pair's LF, then c LF */
	STR_EQ(ld_line(&ld), "c");
	ld_begin(&ld, "");
	CHECK_EQ(feed("\n"), LD_LINE); /* a lone LF is an empty line */
	STR_EQ(ld_line(&ld), "");
	ld_begin(&ld, "");
	CHECK_EQ(feed("\r"), LD_LINE); /* CR CR: two lines */
	ld_begin(&ld, "");
	CHECK_EQ(feed("\r"), LD_LINE);
	CHECK_EQ(ld.lines, 6);
}

TEST(console_ldisc_too_long)
{
	setup();
	static char s[LD_LINE_MAX + 3];
	memset(s, 'x', LD_LINE_MAX);
	s[LD_LINE_MAX] = '\r';
	ld_begin(&ld, "");
	CHECK_EQ(feed(s), LD_LINE); /* exactly the maximum is fine */
	CHECK_EQ(strlen(ld_line(&ld)), LD_LINE_MAX);
	s[LD_LINE_MAX] = 'y';
	s[LD_LINE_MAX + 1] = '\r';
	ld_begin(&ld, "");
	CHECK_EQ(feed(s), LD_TOO_LONG);
	/* Long past the limit, then a backspace: still too long. */
	s[LD_LINE_MAX + 1] = 0;
	ld_begin(&ld, "");
	for (int i = 0; i < 10; i++)
		CHECK_EQ(feed(s), LD_NONE);
	CHECK_EQ(ld.len, LD_LINE_MAX);
	CHECK_EQ(feed("\x7f\r"), LD_TOO_LONG);
	/* The next line is whole again; Ctrl-U also forgets the overflow. */
	ld_begin(&ld, "");
	CHECK_EQ(feed("ok\r"), LD_LINE);
	STR_EQ(ld_line(&ld), "ok");
	ld_begin(&ld, "");
	feed(s);
	CHECK(ld.too_long);
	CHECK_EQ(feed("\x15"
		      "fine\r"),
		 LD_LINE);
	STR_EQ(ld_line(&ld), "fine");
}

TEST(console_ldisc_output_during_readline)
{
	setup();
	ld_begin(&ld, "exec-rt> ");
	feed("hel");
	ld_output(&ld, "[ 1.0] [test] tick\n", 19);
	ld_output(&ld, "[ 1.1] [test] tock\n", 19);
	ld_settle(&ld);
	STR_EQ(row(0), "[ 1.0] [test] tick");
	STR_EQ(row(1), "[ 1.1] [test] tock");
	STR_EQ(row(2), "exec-rt> hel");
	CHECK_EQ(tm.row, 2);
	CHECK_EQ(tm.col, 12);
	/* Output without a newline still gets a line of its own; the cursor
	 * comes back inside the line. */
	feed("\x1b[D");
	ld_output(&ld, "partial", 7);
	feed("p"); /* a key settles first */
	STR_EQ(row(2), "partial");
	STR_EQ(row(3), "exec-rt> hepl");
	CHECK_EQ(tm.col, 12);
	CHECK_EQ(feed("\r"), LD_LINE);
	STR_EQ(ld_line(&ld), "hepl");
	/* Not reading: output passes through; a prompt after a partial line
	 * starts on a new one. */
	ld_output(&ld, "abc", 3);
	ld_begin(&ld, "> ");
	STR_EQ(row(tm.row - 1), "abc");
	STR_EQ(row(tm.row), ">");
}

TEST(console_ldisc_type_ahead)
{
	setup();
	const char *typed = "ls\rps\r";
	for (const char *p = typed; *p; p++) {
		uint8_t k = 0;
		CHECK_EQ(ld_input(&ld, (uint8_t)*p, &k), LD_KEY);
		CHECK(ld_keep(&ld, k));
	}
	CHECK_EQ(ld_input(&ld, '\n', NULL), LD_NONE); /* pair of the last CR */
	CHECK_EQ(ld_begin(&ld, "> "), LD_LINE);
	STR_EQ(ld_line(&ld), "ls");
	CHECK_EQ(ld_begin(&ld, "> "), LD_LINE);
	STR_EQ(ld_line(&ld), "ps");
	CHECK_EQ(ld_begin(&ld, "> "), LD_NONE);
	CHECK_EQ(feed("x\r"), LD_LINE);
	/* Bounded; Ctrl-C forgets it. */
	int kept = 0;
	for (int i = 0; i < LD_AHEAD_MAX + 100; i++)
		kept += ld_keep(&ld, 'a');
	CHECK_EQ(kept, LD_AHEAD_MAX);
	ld_drop_ahead(&ld);
	CHECK_EQ(ld_begin(&ld, "> "), LD_NONE);
	CHECK_EQ(ld.len, 0);
}

TEST(console_ldisc_prompt_is_sanitised)
{
	setup();
	static char p[400];
	memset(p, 'p', sizeof(p) - 1);
	p[3] = '\x1b';
	p[4] = '\n';
	ld_begin(&ld, p);
	CHECK_EQ(strlen(ld.prompt), LD_PROMPT_MAX);
	CHECK(!strchr(ld.prompt, '\x1b'));
	CHECK_EQ(tm.row, 0);
}

/* Random bytes, with escape-sequence pieces and controls favoured: no
 * crash (ASan/UBSan), the state stays in range and what is on the screen
 * is always the prompt and the line. */
TEST(console_ldisc_garbage)
{
	static const char pieces[] =
		"\x1b[O~ABCDHF0123;\x03\r\n\x08\x7f\x15\x01\x05"
		"ab";
	uint64_t x = 0x9e3779b97f4a7c15ull;
	setup();
	ld_begin(&ld, "# ");
	int events = 0;
	for (int i = 0; i < 300000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		uint8_t c = (x & 0x300) ? (uint8_t)pieces[(x >> 16) %
							  (sizeof(pieces) - 1)]
					: (uint8_t)(x >> 24);
		if (!ld.active && !(x & 0xf000))
			ld_output(&ld, "log\n", 4);
		enum ld_event e = ld_input(&ld, c, NULL);
		CHECK(ld.len <= LD_LINE_MAX);
		CHECK(ld.cur <= ld.len);
		CHECK(ld.hcount <= LD_HIST);
		CHECK(ld.hpos >= -1 && ld.hpos < (int)ld.hcount);
		if (e != LD_NONE) {
			events++;
			if (e == LD_LINE)
				CHECK_EQ(strlen(ld_line(&ld)), ld.len);
			ld_begin(&ld, "# ");
		}
		if (ld.active && ld.esc == 0 && !(i % 97)) {
			/* The screen line is the prompt and the text. */
			static char want[LD_LINE_MAX + 8];
			snprintf(want, sizeof(want), "# %.*s", (int)ld.len,
				 ld.line);
			size_t w = strlen(want);
			while (w && want[w - 1] == ' ')
				want[--w] = 0;
			STR_EQ(row(tm.row), want);
			CHECK_EQ(tm.col, 2 + (int)ld.cur);
		}
	}
	CHECK(events > 100);
}

TEST(console_txq_expands_and_drops_whole)
{
	static struct txq t;
	txq_init(&t);
	CHECK(txq_put(&t, "a\nb", 3, 0));
	const char *p;
	size_t n = txq_peek(&t, &p);
	CHECK_EQ(n, 4);
	CHECK(!memcmp(p, "a\r\nb", 4));
	txq_consume(&t, 4);
	CHECK_EQ(txq_used(&t), 0);
	/* Fill to the reserve: a piece that would eat into it is dropped
	 * whole, but the echo (reserve 0) still fits. */
	static char big[4096];
	memset(big, 'z', sizeof(big));
	int put = 0;
	while (txq_put(&t, big, sizeof(big), TXQ_RESERVE))
		put++;
	CHECK_EQ(put, (TXQ_SIZE - TXQ_RESERVE) / 4096);
	CHECK_EQ(t.dropped_msgs, 1);
	CHECK_EQ(t.dropped_bytes, 4096);
	CHECK(txq_put(&t, "echo", 4, 0));
	/* Bigger than the ring: dropped, nothing queued. */
	size_t used = txq_used(&t);
	CHECK(!txq_put(&t, big, sizeof(big), 0) || used + 4096 <= TXQ_SIZE);
	/* Wrap-around keeps the order. */
	txq_init(&t);
	char c = 0;
	size_t out_n = 0;
	for (int round = 0; round < 50; round++) {
		static char chunk[3000];
		for (size_t i = 0; i < sizeof(chunk); i++)
			chunk[i] = (char)('a' + (round * 3000 + i) % 26);
		CHECK(txq_put(&t, chunk, sizeof(chunk), 0));
		while (txq_used(&t) > 1000) {
			n = txq_peek(&t, &p);
			if (n > 777)
				n = 777;
			for (size_t i = 0; i < n; i++) {
				c = (char)('a' + out_n % 26);
				CHECK_EQ(p[i], c);
				out_n++;
			}
			txq_consume(&t, n);
		}
	}
	CHECK(out_n > 100000);
}
