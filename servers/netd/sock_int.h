/* The socket service's internals, shared by servers/netd/sock*.c.
 *
 * Lifetime: a connection (struct sconn) lives from NET_CONNECT to its
 * no-senders notice (or sock_fini). A socket (struct sock) lives from
 * NET_SOCKET/NET_ACCEPT until NET_CLOSE, its connection's end, or, for
 * a TCP socket closed with data still in its tx ring, until that data is
 * in lwIP (lingering: no connection, the client's mapping revoked). A
 * socket freed while lwIP might still call back has its pcb's arg and
 * callbacks cleared first; sockets are freed only outside lwIP
 * callbacks (sk_reap, from every entry point), so a callback never sees
 * freed memory.
 *
 * Client memory: the region is netd's; the client may write anything
 * into it at any time. Its two counters are read once per scan
 * (sk_read_counters) and checked against what netd knows; nonsense
 * closes the socket with EINVAL. Every other header field netd reads
 * comes from its own copy. */
#pragma once
#include <execrt/net_proto.h>
#include <stdbool.h>
#include <stdint.h>

#include "lwip/ip_addr.h"
#include "lwip/pbuf.h"
#include "sock.h"
#include "sock_os.h"

struct tcp_pcb;
struct udp_pcb;
struct raw_pcb;

/* Linux errno values (what the runtime hands to musl). */
enum {
	NE_EPERM = 1,
	NE_ENOENT = 2,
	NE_EBADF = 9,
	NE_EAGAIN = 11,
	NE_ENOMEM = 12,
	NE_EINVAL = 22,
	NE_EMFILE = 24,
	NE_EPIPE = 32,
	NE_EDESTADDRREQ = 89,
	NE_EMSGSIZE = 90,
	NE_ENOPROTOOPT = 92,
	NE_EPROTONOSUPPORT = 93,
	NE_EOPNOTSUPP = 95,
	NE_EAFNOSUPPORT = 97,
	NE_EADDRINUSE = 98,
	NE_EADDRNOTAVAIL = 99,
	NE_ENETUNREACH = 101,
	NE_ECONNABORTED = 103,
	NE_ECONNRESET = 104,
	NE_ENOBUFS = 105,
	NE_EISCONN = 106,
	NE_ENOTCONN = 107,
	NE_ETIMEDOUT = 110,
	NE_ECONNREFUSED = 111,
	NE_EHOSTUNREACH = 113,
	NE_EALREADY = 114,
	NE_EINPROGRESS = 115,
};

#define SK_AF_UNSPEC	0
#define SK_AF_INET	2
#define SK_AF_INET6	10
#define SK_STREAM	1
#define SK_DGRAM	2
#define SK_RAW		3
#define SK_IPPROTO_ICMP 1
#define SK_IPPROTO_TCP	6
#define SK_IPPROTO_UDP	17

#define SK_PAGE		    4096u
#define SK_LINGER_MAX_NS    (60ull * 1000000000ull) /* default linger bound */
#define SK_RESOLVE_NS	    (5ull * 1000000000ull)
#define SK_RETRY_NS	    (20ull * 1000000ull) /* stalled sockets */
#define SK_CONNS_PER_TASK   4u			 /* a process needs one */
#define SK_RESOLVE_PER_TASK 2u			 /* lwIP's DNS table is 8 */
#define SK_RESOLVE_MAX	    32u
#define SK_BACKLOG_MAX	    128u

/* Per client task shares of lwIP's pools and heap (sock_task.c). TCP:
 * half of the pool (httpd's 200 connections plus its backlog fit; the
 * other half stays for every other task); listeners, UDP and raw: a
 * quarter (at least four tasks at their cap). lwIP's heap holds the
 * bytes tcp_write copied until they are acked: an eighth per task (4
 * full 128 KiB send windows; seven tasks at their share, with segment
 * headers, still leave room). */
#define SK_CAP_TCP	 (MEMP_NUM_TCP_PCB / 2u)
#define SK_CAP_LISTEN	 (MEMP_NUM_TCP_PCB_LISTEN / 4u)
#define SK_CAP_UDP	 (MEMP_NUM_UDP_PCB / 4u)
#define SK_CAP_RAW	 (MEMP_NUM_RAW_PCB / 4u)
#define SK_LWIP_TX_SHARE ((uint64_t)MEM_SIZE / 8u)
/* Received TCP bytes copied into netd's chunks: a quarter of them per
 * task (16 connections' full 128 KiB windows). */
