/* Internals of the runtime's BSD sockets (not installed: libs/runtime
 * only). sock_conn.c holds the connection to netd, the socket table and
 * the waits; sock_glue.c the Linux socket calls; sock_poll.c poll and
 * select over every fd kind; sock_ring.c the pure ring code.
 * docs/net-sockets.md.
 *
 * Threads: the socket calls may run on several threads of a task at
 * once. One spin lock (rtsk_lock) guards the fd table's changes, the
 * socket table's reference counts and the connection's handles; each
 * socket's own lock guards its rings and local state. Nothing blocks
 * (no call, no wait) while either is held; the order is rtsk_lock, then a
 * socket's lock. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include <execrt/fd.h>
#include <execrt/net_proto.h>
#include <execrt/runtime.h>

#include "sock_ring.h"

#define RTSK_PROBE_NS (200 * 1000000ull) /* a quiet wait asks netd it lives */

/* ---- locks ---- */
static inline void rtsk_spin_lock(int *l)
{
	while (__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE))
		sys_yield();
}

static inline void rtsk_spin_unlock(int *l)
{
	__atomic_store_n(l, 0, __ATOMIC_RELEASE);
}

/* The runtime's table lock (fd table, socket references, connection). */
void rtsk_lock(void);
void rtsk_unlock(void);

/* ---- one socket (shared by every fd dup'd from it) ---- */
struct execrt_sock {
	int refs;  /* fds + calls in progress (under rtsk_lock) */
	int lock;  /* rings and the fields below */
	bool used; /* table slot taken */
	uint32_t id, gen;
	uint32_t type, domain, proto;
	uint64_t wake_bit;
	handle_t grant;
	uint64_t addr, map_len;
	struct rtsr_sock r;
	unsigned local;		     /* SR_L_* */
	uint64_t rcvtimeo, sndtimeo; /* ns, 0: none */
	bool err_taken;		     /* SO_ERROR / a call reported it */
};

/* ---- sock_conn.c ---- */

/* One call on netd: the request header and data, the answer's header,
 * up to outcap bytes of data and up to two handles. */
struct rtsk_call {
	struct net_req req;
	const void *data;
	void *out;
	uint32_t outcap, outlen;
	handle_t hin; /* moved with the request (0: none) */
	handle_t hout[2];
	uint32_t nhout;
	struct net_resp resp;
};

/* A call on this task's connection, connecting first when needed
 * (for_gen: only on that connection, else ECONNRESET). Returns netd's
 * err (0 or -errno), -ENETDOWN with no netd to reach, -ECONNRESET when
 * the connection is gone. */
#define RTSK_ANY_GEN 0u
long rtsk_call(struct rtsk_call *c, uint32_t for_gen);
/* The current connection (connects): its generation (> 0) or -errno. */
long rtsk_connected(void);
/* Whether socket s's connection is gone (netd died or was dropped). */
bool rtsk_dead(const struct execrt_sock *s);
/* Tells netd to look at the rings (after producing or consuming). */
void rtsk_ring_doorbell(void);

/* The socket table: a free slot with refs 1, or NULL. */
struct execrt_sock *rtsk_alloc(void);
/* The socket behind fd with a reference taken, and the fd's flags. */
struct execrt_sock *rtsk_get(long fd, uint32_t *fd_flags);
void rtsk_ref(struct execrt_sock *s); /* under rtsk_lock */
/* Drops a reference; the last one closes the socket (NET_CLOSE, unmap). */
void rtsk_put(struct execrt_sock *s);

/* Waits for a wake-up of one of `bits` until deadline (absolute ns,
 * DEADLINE_NONE: for ever). 0: woken or a probe found netd alive (check
 * again), -EAGAIN: the deadline passed. A quiet RTSK_PROBE_NS asks netd
 * whether it lives (through probe_sock): if not, its sockets are dead
 * and this returns 0 (the caller sees rtsk_dead). */
long rtsk_wait(uint64_t bits, uint64_t deadline,
	       struct execrt_sock *probe_sock);

uint64_t rtsk_now(void);
/* now + ns, saturating. */
uint64_t rtsk_after(uint64_t ns);

/* ---- sock_glue.c ---- */
unsigned rtsk_events(struct execrt_sock *s); /* poll(2) bits */
