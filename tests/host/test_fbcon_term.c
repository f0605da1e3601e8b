/* The screen console's terminal core (servers/fbcon/term.c): text,
 * wrapping, scrolling, control bytes, the escapes the shell and the line
 * discipline emit, damage tracking, and random bytes never breaking it. */
#include <stdlib.h>

#include "harness.h"
#include "keys.h"
#include "term.h"

static struct term t;

static void put(const char *s)
{
	term_write(&t, s, strlen(s));
}

/* Row r's text (trailing blanks dropped) into a static buffer. */
static const char *row(int r)
{
	static char b[TERM_COLS_MAX + 1];
	int n = 0;
	for (int c = 0; c < t.cols; c++)
		b[n++] = t.cell[r][c].ch < 0x80 ? (char)t.cell[r][c].ch : '#';
	while (n > 0 && b[n - 1] == ' ')
		n--;
	b[n] = 0;
	return b;
}

static bool dirty_cell(int r, int c)
{
	return c >= t.lo[r] && c < t.hi[r];
}

TEST(fbcon_term_text_cr_lf_bs_tab)
{
	term_init(&t, 20, 4);
	put("hello\r\nab\bX\tY");
	STR_EQ(row(0), "hello");
	STR_EQ(row(1), "aX      Y");
	CHECK_EQ(t.cy, 1);
	CHECK_EQ(t.cx, 9);
	put("\rZ");
	STR_EQ(row(1), "ZX      Y");
	/* LF alone keeps the column (the console sends CR LF). */
	put("\nq"); /* below the Z */
	STR_EQ(row(2), " q");
	/* Tab stops every 8, never past the last column. */
	put("\r\t\t\t\tE");
	CHECK_EQ(t.cell[2][19].ch, 'E');
}

TEST(fbcon_term_wraps_and_scrolls)
{
	term_init(&t, 5, 3);
	put("abcde");
	/* The last column is filled but the cursor waits there. */
	CHECK_EQ(t.cy, 0);
	CHECK_EQ(t.cx, 4);
	CHECK(t.wrap_pending);
	put("f");
	STR_EQ(row(0), "abcde");
	STR_EQ(row(1), "f");
	put("\r\n2");
	STR_EQ(row(2), "2");
	CHECK_EQ(t.scrolls, 0);
	put("\r\n3");
	CHECK_EQ(t.scrolls, 1);
	STR_EQ(row(0), "f");
	STR_EQ(row(1), "2");
	STR_EQ(row(2), "3");
	CHECK_EQ(t.cy, 2);
	/* A CR LF right after a full line does not leave an empty row. */
	term_init(&t, 5, 3);
	put("abcde\r\nx");
	STR_EQ(row(0), "abcde");
	STR_EQ(row(1), "x");
}

TEST(fbcon_term_sgr_colours_and_reset)
{
	term_init(&t, 20, 2);
	put("\x1b[31mR\x1b[1;44mB\x1b[0mN\x1b[92;101mX\x1b[mD\x1b[7mV\x1b[27m");
	CHECK_EQ(t.cell[0][0].fg, 1);
	CHECK_EQ(t.cell[0][0].bg, TERM_BG_DEFAULT);
	CHECK_EQ(t.cell[0][1].fg, 1);
	CHECK_EQ(t.cell[0][1].bg, 4);
	CHECK_EQ(t.cell[0][1].attr, TERM_A_BOLD);
	CHECK_EQ(t.cell[0][2].fg, TERM_FG_DEFAULT);
	CHECK_EQ(t.cell[0][2].attr, 0);
	CHECK_EQ(t.cell[0][3].fg, 10);
	CHECK_EQ(t.cell[0][3].bg, 9);
	CHECK_EQ(t.cell[0][4].fg, TERM_FG_DEFAULT);
	CHECK_EQ(t.cell[0][4].bg, TERM_BG_DEFAULT);
	CHECK_EQ(t.cell[0][5].attr, TERM_A_REVERSE);
	CHECK_EQ(t.attr, 0);
	/* 256-colour forms are consumed whole: the 5 is not "blink". */
	put("\x1b[38;5;3;48;2;1;2;3;4mU");
	CHECK_EQ(t.cell[0][6].fg, 3);
	CHECK_EQ(t.cell[0][6].attr, TERM_A_UNDERLINE);
	put("\x1b[39;49;24m");
	CHECK_EQ(t.fg, TERM_FG_DEFAULT);
	CHECK_EQ(t.attr, 0);
}