#define SK_RXBUF_TASK (SK_RXBUF_MAX / 4u)
enum { SK_POOL_TCP, SK_POOL_LISTEN, SK_POOL_UDP, SK_POOL_RAW, SK_POOLS };
#define SK_POOL_NONE 0xffu

/* One client task (port_rx.sender): what its connections and sockets,
 * lingering ones too, hold. Lives while refs > 0. */
struct sk_task {
	struct sk_task *next;
	uint64_t sender;
	uint32_t refs; /* connections, sockets, waiting connections */
	uint32_t pcbs[SK_POOLS];
	uint64_t mem;	  /* bytes of its sockets' regions */
	uint64_t lwip_tx; /* bytes of its TCP pcbs in lwIP's heap */
	uint64_t rxbuf;	  /* bytes of its sockets' received-data chunks */
};

struct sconn;

/* Received TCP data not yet in the rx ring, COPIED out of lwIP's pbufs
 * into chunks of netd's heap: a peer sending tiny segments must not pin
 * lwIP's frame pool (a pbuf per byte), only bytes, bounded by lwIP's
 * window per socket and by SK_RXBUF_MAX for all sockets. */
#define SK_RXQ	     12
#define SK_CHUNK     16384u
#define SK_RXBUF_MAX (8u << 20)
struct sk_chunk {
	uint32_t len; /* bytes filled */
	uint8_t data[SK_CHUNK];
};
struct sk_rxq {
	struct sk_task *task; /* charged for the chunks (its owner's) */
	struct sk_chunk *q[SK_RXQ];
	uint8_t head, n;
	uint32_t off; /* read position in the head chunk */
};

/* A connection lwIP accepted that the client has not taken yet. */
struct sk_pending {
	struct sk_pending *next;
	struct sock *lsn;    /* NULL once the listener is gone */
	struct tcp_pcb *pcb; /* NULL: reset before it was accepted */
	struct sk_rxq rx;    /* data that came before NET_ACCEPT */
	bool fin;
	struct sk_task *task; /* the listener's, charged one TCP pcb */
};

struct sock {
	struct sconn *conn;   /* NULL once closed by the client (lingering) */
	struct sk_task *task; /* until freed (lingering too) */
	uint8_t pool;	      /* the pool its pcb is charged to, or NONE */
	uint32_t lwip_tx;     /* bytes of it in lwIP's heap (task's sum) */
	uint32_t id;	      /* (seq << 8) | slot on the connection */
	uint8_t type;	      /* SK_STREAM, SK_DGRAM, SK_RAW */
	uint8_t proto;	      /* IP protocol of a raw/ICMP socket */
	bool icmp_dgram;      /* SOCK_DGRAM + IPPROTO_ICMP: no IP header */
	uint16_t echo_id; /* a ping socket's ICMP id (host order), 0: none */
	bool dead;	  /* to be freed by sk_reap */
	struct sock *next_dead;

	struct sock_region reg;
	handle_t client_grant; /* until the answer moves it to the client */
	struct net_shm *shm;
	uint8_t *rx, *tx;
	uint32_t rx_size, tx_size;

	/* What netd knows of the rings (the shm holds copies). */
	uint64_t rx_head, tx_tail;
	uint64_t rx_tail, tx_head; /* last values from the client, checked */
	uint32_t state;
	int error;
	bool hostile;

	union {
		struct tcp_pcb *tcp;
		struct udp_pcb *udp;
		struct raw_pcb *raw;
		void *any;
	} pcb;

	/* TCP */
	struct sk_rxq rx_pend; /* received, not yet in the rx ring */
	bool fin;	       /* FIN received (RX_EOF once rx_pend is empty) */
	bool shut_rd, shut_wr, shut_wr_done;
	bool listening;
	uint64_t linger_deadline;
	uint32_t backlog, npending;
	struct sk_pending *pend_head, *pend_tail;

	/* UDP/RAW: a default peer (NET_CONNECT_TO) */
	bool has_peer;
	ip_addr_t peer;
	uint16_t peer_port;
	uint64_t drops;

