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

#define FX_PUBLIC_BADGE 0x77ull
#define FX_PARKED	1000 /* fx_req: the call was not answered (yet) */

struct fx_conn {
	uint64_t badge;
	handle_t ep, wake, doorbell;
	uint64_t db_bits;
};

struct fx_sock {
	struct fx_conn *c;
	uint32_t id, type;
	handle_t grant;
	struct net_shm *shm;
	uint8_t *rx, *tx;
	uint32_t rx_size, tx_size;
	uint64_t wake_bit;
};

/* What the last answer carried. */
struct fx_answer {
	int err;
	uint64_t val;
	uint32_t len;
	uint8_t data[4096];
	uint32_t nhandles;
	handle_t handles[8];
};
extern struct fx_answer fx_ans;
extern bool fx_reply_fails; /* the next answers find the caller gone */
extern uint64_t fx_now_ns;

/* Fresh socket service on lwIP's loopback; mem_limit 0 = default. */
int fx_setup(uint64_t mem_limit);
/* sock_fini, then every handle netd held must be gone: returns how
 * many were left (0 = clean), and lwIP's pcbs are counted too. */
int fx_teardown(void);
/* Handles netd holds now (port and doorbell excluded). */
int fx_netd_handles(void);

/* lwIP loopback + timers + sock_tick; `ms` milliseconds of fake time
 * in 1 ms steps. */
void fx_run(uint32_t ms);

int fx_connect(struct fx_conn *c);
/* The client's process ends: its endpoint's last handle goes. */
void fx_disconnect(struct fx_conn *c);
/* A call; returns net_resp.err or FX_PARKED. `reply` (optional) gets
 * the reply handle (parked calls). */
int fx_req(struct fx_conn *c, uint32_t op, uint32_t sock, uint32_t a,
	   uint32_t b, uint32_t cc, const void *data, uint32_t len,
	   handle_t *reply);
/* The answer of a parked call, or 0 if none yet. */
bool fx_answered(handle_t reply);

int fx_socket(struct fx_conn *c, uint32_t type, uint32_t proto,
	      struct fx_sock *s);
int fx_accept(struct fx_sock *lsn, struct fx_sock *s, struct net_addr *peer);
void fx_take_sock(struct fx_conn *c, struct fx_sock *s); /* from fx_ans */
int fx_close(struct fx_sock *s);
struct net_addr fx_addr(uint8_t a, uint8_t b, uint8_t c, uint8_t d,
			uint16_t port);
int fx_bind(struct fx_sock *s, uint16_t port);
int fx_listen(struct fx_sock *s, uint32_t backlog);
int fx_connect_to(struct fx_sock *s, uint16_t port);
int fx_setopt_int(struct fx_sock *s, uint32_t level, uint32_t name, int v);
int fx_getopt_int(struct fx_sock *s, uint32_t level, uint32_t name, int *v);

bool fx_mapped(const struct fx_sock *s); /* false once revoked */
uint32_t fx_state(const struct fx_sock *s);
void fx_doorbell(struct fx_conn *c);
/* Stream: as much as fits / is there; rings the doorbell. */
uint32_t fx_write(struct fx_sock *s, const void *buf, uint32_t n);
uint32_t fx_read(struct fx_sock *s, void *buf, uint32_t n);
/* Datagram records; fx_recvfrom returns the length or -1 (none). */
bool fx_sendto(struct fx_sock *s, const void *buf, uint32_t n,
	       const struct net_addr *to);
int fx_recvfrom(struct fx_sock *s, void *buf, uint32_t cap,
		struct net_addr *from);
/* Wake-up bits signalled on the connection's notification (cleared). */
uint64_t fx_wakes(struct fx_conn *c);
