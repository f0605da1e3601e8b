/* The screen console's terminal core (term.h). */
#include "term.h"

#include <string.h>

enum {
	S_GROUND = 0,
	S_ESC,	    /* after ESC */
	S_ESC_SKIP, /* ESC ( B and the like: one more byte, dropped */
	S_CSI,	    /* ESC [ ... */
	S_STR,	    /* OSC, DCS, SOS, PM, APC: swallowed */
	S_STR_ESC,  /* ESC inside a string: ST ends it */
};

static int clampi(int v, int lo, int hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static void dirty(struct term *t, int row, int c0, int c1)
{
	if (row < 0 || row >= t->rows || c0 >= c1)
		return;
	c0 = clampi(c0, 0, t->cols);
	c1 = clampi(c1, 0, t->cols);
	if (t->lo[row] >= t->hi[row]) {
		t->lo[row] = (int16_t)c0;
		t->hi[row] = (int16_t)c1;
		return;
	}
	if (c0 < t->lo[row])
		t->lo[row] = (int16_t)c0;
	if (c1 > t->hi[row])
		t->hi[row] = (int16_t)c1;
}

void term_damage_all(struct term *t)
{
	for (int r = 0; r < t->rows; r++) {
		t->lo[r] = 0;
		t->hi[r] = (int16_t)t->cols;
	}
}

bool term_dirty(const struct term *t)
{
	for (int r = 0; r < t->rows; r++)
		if (t->lo[r] < t->hi[r])
			return true;
	return false;
}

void term_clean(struct term *t)
{
	for (int r = 0; r < TERM_ROWS_MAX; r++)
		t->lo[r] = t->hi[r] = 0;
}

static struct term_cell blank(const struct term *t)
{
	/* Erasing paints the current background (as xterm does). */
	return (struct term_cell){.ch = ' ', .fg = t->fg, .bg = t->bg};
}

static void clear_cells(struct term *t, int row, int c0, int c1)
{
	c0 = clampi(c0, 0, t->cols);
	c1 = clampi(c1, 0, t->cols);
	struct term_cell b = blank(t);
	for (int c = c0; c < c1; c++)
		t->cell[row][c] = b;
	dirty(t, row, c0, c1);
}

/* A shown cursor is drawn as an inverted cell: moving it redraws both
 * cells. */
static void move_to(struct term *t, int x, int y)
{
	if (t->cursor_on)
		dirty(t, t->cy, t->cx, t->cx + 1);
	t->cx = clampi(x, 0, t->cols - 1);
	t->cy = clampi(y, 0, t->rows - 1);
	t->wrap_pending = false;
	if (t->cursor_on)
		dirty(t, t->cy, t->cx, t->cx + 1);
}

static void reset_attrs(struct term *t)
{
	t->fg = TERM_FG_DEFAULT;
	t->bg = TERM_BG_DEFAULT;
	t->attr = 0;
}

void term_init(struct term *t, int cols, int rows)
{
	memset(t, 0, sizeof(*t));
	t->cols = clampi(cols, 1, TERM_COLS_MAX);
	t->rows = clampi(rows, 1, TERM_ROWS_MAX);
	t->cursor_on = true;
	reset_attrs(t);
	t->saved_fg = t->fg;
	t->saved_bg = t->bg;
	for (int r = 0; r < t->rows; r++)
		clear_cells(t, r, 0, t->cols);
	term_damage_all(t);
}

void term_resize(struct term *t, int cols, int rows)
{
	cols = clampi(cols, 1, TERM_COLS_MAX);
	rows = clampi(rows, 1, TERM_ROWS_MAX);
	/* Keep the rows around the cursor: drop from the top. */
	int shift = t->cy >= rows ? t->cy - rows + 1 : 0;
	if (shift) {
		memmove(&t->cell[0], &t->cell[shift],
			sizeof(t->cell[0]) * (size_t)(t->rows - shift));
		t->cy -= shift;
	}
	int old_cols = t->cols, old_rows = t->rows - shift;
	t->cols = cols;
	t->rows = rows;
	for (int r = 0; r < rows; r++)
		clear_cells(t, r, r < old_rows ? old_cols : 0, cols);
	t->cx = clampi(t->cx, 0, cols - 1);
	t->cy = clampi(t->cy, 0, rows - 1);
	t->saved_cx = clampi(t->saved_cx, 0, cols - 1);
	t->saved_cy = clampi(t->saved_cy, 0, rows - 1);
	t->wrap_pending = false;
	term_clean(t);
	term_damage_all(t);
}

/* Rows [top, rows) move up by n (n > 0) or down by -n; the rows that come
 * in are blank. Everything that moved is dirty. */
static void scroll(struct term *t, int top, int n)
{
	int h = t->rows - top;
	if (h <= 0 || n == 0)
		return;
	int k = n > 0 ? n : -n;
	if (k > h)
		k = h;
	size_t row = sizeof(t->cell[0]);
	if (n > 0)
		memmove(&t->cell[top], &t->cell[top + k],
			row * (size_t)(h - k));
	else
		memmove(&t->cell[top + k], &t->cell[top],
			row * (size_t)(h - k));
	int b0 = n > 0 ? t->rows - k : top;
	for (int r = b0; r < b0 + k; r++)
		clear_cells(t, r, 0, t->cols);
	for (int r = top; r < t->rows; r++)
		dirty(t, r, 0, t->cols);
	t->scrolls++;
}

static void linefeed(struct term *t)
{
	if (t->cy + 1 < t->rows) {
		move_to(t, t->cx, t->cy + 1);
		return;
	}
	scroll(t, 0, 1);
	t->wrap_pending = false;
}

static void reverse_index(struct term *t)
{
	if (t->cy > 0)
		move_to(t, t->cx, t->cy - 1);
	else
		scroll(t, 0, -1);
}

static void put_char(struct term *t, uint32_t cp)
{
	if (t->wrap_pending) {
		move_to(t, 0, t->cy);
		linefeed(t);
	}
	t->cell[t->cy][t->cx] = (struct term_cell){
		.ch = cp, .fg = t->fg, .bg = t->bg, .attr = t->attr};
	dirty(t, t->cy, t->cx, t->cx + 1);
	if (t->cx + 1 < t->cols)
		move_to(t, t->cx + 1, t->cy);
	else
		t->wrap_pending = true;
}

static void control(struct term *t, uint8_t c)
{
	switch (c) {
	case '\b':
		move_to(t, t->cx - 1, t->cy);
		break;
	case '\t': {
		int x = (t->cx / 8 + 1) * 8;
		move_to(t, x, t->cy);
		break;
	}
	case '\n':
	case '\v':
	case '\f':
		linefeed(t);
		break;
	case '\r':
		move_to(t, 0, t->cy);
		break;
	case 0x1b:
		t->state = S_ESC;
		break;
	default: /* BEL and the rest: nothing to show */
		break;
	}
}

/* Parameter i, with `dflt` when absent or 0 (most sequences read 0 as 1). */
static int arg(const struct term *t, int i, int dflt)
{
	int v = i < t->nparams ? t->params[i] : 0;
	return v ? v : dflt;
}

static void save_cursor(struct term *t)
{
	t->saved_cx = t->cx;
	t->saved_cy = t->cy;
	t->saved_fg = t->fg;
	t->saved_bg = t->bg;
	t->saved_attr = t->attr;
}

static void restore_cursor(struct term *t)
{
	t->fg = t->saved_fg;
	t->bg = t->saved_bg;
	t->attr = t->saved_attr;
	move_to(t, t->saved_cx, t->saved_cy);
}

/* 38;5;N / 48;5;N (N < 16 kept, others ignored) and 38;2;R;G;B (ignored):
 * the index of the last parameter they use. */
static int extended_colour(struct term *t, int i, uint8_t *slot)
{
	if (i + 1 >= t->nparams)
		return i;
	if (t->params[i + 1] == 5) {
		if (i + 2 < t->nparams && t->params[i + 2] < 16)
			*slot = (uint8_t)t->params[i + 2];
		return i + 2;
	}
	if (t->params[i + 1] == 2)
		return i + 4;
	return i + 1;
}

static void sgr(struct term *t)
{
	if (t->nparams == 0) {
		reset_attrs(t);
		return;
	}
	for (int i = 0; i < t->nparams; i++) {
		int p = t->params[i];
		if (p == 0)
			reset_attrs(t);
		else if (p == 1)
			t->attr |= TERM_A_BOLD;
		else if (p == 2 || p == 22)
			t->attr &= (uint8_t)~TERM_A_BOLD;
		else if (p == 4)
			t->attr |= TERM_A_UNDERLINE;
		else if (p == 24)
			t->attr &= (uint8_t)~TERM_A_UNDERLINE;
		else if (p == 7)
			t->attr |= TERM_A_REVERSE;
		else if (p == 27)
			t->attr &= (uint8_t)~TERM_A_REVERSE;
		else if (p >= 30 && p <= 37)
			t->fg = (uint8_t)(p - 30);
		else if (p == 38)
			i = extended_colour(t, i, &t->fg);
		else if (p == 39)
			t->fg = TERM_FG_DEFAULT;
		else if (p >= 40 && p <= 47)
			t->bg = (uint8_t)(p - 40);
		else if (p == 48)
			i = extended_colour(t, i, &t->bg);
		else if (p == 49)
			t->bg = TERM_BG_DEFAULT;
		else if (p >= 90 && p <= 97)
			t->fg = (uint8_t)(p - 90 + 8);
		else if (p >= 100 && p <= 107)
			t->bg = (uint8_t)(p - 100 + 8);
	}
}

static void erase_display(struct term *t, int mode)
{
	if (mode == 0) {
		clear_cells(t, t->cy, t->cx, t->cols);
		for (int r = t->cy + 1; r < t->rows; r++)
			clear_cells(t, r, 0, t->cols);
	} else if (mode == 1) {
		for (int r = 0; r < t->cy; r++)
			clear_cells(t, r, 0, t->cols);
		clear_cells(t, t->cy, 0, t->cx + 1);
	} else if (mode == 2 || mode == 3) {
		for (int r = 0; r < t->rows; r++)
			clear_cells(t, r, 0, t->cols);
	}
}

static void erase_line(struct term *t, int mode)
{
	if (mode == 0)
		clear_cells(t, t->cy, t->cx, t->cols);
	else if (mode == 1)
		clear_cells(t, t->cy, 0, t->cx + 1);
	else if (mode == 2)
		clear_cells(t, t->cy, 0, t->cols);
}

/* Characters from the cursor on move right by n (insert) or left (delete);
 * what comes in is blank. */
static void shift_chars(struct term *t, int n, bool insert)
{
	int room = t->cols - t->cx;
	n = clampi(n, 1, room);
	struct term_cell *row = t->cell[t->cy];
	size_t cnt = (size_t)(room - n);
	if (insert) {
		memmove(&row[t->cx + n], &row[t->cx], cnt * sizeof(*row));
		clear_cells(t, t->cy, t->cx, t->cx + n);
	} else {
		memmove(&row[t->cx], &row[t->cx + n], cnt * sizeof(*row));
		clear_cells(t, t->cy, t->cols - n, t->cols);
	}
	dirty(t, t->cy, t->cx, t->cols);
	t->wrap_pending = false;
}

static void private_mode(struct term *t, bool set)
{
	for (int i = 0; i < t->nparams; i++)
		if (t->params[i] == 25) {
			t->cursor_on = set;
			dirty(t, t->cy, t->cx, t->cx + 1);
		}
}

static void csi_dispatch(struct term *t, uint8_t f)
{
	if (t->inter) {
		t->unknown++;
		return;
	}
	if (t->priv) {
		if (f == 'h' || f == 'l')
			private_mode(t, f == 'h');
		else
			t->unknown++;
		return;
	}
	switch (f) {
	case 'A':
		move_to(t, t->cx, t->cy - arg(t, 0, 1));
		break;
	case 'B':
	case 'e':
		move_to(t, t->cx, t->cy + arg(t, 0, 1));
		break;
	case 'C':
	case 'a':
		move_to(t, t->cx + arg(t, 0, 1), t->cy);
		break;
	case 'D':
		move_to(t, t->cx - arg(t, 0, 1), t->cy);
		break;
	case 'E':
		move_to(t, 0, t->cy + arg(t, 0, 1));
		break;
	case 'F':
		move_to(t, 0, t->cy - arg(t, 0, 1));
		break;
	case 'G':
	case '`':
		move_to(t, arg(t, 0, 1) - 1, t->cy);
		break;
	case 'd':
		move_to(t, t->cx, arg(t, 0, 1) - 1);
		break;
	case 'H':
	case 'f':
		move_to(t, arg(t, 1, 1) - 1, arg(t, 0, 1) - 1);
		break;
	case 'J':
		erase_display(t, arg(t, 0, 0));
		break;
	case 'K':
		erase_line(t, arg(t, 0, 0));
		break;
	case 'X':
		clear_cells(t, t->cy, t->cx, t->cx + arg(t, 0, 1));
		break;
	case '@':
		shift_chars(t, arg(t, 0, 1), true);
		break;
	case 'P':
		shift_chars(t, arg(t, 0, 1), false);
		break;
	case 'L':
		scroll(t, t->cy, -arg(t, 0, 1));
		break;
	case 'M':
		scroll(t, t->cy, arg(t, 0, 1));
		break;
	case 'S':
		scroll(t, 0, arg(t, 0, 1));
		break;
	case 'T':
		scroll(t, 0, -arg(t, 0, 1));
		break;
	case 'm':
		sgr(t);
		break;
	case 's':
		save_cursor(t);
		break;
	case 'u':
		restore_cursor(t);
		break;
	default: /* reports (c, n), modes, ...: nothing to answer them on */
		t->unknown++;
		break;
	}
}

static void esc_dispatch(struct term *t, uint8_t c)
{
	t->state = S_GROUND;
	switch (c) {
	case '[':
		t->state = S_CSI;
		t->priv = t->inter = false;
		t->nparams = 0;
		memset(t->params, 0, sizeof(t->params));
		break;
	case ']': /* OSC */
	case 'P': /* DCS */
	case 'X': /* SOS */
	case '^': /* PM */
	case '_': /* APC */
		t->state = S_STR;
		t->slen = 0;
		break;
	case '(':
	case ')':
	case '*':
	case '+':
	case '#':
	case '%':
	case ' ':
		t->state = S_ESC_SKIP;
		break;
	case '7':
		save_cursor(t);
		break;
	case '8':
		restore_cursor(t);
		break;
	case 'D':
		linefeed(t);
		break;
	case 'E':
		move_to(t, 0, t->cy);
		linefeed(t);
		break;
	case 'M':
		reverse_index(t);
		break;
	case 'c': {
		int cols = t->cols, rows = t->rows;
		uint64_t sc = t->scrolls, un = t->unknown;
		term_init(t, cols, rows);
		t->scrolls = sc;
		t->unknown = un;
		break;
	}
	default:
		t->unknown++;
		break;
	}
}

static void csi_byte(struct term *t, uint8_t c)
{
	if (c >= '0' && c <= '9') {
		if (t->nparams == 0)
			t->nparams = 1;
		int *p = &t->params[t->nparams - 1];
		*p = *p * 10 + (c - '0');
		if (*p > TERM_PARAM_MAX)
			*p = TERM_PARAM_MAX;
	} else if (c == ';' || c == ':') {
		if (t->nparams == 0)
			t->nparams = 1;
		if (t->nparams < TERM_PARAMS_MAX)
			t->nparams++;
		else
			t->inter = true; /* too many: not one of ours */
	} else if (c >= '<' && c <= '?') {
		t->priv = true;
	} else if (c >= 0x20 && c <= 0x2f) {
		t->inter = true;
	} else if (c >= 0x40 && c <= 0x7e) {
		t->state = S_GROUND;
		csi_dispatch(t, c);
	} else if (c == 0x18 || c == 0x1a) { /* CAN, SUB: abort */
		t->state = S_GROUND;
	} else if (c == 0x1b) {
		t->state = S_ESC;
	} else if (c < 0x20) {
		control(t, c); /* C0 controls act inside a sequence */
	} else {
		t->state = S_GROUND; /* DEL or 8-bit: malformed, dropped */
		t->unknown++;
	}
}

static void utf8_byte(struct term *t, uint8_t c)
{
	if (t->u_need && (c & 0xc0) == 0x80) {
		t->u_cp = t->u_cp << 6 | (c & 0x3fu);
		if (--t->u_need == 0) {
			uint32_t cp = t->u_cp;
			/* Overlong forms and surrogates show as U+FFFD. */
			if (cp < 0x80 || (cp >= 0xd800 && cp < 0xe000) ||
			    cp > 0x10ffff)
				cp = 0xfffd;
			if (cp >= 0xa0 || cp == 0xfffd)
				put_char(t, cp);
		}
		return;
	}
	if (t->u_need) { /* a sequence cut short */
		t->u_need = 0;
		put_char(t, 0xfffd);
	}
	if (c < 0x80) {
		if (c < 0x20)
			control(t, c);
		else if (c < 0x7f)
			put_char(t, c);
		return;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		t->u_cp = c & 0x1fu;
		t->u_need = 1;
	} else if (c >= 0xe0 && c <= 0xef) {
		t->u_cp = c & 0x0fu;
		t->u_need = 2;
	} else if (c >= 0xf0 && c <= 0xf4) {
		t->u_cp = c & 0x07u;
		t->u_need = 3;
	} else {
		put_char(t, 0xfffd);
	}
}

static void byte(struct term *t, uint8_t c)
{
	switch (t->state) {
	case S_ESC:
		if (c == 0x1b)
			break;
		if (c < 0x20) {
			control(t, c);
			break;
		}
		esc_dispatch(t, c);
		break;
	case S_ESC_SKIP:
		t->state = S_GROUND;
		break;
	case S_CSI:
		csi_byte(t, c);
		break;
	case S_STR:
		if (c == 0x07 || c == 0x18 || c == 0x1a ||
		    ++t->slen > TERM_STR_MAX)
			t->state = S_GROUND;
		else if (c == 0x1b)
			t->state = S_STR_ESC;
		break;
	case S_STR_ESC:
		/* ESC \ ends it; ESC then anything else starts over. */
		t->state = S_GROUND;
		if (c != '\\')
			byte(t, 0x1b), byte(t, c);
		break;
	default:
		t->state = S_GROUND;
		utf8_byte(t, c);
		break;
	}
}

void term_write(struct term *t, const void *s, size_t n)
{
	const uint8_t *p = s;
	for (size_t i = 0; i < n; i++)
		byte(t, p[i]);
}
