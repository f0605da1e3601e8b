/* The console's event subscribers (docs/console.md). Every client holds a
 * send handle with the same badge, so the console cannot tell the shell
 * from a program the shell runs: a subscription must not be able to take
 * Ctrl-C away from another. So there are several (CON_SUBS_MAX), each
 * named by its port's koid: `interrupt` goes to all of them, `key` to the
 * newest that takes it; a subscribe for the same port replaces its own
 * entry, a full table gives up the subscribing session's oldest entry,
 * else the oldest of any session but the controlling one (sess.h): a
 * program with many ports cannot push the shell's out. Only subscribers
 * of the foreground and the controlling session get events (a closed
 * stream is only noticed when an event to it fails). Pure code,
 * host-tested (tests/host/test_console_subs.c). */
#pragma once
#include <stdint.h>

#include "sess.h"

#define CON_SUBS_MAX 8

struct con_sub {
	uint32_t h; /* send handle; 0 = free slot */
	uint64_t koid;
	unsigned events; /* CON_EV_* */
	uint64_t seq;	 /* order of subscription */
	uint64_t sess;	 /* the badge it came through */
};

struct con_subs {
	struct con_sub s[CON_SUBS_MAX];
	uint64_t seq;
};

/* Adds h (its port's koid), subscribed through badge sess: returns the
 * handle the caller must close (the same port's earlier entry, or the one
 * given up when the table was full), or 0. keep: the controlling
 * session's badge (0: none), whose entries only it can push out; when
 * every entry is kept and sess is another, nothing is added and h itself
 * is returned. */
uint32_t subs_add(struct con_subs *t, uint32_t h, uint64_t koid,
		  unsigned events, uint64_t sess, uint64_t keep);
/* Removes the entry of port koid: its handle (to close), or 0. */
uint32_t subs_remove(struct con_subs *t, uint64_t koid);
/* Slots holding `kind` whose session gets events now (ss: NULL, any),
 * newest first, into order[]: their number. */
int subs_order(const struct con_subs *t, unsigned kind,
	       const struct con_sess *ss, int order[CON_SUBS_MAX]);
/* Removes every entry of session sess, closing nothing: their handles
 * into out[], their number. */
int subs_drop_sess(struct con_subs *t, uint64_t sess,
		   uint32_t out[CON_SUBS_MAX]);
/* Entries that take `kind` (any kind: 0). */
int subs_count(const struct con_subs *t, unsigned kind);
