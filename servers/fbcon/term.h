/* The screen console's terminal core (docs/console.md "Screen
 * terminal"): a character grid with a cursor, fed the bytes the serial
 * console prints. It decodes UTF-8 and a subset of ANSI/VT100 escapes
 * (SGR colours, cursor movement, erase line/screen, insert/delete
 * characters); any other sequence is parsed to its end and dropped, so
 * hostile bytes can never leave the grid or the parser's bounds. Every
 * change marks a span of its row dirty: the renderer (render.h) redraws
 * only those cells. Pure code: no system calls, host-tested
 * (tests/host/test_fbcon_term.c). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TERM_COLS_MAX	256
#define TERM_ROWS_MAX	128
#define TERM_PARAMS_MAX 16
#define TERM_PARAM_MAX	9999 /* bigger numbers are clamped */
#define TERM_STR_MAX	1024 /* OSC/DCS bytes swallowed before giving up */

/* Cell attributes */
#define TERM_A_BOLD	 0x1u
#define TERM_A_UNDERLINE 0x2u
#define TERM_A_REVERSE	 0x4u

#define TERM_FG_DEFAULT 7 /* light grey on black */
#define TERM_BG_DEFAULT 0

struct term_cell {
	uint32_t ch;	/* Unicode code point; ' ' when blank */
	uint8_t fg, bg; /* palette indexes 0..15 */
	uint8_t attr;	/* TERM_A_* */
	uint8_t pad;
};

struct term {
	int cols, rows;
	int cx, cy;	   /* cursor: 0 <= cx < cols, 0 <= cy < rows */
	bool wrap_pending; /* a character went into the last column */
	bool cursor_on;
	uint8_t fg, bg, attr; /* what the next character gets */
	int saved_cx, saved_cy;
	uint8_t saved_fg, saved_bg, saved_attr;
	/* escape parser */
	uint8_t state;
	bool priv;   /* CSI with a '?' (or '<', '=', '>') prefix */
	bool inter;  /* CSI with an intermediate byte: not ours */
	int nparams; /* parameters seen (the one being read included) */
	int params[TERM_PARAMS_MAX];
	uint32_t slen; /* bytes of the string being swallowed */
	/* UTF-8 decoder */
	uint32_t u_cp;
	int u_need;
	/* damage: row r changed in columns [lo[r], hi[r]); lo >= hi: clean */
	int16_t lo[TERM_ROWS_MAX], hi[TERM_ROWS_MAX];
	uint64_t scrolls, unknown; /* counters (status) */
	struct term_cell cell[TERM_ROWS_MAX][TERM_COLS_MAX];
};

/* A blank grid of cols x rows (clamped to 1..TERM_*_MAX), all dirty. */
void term_init(struct term *t, int cols, int rows);
/* New size, keeping the top-left of the old contents; all dirty. */
void term_resize(struct term *t, int cols, int rows);
/* Feeds n bytes. */
void term_write(struct term *t, const void *s, size_t n);
/* Marks everything dirty (a new scanout buffer). */
void term_damage_all(struct term *t);
/* Whether any cell is dirty. */
bool term_dirty(const struct term *t);
/* Forgets the damage (the renderer drew it). */
void term_clean(struct term *t);