TEST(fbcon_term_cursor_movement)
{
	term_init(&t, 10, 5);
	put("\x1b[3;4HA");
	CHECK_EQ(t.cell[2][3].ch, 'A');
	put("\x1b[2DB");
	CHECK_EQ(t.cell[2][2].ch, 'B');
	put("\x1b[AC\x1b[2BD");
	CHECK_EQ(t.cell[1][3].ch, 'C');
	CHECK_EQ(t.cell[3][4].ch, 'D');
	put("\x1b[99;99HE");
	CHECK_EQ(t.cell[4][9].ch, 'E');
	put("\x1b[HF\x1b[5GG\x1b[3dH");
	CHECK_EQ(t.cell[0][0].ch, 'F');
	CHECK_EQ(t.cell[0][4].ch, 'G');
	CHECK_EQ(t.cell[2][5].ch, 'H');
	put("\x1b[999A\x1b[999D");
	CHECK_EQ(t.cx, 0);
	CHECK_EQ(t.cy, 0);
	put("\x1b[2;3H\x1b[s\x1b[H\x1b[u");
	CHECK_EQ(t.cy, 1);
	CHECK_EQ(t.cx, 2);
	put("\x1b[5;5H\x1b"
	    "7\x1b[H\x1b"
	    "8");
	CHECK_EQ(t.cy, 4);
	CHECK_EQ(t.cx, 4);
	put("\x1b[?25l");
	CHECK(!t.cursor_on);
	put("\x1b[?25h");
	CHECK(t.cursor_on);
}

TEST(fbcon_term_erase_line_and_screen)
{
	term_init(&t, 10, 3);
	put("0123456789\r\nabcdefghij\r\nABCDEFGHIJ");
	put("\x1b[2;5H\x1b[K");
	STR_EQ(row(1), "abcd");
	put("\x1b[1;3H\x1b[1K");
	STR_EQ(row(0), "   3456789");
	put("\x1b[3;1H\x1b[2K");
	STR_EQ(row(2), "");
	put("\x1b[1;8H\x1b[J");
	STR_EQ(row(0), "   3456");
	STR_EQ(row(1), "");
	put("\x1b[2J");
	STR_EQ(row(0), "");
	/* The line discipline's redraw: CR, erase line, text. */
	term_init(&t, 20, 2);
	put("$ ls -l\r\x1b[K$ ls");
	STR_EQ(row(0), "$ ls");
	/* Insert / delete characters (line editing in the middle). */
	put("\x1b[3D\x1b[2@xy");
	STR_EQ(row(0), "$xy ls");
	put("\x1b[2D\x1b[2P");
	STR_EQ(row(0), "$ ls");
	put("\x1b[1;1H\x1b[3X");
	STR_EQ(row(0), "   s");
}

