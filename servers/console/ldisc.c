/* The console's line discipline (ldisc.h, docs/console.md). State lives in
 * struct ldisc only; every input byte leaves it consistent (len <= MAX,
 * cur <= len, history indexes in range), whatever the byte sequence. */
#include "ldisc.h"

#include <stdio.h>
#include <string.h>

enum { ESC_NONE, ESC_START, ESC_CSI, ESC_SS3 };

static void emit(struct ldisc *l, const char *s, size_t n)
{
	if (!n)
		return;
	l->out(l->ctx, s, n);
	l->mid_line = s[n - 1] != '\n';
}

static void emits(struct ldisc *l, const char *s)
{
	emit(l, s, strlen(s));
}

/* Cursor n columns left ('D') or right ('C'). */
static void move(struct ldisc *l, size_t n, char dir)
{
	char b[24];
	if (n == 1) {
		b[0] = '\x1b', b[1] = '[', b[2] = dir;
		emit(l, b, 3);
	} else if (n > 1) {
		int k = snprintf(b, sizeof(b), "\x1b[%zu%c", n, dir);
		emit(l, b, (size_t)k);
	}
}

/* Prompt and line from column 0, cursor put back where it was. */
static void redraw(struct ldisc *l)
{
	emits(l, "\r\x1b[K");
	emits(l, l->prompt);
	emit(l, l->line, l->len);
	move(l, l->len - l->cur, 'D');
	l->shown = true;
}

void ld_init(struct ldisc *l, ld_out_fn out, void *ctx)
{
	memset(l, 0, sizeof(*l));
	l->out = out;
	l->ctx = ctx;
	l->hpos = -1;
}

const char *ld_line(const struct ldisc *l)
{
	return l->line;
}

void ld_cancel(struct ldisc *l)
{
	l->active = false;
	l->shown = false;
	l->esc = ESC_NONE;
	l->hpos = -1;
}

static void set_line(struct ldisc *l, const char *s, size_t n)
{
	memcpy(l->line, s, n);
	l->len = l->cur = n;
	l->too_long = false;
	redraw(l);
}

static const char *hist_entry(const struct ldisc *l, unsigned i)
{
	return l->hist[(l->hnext + LD_HIST - 1 - i) % LD_HIST];
}

static void hist_add(struct ldisc *l)
{
	if (!l->len)
		return;
	if (l->hcount && !strcmp(hist_entry(l, 0), l->line))
		return; /* the same line again: kept once */
	memcpy(l->hist[l->hnext], l->line, l->len + 1);
	l->hnext = (l->hnext + 1) % LD_HIST;
	if (l->hcount < LD_HIST)
		l->hcount++;
}

static void hist_up(struct ldisc *l)
{
	if (l->hpos + 1 >= (int)l->hcount)
		return;
	if (l->hpos < 0) {
		memcpy(l->stash, l->line, l->len);
		l->stash_len = l->len;
	}
	l->hpos++;
	const char *e = hist_entry(l, (unsigned)l->hpos);
	set_line(l, e, strlen(e));
}

static void hist_down(struct ldisc *l)
{
	if (l->hpos < 0)
		return;
	l->hpos--;
	if (l->hpos < 0) {
		set_line(l, l->stash, l->stash_len);
	} else {
		const char *e = hist_entry(l, (unsigned)l->hpos);
		set_line(l, e, strlen(e));
	}
}

static void insert(struct ldisc *l, char c)
{
	if (l->too_long)
		return;
	if (l->len == LD_LINE_MAX) {
		l->too_long = true; /* the rest is dropped until Enter */
		return;
	}
	memmove(l->line + l->cur + 1, l->line + l->cur, l->len - l->cur);
	l->line[l->cur] = c;
	l->len++;
	l->cur++;
	emit(l, l->line + l->cur - 1, l->len - l->cur + 1);
	move(l, l->len - l->cur, 'D');
}

/* Removes the byte at pos (the cursor is at pos afterwards) and redraws
 * the tail from there. */
static void remove_at(struct ldisc *l, size_t pos)
{
	memmove(l->line + pos, l->line + pos + 1, l->len - pos - 1);
	l->len--;
	l->cur = pos;
	emit(l, l->line + pos, l->len - pos);
	emits(l, " ");
	move(l, l->len - pos + 1, 'D');
}

static void backspace(struct ldisc *l)
{
	if (!l->cur)
		return;
	if (l->cur == l->len) {
		l->len--;
		l->cur--;
		emits(l, "\b \b");
		return;
	}
	emits(l, "\b");
	remove_at(l, l->cur - 1);
}

static void left(struct ldisc *l)
{
	if (l->cur) {
		l->cur--;
		move(l, 1, 'D');
	}
}

static void right(struct ldisc *l)
{
	if (l->cur < l->len) {
		l->cur++;
		move(l, 1, 'C');
	}
}

static void home(struct ldisc *l)
{
	move(l, l->cur, 'D');
	l->cur = 0;
}

static void end(struct ldisc *l)
{
	move(l, l->len - l->cur, 'C');
	l->cur = l->len;
}

/* The final byte of ESC [ ... or ESC O ... */
static void dispatch(struct ldisc *l, uint8_t c, unsigned args, unsigned num)
{
	switch (c) {
	case 'A':
		hist_up(l);
		break;
	case 'B':
		hist_down(l);
		break;
	case 'C':
		right(l);
		break;
	case 'D':
		left(l);
		break;
	case 'H':
		home(l);
		break;
	case 'F':
		end(l);
		break;
	case '~':
		if (!args)
			break;
		if (num == 1 || num == 7)
			home(l);
		else if (num == 4 || num == 8)
			end(l);
		else if (num == 3 && l->cur < l->len)
			remove_at(l, l->cur);
		break;
	}
}