	/* options */
	bool reuseaddr, keepalive, nodelay, broadcast;
	bool linger_on;
	int linger_secs;
	uint32_t rcvbuf, sndbuf; /* next ring sizes (inherited by accept) */
	int ttl, tos;
	uint32_t keepidle, keepintvl, keepcnt; /* TCP_KEEP*: 0 = lwIP's */
	uint64_t rcvtimeo[2], sndtimeo[2];     /* kept for getsockopt only */

	/* on the stalled list: waits for lwIP room or the client */
	bool stalled;
	struct sock *next_stalled;
	/* on the lingering list (conn == NULL, data still to send) */
	bool lingering;
	struct sock *next_linger;
};

struct sk_resolve {
	bool used;
	uint16_t gen;
	struct sconn *conn;
	handle_t reply;
	uint64_t deadline;
	uint32_t family;
};

struct sconn {
	bool used;
	uint16_t slot, gen;
	uint64_t badge;
	uint64_t sender;
	bool raw; /* made through the raw endpoint: SOCK_RAW allowed */
	struct sk_task *task;
	handle_t wake; /* the client's notification (SIGNAL) */
	uint64_t wake_pending;
	uint32_t nsocks, seq, nresolve;
	uint32_t top; /* highest slot in use + 1 (doorbell scans stop there) */
	struct sock *socks[NET_SOCKS_PER_CONN];
};

struct sk_globals {
	struct sock_config cfg;
	struct sconn *conns;
	uint32_t nconns;
	/* conns with wake_pending set, a bit each: a flush visits those
	 * only (it runs at the end of every entry point) */
	uint64_t *wake_map;
	uint64_t mem_used;
	uint64_t now;
	struct sock *dead_list;
	struct sock *stalled_list;
	struct sock *linger_list;
	struct sk_resolve resolves[SK_RESOLVE_MAX];
	struct sock_stats st;
	bool inited;
	/* Inside a sock_* entry point (wakes are flushed when it returns);
	 * otherwise lwIP is calling back from netd's own polling and a
	 * zero-delay lwIP timer flushes (flush_armed). */
	uint32_t in_entry;
	bool flush_armed;
	uint64_t rxbuf_used; /* bytes of sk_chunks, all sockets */
	struct sk_task *tasks;
	/* The doorbell scan (sock_scan.c): groups rung and not yet begun,
	 * the group being scanned and where. */
	uint8_t echo_ids[65536 / 8]; /* ping sockets' ids in use */
	uint16_t echo_next;
	uint64_t scan_todo;
	bool scan_active;
	uint32_t scan_conn, scan_slot, scan_next;
};
extern struct sk_globals sk_g;

/* sock_table.c: sockets, regions, state publication. */
struct sock *sk_alloc(struct sconn *c, uint8_t type, uint32_t rx_size,
		      uint32_t tx_size, int *err);
struct sock *sk_lookup(struct sconn *c, uint32_t id);
/* The client closed it (or its connection ended): leave the table and
 * revoke. TCP data left in the tx ring may linger (sock_tcp.c). */
void sk_detach(struct sock *s);
void sk_kill(struct sock *s); /* free at the next sk_reap */
void sk_reap(void);
void sk_publish(struct sock *s); /* shm counters + state, wake the client */
void sk_set_state(struct sock *s, uint32_t set, uint32_t clear);
void sk_set_error(struct sock *s, int err); /* positive errno */
/* Nonsense from the client: close the socket with EINVAL. */
void sk_hostile(struct sock *s);
/* Reads rx_tail and tx_head once and checks them against what netd
 * produced and took; false (and the socket closed): nonsense. */
bool sk_read_counters(struct sock *s, uint64_t *rx_tail, uint64_t *tx_head);
void sk_stall(struct sock *s);
void sk_flush_wakes(void);
void sk_enter(void);
void sk_leave(void); /* reaps, flushes the wakes */
void sk_disarm_flush(void);
void sk_info(const struct sock *s, struct net_sock_info *out);
/* Another task's socket holds port on an overlapping address. */
bool sk_port_taken(const struct sock *me, const ip_addr_t *ip, uint16_t port);
uint32_t sk_ring_size(uint32_t want);

