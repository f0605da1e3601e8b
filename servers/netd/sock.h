/* netd's socket service: the server side of include/execrt/net_proto.h.
 *
 * netd's main loop (main.c, room net-lwip) owns the port, the doorbell
 * notification and lwIP; it calls these functions from its one thread,
 * the only thread that touches lwIP (NO_SYS=1). The socket code never
 * blocks and never receives: it answers calls (or parks them, for
 * NET_RESOLVE), signals clients' wake-up notifications and grants
 * regions through sock_os.h.
 *
 * Badges: main.c mints the public endpoint (/svc/netd) with a badge of
 * its choice and passes it in sock_config; the socket code mints one
 * endpoint per connection with a badge for which sock_owns_badge() is
 * true (tag SOCK_BADGE_TAG in the top 16 bits), minted with
 * PORT_MINT_NOTIFY_CLOSED. main.c routes:
 *   - a no-senders notice (PORT_RX_CLOSED) with such a badge
 *     -> sock_on_closed(badge);
 *   - a message on the public or raw badge whose first byte is not '{',
 *     or any message with a sock badge -> sock_on_request();
 *   - doorbell bits 16..63 (SOCK_DOORBELL_MASK) -> sock_on_doorbell();
 *   - every loop iteration, after sys_check_timeouts() and device input
 *     -> sock_tick(now), whose result bounds the next wait.
 *
 * Ownership: sock_on_request() consumes the reply handle and every
 * handle attached to the message (answered, parked, or closed), also on
 * errors. main.c must receive WITHOUT PORT_RX_IMPLICIT_REPLY for these
 * messages (a NET_RESOLVE answer is given after later receives), or dup
 * REPLY_IMPLICIT into a real reply handle before calling. */
#pragma once
#include <execrt/net_proto.h>
#include <execrt/types.h>
#include <stdbool.h>
#include <stddef.h>

#define SOCK_BADGE_TAG	   (0x534bull << 48) /* "SK": connection badges */
#define SOCK_BADGE_MASK	   (0xffffull << 48)
#define SOCK_DOORBELL_BIT0 16u
#define SOCK_DOORBELL_MASK (~0xffffull) /* bits 16..63: client groups */

struct sock_config {
	handle_t port;	   /* netd's receive side (MANAGE: mints endpoints) */
	handle_t doorbell; /* netd's notification (DUPLICATE: a SIGNAL-only
			      copy goes to each client) */
	uint64_t public_badge; /* badge of the /svc/netd endpoint */
	uint64_t raw_badge; /* of NET_RAW_SVC_NAME's (raw sockets); 0: none */
	uint64_t mem_limit; /* bytes of socket regions, all clients;
			       0 = a default (16 MiB) */
	uint32_t max_conns; /* 0 = a default (64) */
};

/* The message as netd received it (port_rx fields). */
struct sock_msg {
	uint64_t badge;
	uint64_t sender; /* port_rx.sender: the client's task koid */
	const void *data;
	uint32_t len;
	uint32_t nhandles;
	const handle_t *handles;
	handle_t reply; /* 0 for a plain send (then nothing is answered) */
};

/* Counters for netd's JSON `status`. */
struct sock_stats {
	uint32_t conns, socks;
	uint64_t mem_used, mem_limit; /* bytes of socket regions */
	uint64_t tcp_active, udp_active, raw_active;
	uint64_t rx_bytes, tx_bytes; /* through the rings since start */
	uint64_t refused;     /* requests refused for limits (EMFILE/ENOBUFS) */
	uint64_t hostile;     /* sockets closed for nonsense counters */
	uint64_t dgram_drops; /* datagrams dropped (full rx ring, no route) */
};

/* Call once, after lwip_init() and before the first receive. 0 or a
 * negative errno. */
int sock_init(const struct sock_config *cfg);
/* Closes every connection and socket (aborts TCP, revokes grants, ends
 * parked calls). For tests and an orderly exit. */
void sock_fini(void);

bool sock_owns_badge(uint64_t badge);
void sock_on_request(const struct sock_msg *m);
void sock_on_closed(uint64_t badge);
void sock_on_doorbell(uint64_t bits);
/* Work that waits for time or for lwIP to have room (tx retries, linger,
 * NET_RESOLVE deadlines). Returns the absolute time (ns) at which it
 * wants to be called again, DEADLINE_NONE when it has no such need. */
uint64_t sock_tick(uint64_t now_ns);
void sock_get_stats(struct sock_stats *out);

/* What one client task holds (tests, status): lwIP pcbs per pool, region
 * bytes, bytes in lwIP's heap. false (all zero): nothing. */
struct sock_task_use {
	uint32_t tcp, listen, udp, raw;
	uint64_t mem, lwip_tx, rxbuf;
};
bool sock_task_usage(uint64_t sender, struct sock_task_use *out);

/* Provided by netd's interface code (room net-lwip, netif glue): fill at
 * most `max` entries, return how many interfaces exist (may be > max). */
uint32_t netd_if_list(struct net_ifinfo *out, uint32_t max);
