/* Per-service logs (docs/system.md "Logs"): a bounded ring of everything a
 * service wrote (oldest bytes dropped and counted), and the line splitter
 * that forwards each line to the console as "[  12.345678] [name] text"
 * under a per-service rate limit (lines over it are counted, not
 * forwarded; the ring still has them). Pure code, host-tested in
 * tests/host/test_init_log.c. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#define LOG_LINE_MAX 200		 /* longer lines are cut into pieces */
#define LOG_RATE     50			 /* lines per second forwarded ... */
#define LOG_BURST    100		 /* ... after a burst of this many */
#define LOG_OUT_MAX  (LOG_LINE_MAX + 64) /* one formatted line */

struct log_ring {
	char *buf;
	uint32_t size;
	uint64_t head;	  /* bytes ever written */
	uint64_t dropped; /* bytes overwritten before anyone read them */
	char line[LOG_LINE_MAX];
	uint32_t linelen;
	uint64_t lines;	     /* complete lines seen */
	uint64_t suppressed; /* lines not forwarded (rate limit), total */
	uint64_t quiet;	     /* ... since the last forwarded line */
	uint64_t tokens_ns;  /* time the tokens were counted at */
	uint32_t tokens;
};

typedef void (*log_emit_fn)(void *ctx, const char *text, size_t len);

void log_init(struct log_ring *r, char *buf, uint32_t size);
/* Appends to the ring (only the last size bytes of a bigger write). */
void log_write(struct log_ring *r, const void *data, size_t len);
/* The last at most max bytes the ring holds; returns how many. */
size_t log_tail(const struct log_ring *r, char *out, size_t max);
/* Splits data into lines and emits each allowed one, formatted. */
void log_lines(struct log_ring *r, const char *data, size_t len,
	       uint64_t now_ns, const char *name, log_emit_fn emit, void *ctx);
/* "[  12.345678] [name] " into out (at least 48 bytes); its length. */
size_t log_prefix(char *out, size_t cap, uint64_t now_ns, const char *name);
