/* A fake netd for the runtime's socket tests (t_sock.c): a thread of the
 * test task serving the client side of include/execrt/net_proto.h as
 * netd would (NET_CONNECT, NET_SOCKET with real grants, NET_CONNECT_TO,
 * NET_CLOSE with a revoke, NET_RESOLVE, options, names), with an echo
 * behind every connected socket: stream bytes and datagram records that
 * the client puts into its tx ring come back in its rx ring. It can die
 * (its port closed, as a killed netd's) and lie (counters out of range).
 * No lwIP: it tests the runtime, not netd. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include <execrt/net_proto.h>
#include <execrt/types.h>

#include "gutil.h"

#define FN_SOCKS     8
#define FN_RING	     4096u
#define FN_SHM	     (4096u + 2 * FN_RING)
#define FN_BELL_BITS 2u /* what the client rings */

struct fn_sock {
	bool used;
	uint32_t type;
	handle_t grant; /* ours, with MANAGE (revoke) */
	struct net_shm *shm;
	uint64_t wake_bit;
	bool hold; /* echo nothing (the client's reads then block) */
};

struct fnetd {
	handle_t recv, pub;   /* pub: the endpoint registered as /svc/netd */
	handle_t bell;	      /* our doorbell notification (port bit 1) */
	handle_t client_wake; /* the client's notification (SIGNAL) */
	handle_t conn_send;   /* kept to close at the end */
	struct gthread th;
	int stop, die; /* set by the test */
	int hostile;   /* next rx: counters past the ring */
	int calls[16]; /* per op */
	int doorbells; /* times the client rang */
	struct fn_sock s[FN_SOCKS];
};

/* Starts the thread and registers /svc/netd (names through cl_*). */
long fnetd_start(struct fnetd *f);
/* netd dies: its port closed, nothing answered or echoed any more (the
 * regions stay mapped in the client, as a dead netd's would). */
void fnetd_die(struct fnetd *f);
/* Stops (if running) and frees everything (revokes, closes). */
void fnetd_stop(struct fnetd *f);
/* The number of sockets the fake holds open. */
int fnetd_open_socks(struct fnetd *f);
