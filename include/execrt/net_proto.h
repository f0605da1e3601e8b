/* The socket protocol of /svc/netd (docs/net.md "Sockets" has the rules;
 * this file is the wire format). Served by netd (servers/netd); spoken by
 * the runtime's BSD socket layer (libs/runtime), so ordinary programs use
 * socket(2) and friends through musl.
 *
 * Binary like /svc/display: every request is a port_call whose message is
 * a struct net_req followed by `len` bytes of data, every answer a struct
 * net_resp followed by `len` bytes of data, handles attached as the op
 * says. A message starting with '{' is a ports/v0 JSON request (`ping`,
 * `status`, `ifconfig`), so no op has 0x7b in its low byte.
 * Little-endian; every struct has a fixed size.
 *
 * Two kinds of endpoint, both minted by netd on its one port:
 *  - the public endpoint (registered as /svc/netd): NET_CONNECT and the
 *    JSON requests;
 *  - a connection (the answer of NET_CONNECT, one per client process):
 *    everything else. netd learns that a connection ended from the
 *    kernel's no-senders notice and closes every socket it held (TCP
 *    connections are aborted, their grants revoked).
 *
 * Data never goes through port messages: each socket has a region of
 * netd's memory granted to the client (struct net_shm and two rings).
 * The client writes into the tx ring and rings netd's doorbell; netd
 * writes into the rx ring, updates the state word and signals the
 * client's wake-up notification. poll() reads state words only.
 *
 * Memory: socket regions come from netd's quota, bounded per connection
 * (NET_SOCKS_PER_CONN) and in total (netd's own quota): a client cannot
 * make netd allocate without limit, and a client cannot revoke what netd
 * maps.
 *
 * Errors: net_resp.err is 0 or a negative Linux errno value (the runtime
 * passes it to musl as is): EINVAL, EBADF (unknown socket id),
 * EAFNOSUPPORT, EPROTONOSUPPORT, EADDRINUSE, EADDRNOTAVAIL, ECONNREFUSED,
 * ECONNRESET, ENOTCONN, EISCONN, EAGAIN (nothing to accept yet), EMFILE
 * (NET_SOCKS_PER_CONN, or the client task's share of netd's sockets),
 * ENOBUFS (netd's quota), EPERM (SOCK_RAW without the raw right,
 * NET_RAW_SVC_NAME), ENETUNREACH, ETIMEDOUT, EOPNOTSUPP, ENOENT/EAI-like
 * failures of NET_RESOLVE as -ENOENT. */
#pragma once
#include <execrt/types.h>

#define NET_SVC_NAME	  "/svc/netd"
/* The same service for programs with the right to raw IPv4 sockets (as
 * Linux's CAP_NET_RAW): a connection made through this endpoint may open
 * SOCK_RAW sockets, one made through /svc/netd gets -EPERM (ping sockets,
 * SOCK_DGRAM + IPPROTO_ICMP, need no right). Under /drv/, so only a
 * manifest's `lookup /drv/netd-raw` reaches it. */
#define NET_RAW_SVC_NAME  "/drv/netd-raw"
#define NET_PROTO_VERSION 1u

#define NET_SOCKS_PER_CONN 256u	     /* open sockets per connection */
#define NET_RING_MIN	   4096u     /* bytes, per ring, power of two */
#define NET_RING_MAX	   (1u << 20)
#define NET_RING_DEFAULT   (64u << 10) /* SO_SNDBUF/SO_RCVBUF default */
#define NET_NAME_MAX	   256u	     /* NET_RESOLVE host name, with NUL */
#define NET_ADDRS_MAX	   16u	     /* addresses per NET_RESOLVE answer */

enum net_op {
	/* public: a = NET_PROTO_VERSION; handles[0] = the client's wake-up
	 * notification (SIGNAL is all netd needs). Answer: val = connection
	 * id, data: struct net_conn_info; handles[0] = the connection's send
	 * endpoint, handles[1] = netd's doorbell notification (SIGNAL only). */
	NET_CONNECT = 1,
	/* a = domain (AF_INET 2, AF_INET6 10), b = type (SOCK_STREAM 1,
	 * SOCK_DGRAM 2, SOCK_RAW 3; without the NONBLOCK/CLOEXEC flags: the
	 * runtime keeps those), c = protocol. Answer: val = socket id, data:
	 * struct net_sock_info, handles[0] = the socket's region (a grant:
	 * READ | WRITE | MAP, no MANAGE). */
	NET_SOCKET = 2,
	/* sock, data: struct net_addr. */
	NET_BIND = 3,
	/* sock, a = backlog. */
	NET_LISTEN = 4,
	/* sock (listening). Answer as NET_SOCKET for the new socket, data:
	 * struct net_sock_info then struct net_addr (the peer). -EAGAIN when
	 * nothing is pending (the client waits for NET_ST_ACCEPTABLE). */
	NET_ACCEPT = 5,
	/* sock, data: struct net_addr. TCP: starts the handshake and
	 * answers at once (0); the client waits for NET_ST_CONNECTED or
	 * NET_ST_ERROR. UDP/RAW: sets the default peer (AF_UNSPEC clears). */
	NET_CONNECT_TO = 6,
	/* sock, a = SHUT_RD 0 / SHUT_WR 1 / SHUT_RDWR 2. SHUT_WR sends FIN
	 * once the tx ring has drained. */
	NET_SHUTDOWN = 7,
	/* sock. The region's grant is revoked; TCP data still in the tx ring
	 * is sent (lingering in netd), unless SO_LINGER 0 says abort. */
	NET_CLOSE = 8,
	/* sock, a = level, b = optname, data: the value (int or struct
	 * linger/timeval as Linux lays them out). */
	NET_SETSOCKOPT = 9,
	/* sock, a = level, b = optname. Answer data: the value. */
	NET_GETSOCKOPT = 10,
	/* sock, a = 0: local address, 1: peer. Answer data: struct
	 * net_addr (-ENOTCONN for a peer not set). */
	NET_GETNAME = 11,
	/* data: the host name, NUL-terminated; a = family wanted (AF_UNSPEC
	 * 0, AF_INET, AF_INET6). Numeric names are parsed by netd too. Parks
	 * the call until netd's DNS client answers (at most 5 s). Answer: val
	 * = count, data: struct net_addr[count]. */
	NET_RESOLVE = 12,
	/* Answer: val = count, data: struct net_ifinfo[count]. */
	NET_IFLIST = 13,
};