/* sock_task.c: per-task shares. */
struct sk_task *sk_task_get(uint64_t sender); /* a reference; NULL: ENOMEM */
void sk_task_ref(struct sk_task *t);
void sk_task_put(struct sk_task *t);
bool sk_task_charge(struct sk_task *t, uint8_t pool); /* false: at its cap */
void sk_task_uncharge(struct sk_task *t, uint8_t pool);
bool sk_charge(struct sock *s, uint8_t pool); /* moves s's charge */
void sk_uncharge(struct sock *s);	      /* its pcb is gone */
void sk_tx_sync(struct sock *s);	      /* s->lwip_tx from its pcb */
uint32_t sk_tx_room(const struct sock *s);    /* its task's heap share left */

/* sock_scan.c: doorbell scans within a budget per pass. */
bool sk_scan_run(void); /* true: work left for the next pass */

/* sock_conn.c: the client's counters -> lwIP and back, then publish. */
void sk_service(struct sock *s);
/* sock_conn.c: an answer (net_resp + data + handles); < 0: not given,
 * the handles stay with netd. */
int sk_reply(handle_t reply, int err, uint64_t val, const void *data,
	     uint32_t len, const handle_t *h, uint32_t nh);

/* sock_addr.c: struct net_addr <-> lwIP. */
int sk_addr_from(const struct net_addr *a, ip_addr_t *ip, uint16_t *port);
void sk_addr_to(struct net_addr *a, const ip_addr_t *ip, uint16_t port);
int sk_err_from_lwip(int8_t err);
/* The any address, loopback, or an address of one of netd's interfaces. */
bool sk_addr_is_local(const ip_addr_t *ip);

/* sock_tcp.c */
int sk_tcp_new(struct sock *s);
int sk_tcp_bind(struct sock *s, const ip_addr_t *ip, uint16_t port);
int sk_tcp_listen(struct sock *s, uint32_t backlog);
int sk_tcp_connect(struct sock *s, const ip_addr_t *ip, uint16_t port);
/* NET_ACCEPT: 0 and *out (with *peer) or a negative errno. */
int sk_tcp_accept(struct sock *lsn, struct sconn *c, struct sock **out,
		  struct net_addr *peer);
int sk_tcp_shutdown(struct sock *s, uint32_t how);
void sk_tcp_close(struct sock *s);   /* client's close: linger or abort */
void sk_tcp_abort(struct sock *s);   /* connection end */
void sk_tcp_service(struct sock *s); /* tx ring -> lwIP, lwIP -> rx ring */
void sk_tcp_linger_tick(void);
/* Frees every chain; returns the bytes they held. */
uint64_t sk_rxq_drop(struct sk_rxq *r);
int sk_tcp_getname(struct sock *s, int peer, struct net_addr *a);
/* Shared by sock_tcp.c (data side) and sock_tcp_lsn.c (listen/accept). */
void sk_tcp_pcb_attach(struct sock *s, struct tcp_pcb *pcb);
void sk_tcp_pump_rx(struct sock *s);
bool sk_tcp_take_rx(struct sock *s, struct sk_rxq *r, struct pbuf *p);
void sk_tcp_abort_pending(struct sock *lsn);

/* sock_dgram.c: UDP and raw (ICMP) sockets. */
int sk_dgram_new(struct sock *s, uint8_t type, uint32_t proto);
int sk_dgram_bind(struct sock *s, const ip_addr_t *ip, uint16_t port);
int sk_dgram_connect(struct sock *s, const struct net_addr *a);
void sk_dgram_close(struct sock *s);
void sk_dgram_service(struct sock *s);
int sk_dgram_getname(struct sock *s, int peer, struct net_addr *a);

/* sock_opt.c */
int sk_setopt(struct sock *s, uint32_t level, uint32_t name, const void *v,
	      uint32_t len);
int sk_getopt(struct sock *s, uint32_t level, uint32_t name, void *v,
	      uint32_t *len);
void sk_opts_apply(struct sock *s); /* options set before the pcb */

/* sock_dns.c */
void sk_resolve(struct sconn *c, handle_t reply, const char *name,
		uint32_t family);
void sk_resolve_tick(void);
void sk_resolve_drop_conn(struct sconn *c);
void sk_iflist(handle_t reply);
