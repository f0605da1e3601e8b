/* Host fixture for netd's socket service (servers/netd/sock*.c): a fake
 * sock_os (handles that must each be closed or moved exactly once,
 * regions the fake client can only touch until they are revoked), lwIP
 * on its loopback interface with a clock the tests advance, and a client
 * that speaks net_proto.h the way the runtime does (requests, rings,
 * doorbells). */
#pragma once
#include <execrt/net_proto.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sock.h"

#define NX_PUBLIC_BADGE 0x77ull
#define NX_RAW_BADGE	0x78ull /* the raw endpoint (/drv/netd-raw) */
#define NX_PARKED	1000 /* nx_req: the call was not answered (yet) */
#define NX_GONE		1001 /* nx_req: the answer found the caller gone */

struct nx_conn {
	uint64_t badge;
	handle_t ep, wake, doorbell;
	uint64_t db_bits;
};

struct nx_sock {
	struct nx_conn *c;
	uint32_t id, type;
	handle_t grant;
	struct net_shm *shm;
	uint8_t *rx, *tx;
	uint32_t rx_size, tx_size;
	uint64_t wake_bit;
};

/* What the last answer carried. */
struct nx_answer {
	int err;
	uint64_t val;
	uint32_t len;
	uint8_t data[4096];
	uint32_t nhandles;
	handle_t handles[8];
};
extern struct nx_answer nx_ans;
extern bool nx_reply_fails; /* the next answers find the caller gone */
extern uint64_t nx_now_ns;
extern bool nx_quiet_reads; /* reads do not ring the doorbell */
extern uint64_t nx_sender;  /* port_rx.sender of the next calls (42) */

/* Fresh socket service on lwIP's loopback; mem_limit 0 = default. */
int nx_setup(uint64_t mem_limit);
/* sock_fini, then every handle netd held must be gone: returns how
 * many were left (0 = clean), and lwIP's pcbs are counted too. */
int nx_teardown(void);
/* Handles netd holds now (port and doorbell excluded). */
int nx_netd_handles(void);

/* lwIP loopback + timers + sock_tick; `ms` milliseconds of fake time
 * in 1 ms steps. */
void nx_run(uint32_t ms);

int nx_connect(struct nx_conn *c);
/* NET_CONNECT through the endpoint with `badge` (NX_RAW_BADGE: raw). */
int nx_connect_via(struct nx_conn *c, uint64_t badge);
/* The client's process ends: its endpoint's last handle goes. */
void nx_disconnect(struct nx_conn *c);
/* A call; returns net_resp.err or NX_PARKED. `reply` (optional) gets
 * the reply handle (parked calls). */
int nx_req(struct nx_conn *c, uint32_t op, uint32_t sock, uint32_t a,
	   uint32_t b, uint32_t cc, const void *data, uint32_t len,
	   handle_t *reply);
/* The answer of a parked call, or 0 if none yet. */
bool nx_answered(handle_t reply);

int nx_socket(struct nx_conn *c, uint32_t type, uint32_t proto,
	      struct nx_sock *s);
int nx_accept(struct nx_sock *lsn, struct nx_sock *s, struct net_addr *peer);
void nx_take_sock(struct nx_conn *c, struct nx_sock *s); /* from nx_ans */
int nx_close(struct nx_sock *s);
struct net_addr nx_addr(uint8_t a, uint8_t b, uint8_t c, uint8_t d,
			uint16_t port);
int nx_bind(struct nx_sock *s, uint16_t port);
int nx_listen(struct nx_sock *s, uint32_t backlog);
int nx_connect_to(struct nx_sock *s, uint16_t port);
int nx_setopt_int(struct nx_sock *s, uint32_t level, uint32_t name, int v);
int nx_getopt_int(struct nx_sock *s, uint32_t level, uint32_t name, int *v);

bool nx_mapped(const struct nx_sock *s); /* false once revoked */
uint32_t nx_state(const struct nx_sock *s);
void nx_doorbell(struct nx_conn *c);
/* Stream: as much as fits / is there; rings the doorbell. */
uint32_t nx_write(struct nx_sock *s, const void *buf, uint32_t n);
uint32_t nx_read(struct nx_sock *s, void *buf, uint32_t n);
/* Datagram records; nx_recvfrom returns the length or -1 (none). */
bool nx_sendto(struct nx_sock *s, const void *buf, uint32_t n,
	       const struct net_addr *to);
int nx_recvfrom(struct nx_sock *s, void *buf, uint32_t cap,
		struct net_addr *from);
/* Wake-up bits signalled on the connection's notification (cleared). */
uint64_t nx_wakes(struct nx_conn *c);