/* Socket state bits (net_shm.state), written by netd only. */
#define NET_ST_CONNECTED  (1u << 0) /* TCP established / peer set */
#define NET_ST_LISTENING  (1u << 1)
#define NET_ST_ACCEPTABLE (1u << 2) /* a connection waits in the backlog */
#define NET_ST_RX_EOF	  (1u << 3) /* the peer sent FIN (after rx data) */
#define NET_ST_ERROR	  (1u << 4) /* net_shm.error holds the errno */
#define NET_ST_CLOSED	  (1u << 5) /* reset/aborted: no more tx */
#define NET_ST_CONNECTING (1u << 6)

struct net_req {
	uint32_t op; /* enum net_op */
	uint32_t sock;
	uint32_t a, b, c;
	uint32_t len; /* data bytes after this header */
};

struct net_resp {
	int32_t err;  /* 0 or -errno (Linux values) */
	uint32_t len; /* data bytes after this header */
	uint64_t val;
};

/* An address as sockaddr_in/sockaddr_in6 carry it, network byte order
 * in `port` and `addr` (IPv4: addr[0..3]). */
struct net_addr {
	uint16_t family; /* AF_INET, AF_INET6, AF_UNSPEC */
	uint16_t port;	 /* network byte order */
	uint32_t scope;	 /* IPv6 scope id, else 0 */
	uint8_t addr[16];
};

struct net_conn_info {
	uint64_t doorbell_bits; /* what the client signals on netd's doorbell */
};

struct net_sock_info {
	uint32_t sock;	   /* id on this connection */
	uint32_t type;	   /* SOCK_STREAM, SOCK_DGRAM, SOCK_RAW */
	uint64_t wake_bit; /* the bit netd signals on the client's
			      notification when this socket's state changes */
	uint32_t rx_size;  /* ring sizes in bytes (powers of two) */
	uint32_t tx_size;
	uint32_t shm_size; /* the whole region: header page + both rings */
	uint32_t pad;
};

/* The socket region: one header page, then the rx ring (rx_size bytes),
 * then the tx ring (tx_size bytes). Counters run free (uint64_t bytes
 * ever produced/consumed); a ring's fill is head - tail. Each side writes
 * only its own fields, reads the other's once and checks them (netd never
 * trusts tx_head or rx_tail beyond the ring's size: a bad value closes
 * the socket with EINVAL). */
#define NET_SHM_MAGIC 0x4b434f53u /* "SOCK" */
struct net_shm {
	uint32_t magic;
	uint32_t version; /* NET_PROTO_VERSION */
	uint32_t rx_size, tx_size;
	/* written by netd (its own cache line) */
	volatile uint32_t state; /* NET_ST_* */
	volatile int32_t error;	 /* positive errno when NET_ST_ERROR */
	volatile uint32_t accept_pending;
	uint32_t pad0;
	volatile uint64_t rx_head; /* bytes netd put in the rx ring */
	volatile uint64_t tx_tail; /* bytes netd took from the tx ring */
	uint8_t pad1[64 - 40];
	/* written by the client */
	volatile uint64_t rx_tail; /* bytes the client took from rx */
	volatile uint64_t tx_head; /* bytes the client put in tx */
};

/* Datagram and raw sockets: each ring holds records, a net_dgram header
 * then `len` payload bytes, the whole padded to 8 bytes. A record never
 * wraps: when it does not fit before the ring's end the writer puts a
 * header with len = NET_DGRAM_WRAP (the reader skips to offset 0). rx
 * records carry the source address, tx records the destination
 * (family AF_UNSPEC: the connected peer). Payloads above 65507 bytes or
 * the ring's half are refused by the runtime (EMSGSIZE). */
#define NET_DGRAM_WRAP 0xffffffffu
struct net_dgram {
	uint32_t len;
	uint32_t flags; /* 0 */
	struct net_addr addr;
};

/* NET_IFLIST entries (also in the JSON `ifconfig` answer). */
#define NET_IF_UP     (1u << 0)
#define NET_IF_LINK   (1u << 1) /* carrier */
#define NET_IF_DHCP   (1u << 2) /* address from DHCP */
#define NET_IF_LOOP   (1u << 3)
struct net_ifinfo {
	char name[16]; /* "lo", "eth0", ... */
	uint32_t flags; /* NET_IF_* */
	uint32_t mtu;
	uint8_t mac[6];
	uint8_t prefix; /* IPv4 prefix length */
	uint8_t pad;
	uint8_t addr[4], gateway[4], dns[4];
	uint64_t rx_packets, tx_packets, rx_bytes, tx_bytes;
	uint64_t rx_dropped, tx_dropped;
};
