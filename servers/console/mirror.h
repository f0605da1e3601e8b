/* The screen terminal's mirror (docs/console.md "Screen terminal"): a
 * bounded buffer of the bytes the UART gets ('\n' as CR LF) on their way
 * to the screen's port. Sending never waits: what the port cannot take
 * now stays for the next turn, and what does not fit in the buffer is
 * dropped and counted, so the screen never slows the serial line. Pure
 * code, host-tested (tests/host/test_console_mirror.c). */
#pragma once
#include <stddef.h>
#include <stdint.h>

#define MIRROR_BUF (16 * 1024)

struct con_mirror {
	char buf[MIRROR_BUF];
	size_t len;
	uint64_t sent, dropped; /* bytes */
};

/* Sends p[0..n): 0 when it went, MIRROR_WAIT when the port is full (try
 * again later), a negative error when the port is gone. */
#define MIRROR_WAIT 1
typedef long (*mirror_send_fn)(void *ctx, const char *p, size_t n);

/* Appends n bytes, '\n' as CR LF; the bytes that do not fit are dropped. */
void mirror_put(struct con_mirror *m, const char *s, size_t n);
/* Sends the buffer in pieces of at most max bytes until the port is full
 * (0, the rest kept) or gone (its error; the buffer is emptied). */
long mirror_flush(struct con_mirror *m, size_t max, mirror_send_fn send,
		  void *ctx);