TEST(fbcon_term_unknown_sequences_swallowed)
{
	term_init(&t, 20, 2);
	/* OSC title (BEL and ST ends), DCS, charset select, a report
	 * request, a private mode we ignore, an intermediate byte: none
	 * shows, the text around them does. */
	put("a\x1b]0;title\x07"
	    "b\x1b]2;t\x1b\\c\x1bPqdata\x1b\\d\x1b(Be\x1b[6nf\x1b[?1049hg"
	    "\x1b[1 qh\x1bZi");
	STR_EQ(row(0), "abcdefghi");
	CHECK_EQ(t.unknown, 3); /* 6n, "1 q", ESC Z */
	/* A sequence cut by CAN, and a CSI with too many parameters. */
	put("\x1b[12\x18j\x1b[1;2;3;4;5;6;7;8;9;10;11;12;13;14;15;16;17;18mk");
	STR_EQ(row(0), "abcdefghijk");
	CHECK_EQ(t.fg, TERM_FG_DEFAULT);
	/* An unterminated OSC gives up after TERM_STR_MAX bytes (the next
	 * one included): what follows is text again. */
	put("\x1b]");
	for (int i = 0; i < TERM_STR_MAX + 2; i++)
		put("x");
	put("Z");
	CHECK_EQ(t.cell[0][11].ch, 'x');
	CHECK_EQ(t.cell[0][12].ch, 'Z');
	/* Huge numbers are clamped. */
	put("\x1b[99999999999999999999999C!");
	CHECK_EQ(t.cell[0][19].ch, '!');
}

TEST(fbcon_term_utf8)
{
	term_init(&t, 10, 2);
	put("\xc3\xa9\xe2\x94\x80\xff\xc3(\xed\xa0\x80");
	CHECK_EQ(t.cell[0][0].ch, 0xe9);
	CHECK_EQ(t.cell[0][1].ch, 0x2500);
	CHECK_EQ(t.cell[0][2].ch, 0xfffd); /* 0xff */
	CHECK_EQ(t.cell[0][3].ch, 0xfffd); /* cut short */
	CHECK_EQ(t.cell[0][4].ch, '(');
	CHECK_EQ(t.cell[0][5].ch, 0xfffd); /* a surrogate */
	CHECK_EQ(t.cx, 6);
}

TEST(fbcon_term_damage_only_what_changed)
{
	term_init(&t, 40, 10);
	term_clean(&t);
	CHECK(!term_dirty(&t));
	put("\x1b[5;11Hhi");
	/* The two cells, plus the cursor's old and new cells. */
	for (int r = 0; r < 10; r++) {
		if (r == 0) {
			CHECK_EQ(t.lo[0], 0);
			CHECK_EQ(t.hi[0], 1);
		} else if (r == 4) {
			CHECK_EQ(t.lo[4], 10);
			CHECK_EQ(t.hi[4], 13);
		} else {
			CHECK(t.lo[r] >= t.hi[r]);
		}
	}
	term_clean(&t);
	/* Scrolling moves every row: all dirty. */
	put("\x1b[10;1H\n");
	CHECK_EQ(t.scrolls, 1);
	for (int r = 0; r < 10; r++) {
		CHECK_EQ(t.lo[r], 0);
		CHECK_EQ(t.hi[r], 40);
	}
	term_clean(&t);
	/* Erase to the end of the line: from the cursor on. */
	put("\x1b[3;20H\x1b[K");
	CHECK(dirty_cell(2, 19) && dirty_cell(2, 39) && !dirty_cell(2, 18));
	CHECK(t.lo[5] >= t.hi[5]);
}

TEST(fbcon_term_resize_keeps_text_near_cursor)
{
	term_init(&t, 20, 10);
	put("top\r\n\r\n\r\n\r\n\r\n\r\n\r\nlast");
	CHECK_EQ(t.cy, 7);
	term_resize(&t, 10, 4);
	CHECK_EQ(t.rows, 4);
	CHECK_EQ(t.cy, 3);
	STR_EQ(row(3), "last");
	CHECK_EQ(t.lo[0], 0);
	CHECK_EQ(t.hi[3], 10);
	term_resize(&t, 30, 6);
	STR_EQ(row(3), "last");
	STR_EQ(row(5), "");
}

/* Random bytes (weighted toward ESC, '[', digits, controls) under
 * ASan+UBSan: nothing leaves the grid, the cursor and damage stay in
 * bounds, and the parser always comes back to plain text. */
