/* The console's line discipline (docs/console.md): turns received bytes
 * into edited lines, interrupts and key codes, and writes the echo through
 * a callback. Pure code: no system calls, host-tested
 * (tests/host/test_console_ldisc.c). Output is plain ASCII plus a few ANSI
 * sequences (erase line, cursor left/right); '\n' is written as '\n' and the
 * sink turns it into CR LF. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LD_LINE_MAX   1023 /* bytes of a line; longer ones are TOO_LONG */
#define LD_HIST	      32   /* lines of history */
#define LD_PROMPT_MAX 128
#define LD_AHEAD_MAX  4096 /* bytes typed while no line was being read */

enum ld_event {
	LD_NONE = 0,
	LD_LINE,      /* Enter: ld_line() holds the line */
	LD_TOO_LONG,  /* Enter after a line over LD_LINE_MAX bytes */
	LD_INTERRUPT, /* Ctrl-C */
	LD_KEY,	      /* a byte while no line is being read (*key) */
};

typedef void (*ld_out_fn)(void *ctx, const char *s, size_t n);

struct ldisc {
	ld_out_fn out;
	void *ctx;
	bool active;	  /* a line is being read (readline pending) */
	bool shown;	  /* its prompt and text are on the screen */
	bool mid_line;	  /* the last output did not end with '\n' */
	bool too_long;	  /* this line overflowed: discarded until Enter */
	bool after_cr;	  /* the last byte was CR: an LF now is its pair */
	uint8_t esc;	  /* escape-sequence state */
	uint8_t esc_args; /* parameter bytes seen in this CSI sequence */
	uint8_t esc_num;  /* its first number (for "3~", "1~", ...) */
	char prompt[LD_PROMPT_MAX + 1];
	char line[LD_LINE_MAX + 1];
	size_t len, cur;
	/* History: ring of the last LD_HIST lines; hpos -1 = the new line
	 * (kept in stash while walking the history). */
	char hist[LD_HIST][LD_LINE_MAX + 1];
	unsigned hcount, hnext;
	int hpos;
	char stash[LD_LINE_MAX + 1];
	size_t stash_len;
	/* Type-ahead: bytes that arrived while no line was being read. */
	uint8_t ahead[LD_AHEAD_MAX];
	size_t ahead_len;
	uint64_t lines; /* lines completed */
};

void ld_init(struct ldisc *l, ld_out_fn out, void *ctx);

/* Starts reading a line: prints the prompt (printable ASCII of it, at most
 * LD_PROMPT_MAX bytes), then consumes type-ahead until it completes an
 * event (returned; LD_NONE when the line is still being edited). */
enum ld_event ld_begin(struct ldisc *l, const char *prompt);

/* One received byte. While a line is read: editing, LD_LINE / LD_TOO_LONG
 * / LD_INTERRUPT when it ends (the line is inactive afterwards). Otherwise
 * LD_INTERRUPT for Ctrl-C, LD_KEY with *key for any other byte, LD_NONE
 * for the LF of a CR LF pair. */
enum ld_event ld_input(struct ldisc *l, uint8_t c, uint8_t *key);

/* The line of the last LD_LINE (NUL-terminated). */
const char *ld_line(const struct ldisc *l);

/* Keeps a byte for the next line (LD_KEY that nobody took); false when
 * the type-ahead is full. ld_drop_ahead forgets it all (Ctrl-C). */
bool ld_keep(struct ldisc *l, uint8_t c);
void ld_drop_ahead(struct ldisc *l);

/* Ends the line being read without an event (its reader went away). */
void ld_cancel(struct ldisc *l);

/* Output from clients. While a line is being read, its prompt and text
 * are erased first; ld_settle() puts them back (on a line of their own)
 * once the output is done. */
void ld_output(struct ldisc *l, const char *s, size_t n);
void ld_settle(struct ldisc *l);
