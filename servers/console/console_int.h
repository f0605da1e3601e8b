/* What console.c (the UART, the line discipline's ends, the loop) and
 * console_calls.c (the /svc/console calls) share: the console's state and
 * the helpers both use. One program, single-threaded. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <execrt/sys.h>

#include "ldisc.h"
#include "mirror.h"
#include "proto.h"
#include "rlown.h"
#include "sess.h"
#include "subs.h"
#include "txq.h"

extern handle_t port;
extern struct ldisc ld;
extern struct txq txq;
extern struct con_stats st;
extern handle_t rl_reply; /* the pending readline's reply, or 0 */
extern struct rl_own own; /* whose it is (rlown.h) */
/* The reserved line ended while its owner had no call pending: given to
 * it when it asks again. */
extern bool saved;
extern enum ld_event saved_ev;
extern struct con_subs subs; /* event subscribers (subs.h) */
extern struct con_sess sess; /* sessions and the foreground (sess.h) */
/* A Ctrl-C nobody took: the next subscriber for interrupts gets it. */
extern bool pending_intr;
extern char buf[PORT_MSG_MAX + 1];
extern char out[PORT_MSG_MAX];
extern handle_t mirror; /* the screen's mirror (0: none) */
extern struct con_mirror mbuf;

uint64_t now(void);
void reply_done(long r, handle_t reply);
void readline_end(enum ld_event ev);
bool send_event(unsigned kind, const char *json, int n);
void on_byte(uint8_t c);
bool rx_hold(void);

/* console_calls.c: a call on /svc/console (ports/v0 JSON in buf). */
void on_call(handle_t reply, uint64_t badge, uint64_t task, uint32_t len,
	     handle_t *h, uint32_t nh);
/* The no-senders notice of endpoint `badge` (a session's). */
void on_closed(uint64_t badge);