TEST(fbcon_term_random_bytes_never_break_it)
{
	static const char pick[] = "\x1b\x1b[[;;0123456789?\r\n\b\t\x07\x18"
				   "mHJKABCDPX@LMSTfdGsu]P\\\x9b\xc3\xe2\xff";
	unsigned seed = 12345;
	uint8_t buf[512];
	for (int round = 0; round < 3000; round++) {
		if (round % 100 == 0)
			term_init(&t, 1 + round % 97, 1 + round % 37);
		size_t n = 1 + (size_t)(rand_r(&seed) % sizeof(buf));
		for (size_t i = 0; i < n; i++) {
			unsigned r = (unsigned)rand_r(&seed);
			buf[i] = r % 3 ? (uint8_t)pick[r % (sizeof(pick) - 1)]
				       : (uint8_t)(r >> 8);
		}
		term_write(&t, buf, n);
		CHECK(t.cx >= 0 && t.cx < t.cols);
		CHECK(t.cy >= 0 && t.cy < t.rows);
		CHECK(t.nparams >= 0 && t.nparams <= TERM_PARAMS_MAX);
		for (int r = 0; r < t.rows; r++)
			CHECK(t.lo[r] >= t.hi[r] ||
			      (t.lo[r] >= 0 && t.hi[r] <= t.cols));
		for (int c = 0; c < t.cols; c++)
			CHECK(t.cell[t.cy][c].fg < 16 &&
			      t.cell[t.cy][c].bg < 16);
		if (round % 7 == 0)
			term_clean(&t);
	}
	/* After anything, CAN + reset SGR + text is shown. */
	put("\x18\x1b\\\x1b[0m\r\nok");
	CHECK_EQ(t.cell[t.cy][0].ch, 'o');
	CHECK_EQ(t.cell[t.cy][1].ch, 'k');
}

TEST(fbcon_keys_to_terminal_bytes)
{
	char b[KEYS_OUT_MAX];
	CHECK_EQ(keys_bytes(KEYS_EV_KEY, 30, 1, 'a', b), 1);
	CHECK_EQ(b[0], 'a');
	CHECK_EQ(keys_bytes(KEYS_EV_KEY, 30, 2, 'a', b), 1); /* repeat */
	CHECK_EQ(keys_bytes(KEYS_EV_KEY, 30, 0, 0, b), 0);   /* release */
	CHECK_EQ(keys_bytes(KEYS_EV_KEY, 28, 1, '\r', b), 1);
	CHECK_EQ(b[0], '\r');
	CHECK_EQ(keys_bytes(KEYS_EV_KEY, 14, 1, 0x7f, b), 1);
	CHECK_EQ(b[0], 0x7f);
	CHECK_EQ(keys_bytes(KEYS_EV_KEY, 46, 1, 3, b), 1); /* Ctrl+C */
	CHECK_EQ(b[0], 3);
	CHECK_EQ(keys_bytes(KEYS_EV_KEY, KEYS_UP, 1, 0, b), 3);
	CHECK(!memcmp(b, "\x1b[A", 3));
	CHECK_EQ(keys_bytes(KEYS_EV_KEY, KEYS_LEFT, 2, 0, b), 3);
	CHECK(!memcmp(b, "\x1b[D", 3));
	CHECK_EQ(keys_bytes(KEYS_EV_KEY, KEYS_DELETE, 1, 0, b), 4);
	CHECK(!memcmp(b, "\x1b[3~", 4));
	CHECK_EQ(keys_bytes(KEYS_EV_KEY, 42, 1, 0, b), 0); /* Shift */
	CHECK_EQ(keys_bytes(2, 0, 5, 0, b), 0);		   /* REL_X */
	CHECK_EQ(keys_bytes(KEYS_EV_KEY, 0, 1, 0xe9, b), 2);
	CHECK(!memcmp(b, "\xc3\xa9", 2));
}
