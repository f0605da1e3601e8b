/* The client side of a socket's shared region (include/execrt/net_proto.h):
 * byte-stream and record rings, readiness, address conversion. Pure: no
 * system calls, no locks (the caller holds the socket's lock), so
 * tests/host/test_sock_*.c run it under ASan+UBSan against a fake netd.
 *
 * netd is not trusted with our memory safety: the ring sizes are fixed at
 * attach, our own counters (rx_tail, tx_head) are kept here and only
 * copied to the region, and netd's counters and record headers are read
 * once and checked. A value that breaks the protocol marks the socket
 * `bad` for good: every later call fails with EIO. docs/net-sockets.md. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include <execrt/net_proto.h>

#define SR_HDR_SIZE 4096u /* the header page before the rx ring */
#define SR_REC_HDR  ((uint32_t)sizeof(struct net_dgram))
#define SR_UDP_MAX  65507u

struct rtsr_sock {
	struct net_shm *shm;
	uint8_t *rx, *tx;
	uint32_t rx_size, tx_size; /* powers of two, fixed at attach */
	bool dgram;		   /* records (SOCK_DGRAM, SOCK_RAW) */
	bool bad;		   /* netd broke the protocol */
	uint64_t rx_tail, tx_head; /* ours; the region's copies are outputs */
};

/* Checks a new socket's region (mapped at base, map_len bytes) against
 * the NET_SOCKET answer; 0, or -EIO when they do not agree. */
int rtsr_attach(struct rtsr_sock *s, void *base, uint64_t map_len,
		const struct net_sock_info *info, bool dgram);

/* Streams. Bytes readable / free tx space, or -EIO. */
long rtsr_rx_fill(struct rtsr_sock *s);
long rtsr_tx_room(struct rtsr_sock *s);
/* Copies rx bytes into the iovecs from their offset skip on, as many as
 * there are and fit (peek: without consuming): bytes copied (0: the ring
 * is empty) or -EIO. */
long rtsr_read(struct rtsr_sock *s, const struct iovec *iov, int cnt,
	       size_t skip, bool peek);
/* Copies into tx the iovecs' bytes from offset `skip` on, as many as fit:
 * bytes copied or -EIO. */
long rtsr_write(struct rtsr_sock *s, const struct iovec *iov, int cnt,
		size_t skip);

/* Records. The largest payload sendable on this socket. */
uint32_t rtsr_rec_max(const struct rtsr_sock *s);
/* The next rx record's header (WRAP markers are skipped, i.e. consumed):
 * 1, 0 when there is none, -EIO. */
long rtsr_rec_next(struct rtsr_sock *s, struct net_dgram *hdr);
/* Takes the next record (peek: leaves it): its payload copied into the
 * iovecs as far as they go, *from its address; returns the payload's
 * full length (more than copied: truncated), -EAGAIN when none, -EIO. */
long rtsr_rec_read(struct rtsr_sock *s, const struct iovec *iov, int cnt,
		   struct net_addr *from, bool peek);
/* Appends one record of the iovecs' `len` bytes for `to`: len, -EAGAIN
 * (no room now), -EMSGSIZE (never fits), -EIO. */
long rtsr_rec_write(struct rtsr_sock *s, const struct iovec *iov, int cnt,
		    size_t len, const struct net_addr *to);
/* Whether a record of len bytes fits now (-EIO: bad). */
long rtsr_rec_fits(struct rtsr_sock *s, size_t len);

/* Readiness as poll(2) reports it. `local`: what only the runtime knows. */
#define SR_L_SHUT_RD	(1u << 0)
#define SR_L_SHUT_WR	(1u << 1)
#define SR_L_CONNECTING (1u << 2) /* connect() started, not yet seen done */
#define SR_L_DEAD	(1u << 3) /* netd went away under this socket */
unsigned rtsr_poll(struct rtsr_sock *s, unsigned local);

/* Sum of iovec lengths: 0, or -EINVAL (count or overflow). */
int rtsr_iov_total(const struct iovec *iov, long cnt, size_t *total);

/* sockaddr <-> net_addr (network byte order kept). 0, -EINVAL (short or
 * a bad length), -EAFNOSUPPORT. AF_UNSPEC is accepted when unspec_ok. */
int rtsr_addr_from(const void *sa, uint32_t len, struct net_addr *out,
		   bool unspec_ok);
/* Writes at most *len bytes of the sockaddr into sa and sets *len to its
 * full size (as getsockname does). */
void rtsr_addr_to(const struct net_addr *a, void *sa, uint32_t *len);