/* One byte inside an escape sequence: true when it was consumed, false
 * when it ended the sequence and is to be taken as an ordinary byte. */
static bool esc_step(struct ldisc *l, uint8_t c)
{
	switch (l->esc) {
	case ESC_START:
		if (c == '[' || c == 'O') {
			l->esc = c == '[' ? ESC_CSI : ESC_SS3;
			l->esc_args = 0;
			l->esc_num = 0;
			return true;
		}
		l->esc = ESC_NONE;
		return false;
	case ESC_CSI:
		if (c >= 0x30 && c <= 0x3f) { /* parameter bytes */
			if (l->esc_args < 255)
				l->esc_args++;
			if (c >= '0' && c <= '9' && l->esc_num < 100)
				l->esc_num =
					(uint8_t)(l->esc_num * 10 + (c - '0'));
			return true;
		}
		if (c >= 0x20 && c <= 0x2f) /* intermediate bytes */
			return true;
		l->esc = ESC_NONE;
		if (c >= 0x40 && c <= 0x7e) {
			dispatch(l, c, l->esc_args, l->esc_num);
			return true;
		}
		return false;
	case ESC_SS3:
		l->esc = ESC_NONE;
		if (c >= 0x40 && c <= 0x7e) {
			dispatch(l, c, 0, 0);
			return true;
		}
		return false;
	}
	l->esc = ESC_NONE;
	return false;
}

static void finish(struct ldisc *l)
{
	l->line[l->len] = 0;
	ld_cancel(l);
}

static enum ld_event edit(struct ldisc *l, uint8_t c)
{
	if (l->esc != ESC_NONE && esc_step(l, c))
		return LD_NONE;
	switch (c) {
	case 0x1b:
		l->esc = ESC_START;
		return LD_NONE;
	case 0x03: /* Ctrl-C */
		emits(l, "^C\n");
		finish(l);
		l->len = l->cur = 0;
		l->line[0] = 0;
		return LD_INTERRUPT;
	case '\r':
	case '\n': {
		emits(l, "\n");
		bool too_long = l->too_long;
		finish(l);
		if (too_long) {
			l->len = l->cur = 0;
			l->line[0] = 0;
			l->too_long = false;
			return LD_TOO_LONG;
		}
		hist_add(l);
		l->lines++;
		return LD_LINE;
	}
	case 0x08:
	case 0x7f:
		backspace(l);
		return LD_NONE;
	case 0x15: /* Ctrl-U */
		l->len = l->cur = 0;
		l->too_long = false;
		redraw(l);
		return LD_NONE;
	case 0x01: /* Ctrl-A */
		home(l);
		return LD_NONE;
	case 0x05: /* Ctrl-E */
		end(l);
		return LD_NONE;
	}
	if (c >= 0x20 && c <= 0x7e)
		insert(l, (char)c);
	return LD_NONE; /* other control bytes and non-ASCII: ignored */
}

enum ld_event ld_input(struct ldisc *l, uint8_t c, uint8_t *key)
{
	bool pair = c == '\n' && l->after_cr;
	l->after_cr = c == '\r';
	if (pair)
		return LD_NONE; /* CR LF is one Enter */
	if (l->active) {
		if (!l->shown)
			ld_settle(l);
		return edit(l, c);
	}
	if (c == 0x03)
		return LD_INTERRUPT;
	if (key)
		*key = c;
	return LD_KEY;
}

bool ld_keep(struct ldisc *l, uint8_t c)
{
	if (l->ahead_len == LD_AHEAD_MAX)
		return false;
	l->ahead[l->ahead_len++] = c;
	return true;
}

void ld_drop_ahead(struct ldisc *l)
{
	l->ahead_len = 0;
}

enum ld_event ld_begin(struct ldisc *l, const char *prompt)
{
	ld_cancel(l);
	size_t n = 0;
	for (const char *p = prompt; p && *p && n < LD_PROMPT_MAX; p++)
		if (*p >= 0x20 && *p <= 0x7e)
			l->prompt[n++] = *p;
	l->prompt[n] = 0;
	l->len = l->cur = 0;
	l->too_long = false;
	l->active = true;
	if (l->mid_line)
		emits(l, "\n"); /* the prompt starts a line of its own */
	emits(l, l->prompt);
	l->shown = true;
	/* Type-ahead: its CR LF pairs were resolved when it arrived. */
	size_t i = 0;
	enum ld_event ev = LD_NONE;
	while (i < l->ahead_len && ev == LD_NONE)
		ev = edit(l, l->ahead[i++]);
	memmove(l->ahead, l->ahead + i, l->ahead_len - i);
	l->ahead_len -= i;
	return ev;
}

void ld_output(struct ldisc *l, const char *s, size_t n)
{
	if (!n)
		return;
	if (l->active && l->shown) {
		emits(l, "\r\x1b[K");
		l->shown = false;
		l->mid_line = false;
	}
	emit(l, s, n);
}

void ld_settle(struct ldisc *l)
{
	if (!l->active || l->shown)
		return;
	if (l->mid_line)
		emits(l, "\n");
	redraw(l);
}
