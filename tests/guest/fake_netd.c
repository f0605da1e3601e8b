/* The fake netd of t_sock.c (fake_netd.h). Runs on a gthread: no stdio,
 * no errno; everything it makes is closed by fnetd_stop(). */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <execrt/errors.h>
#include <execrt/rights.h>

#include "cl_ports.h"
#include "fake_netd.h"

#define ACCESS_RIGHTS (RIGHT_READ | RIGHT_WRITE | RIGHT_MAP | RIGHT_TRANSFER)

static int aload(const int *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static uint8_t *rx_ring(struct fn_sock *s)
{
	return (uint8_t *)s->shm + 4096;
}

static uint8_t *tx_ring(struct fn_sock *s)
{
	return rx_ring(s) + FN_RING;
}

static void wake(struct fnetd *f, struct fn_sock *s)
{
	if (f->client_wake)
		sys_notif_signal(f->client_wake, s->wake_bit);
}

static void set_state(struct fnetd *f, struct fn_sock *s, uint32_t bits)
{
	__atomic_or_fetch(&s->shm->state, bits, __ATOMIC_RELEASE);
	wake(f, s);
}

static void copy_ring(uint8_t *dst, uint64_t dpos, const uint8_t *src,
		      uint64_t spos, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		dst[(dpos + i) & (FN_RING - 1)] =
			src[(spos + i) & (FN_RING - 1)];
}

static uint64_t rec_size(uint32_t len)
{
	return sizeof(struct net_dgram) + ((len + 7ull) & ~7ull);
}

/* Stream: the client's tx bytes into its rx ring, as far as they fit. */
static void echo_stream(struct fnetd *f, struct fn_sock *s)
{
	struct net_shm *m = s->shm;
	uint64_t head = __atomic_load_n(&m->tx_head, __ATOMIC_ACQUIRE);
	uint64_t fill = head - m->tx_tail;
	uint64_t room =
		FN_RING -
		(m->rx_head - __atomic_load_n(&m->rx_tail, __ATOMIC_ACQUIRE));
	if (fill > FN_RING || room > FN_RING)
		return;
	uint64_t n = fill < room ? fill : room;
	if (!n)
		return;
	copy_ring(rx_ring(s), m->rx_head, tx_ring(s), m->tx_tail, n);
	__atomic_store_n(&m->tx_tail, m->tx_tail + n, __ATOMIC_RELEASE);
	__atomic_store_n(&m->rx_head, m->rx_head + n, __ATOMIC_RELEASE);
	wake(f, s);
}

/* Records: each tx record back into rx from where it was sent (AF_UNSPEC,
 * the connected peer: 127.0.0.1:7), with WRAP markers as netd writes. */
static void echo_dgram(struct fnetd *f, struct fn_sock *s)
{
	struct net_shm *m = s->shm;
	bool moved = false;
	for (;;) {
		uint64_t head = __atomic_load_n(&m->tx_head, __ATOMIC_ACQUIRE);
		uint64_t fill = head - m->tx_tail;
		if (!fill || fill > FN_RING)
			break;
		uint32_t off = (uint32_t)(m->tx_tail & (FN_RING - 1));
		struct net_dgram h;
		memcpy(&h.len, tx_ring(s) + off, 4);
		if (h.len == NET_DGRAM_WRAP) {
			__atomic_store_n(&m->tx_tail,
					 m->tx_tail + (FN_RING - off),
					 __ATOMIC_RELEASE);
			continue;
		}
		memcpy(&h, tx_ring(s) + off, sizeof(h));
		uint64_t rec = rec_size(h.len);
		if (rec > FN_RING - off)
			break; /* a broken client: leave it */
		uint64_t used = m->rx_head -
				__atomic_load_n(&m->rx_tail, __ATOMIC_ACQUIRE);
		uint32_t roff = (uint32_t)(m->rx_head & (FN_RING - 1));
		uint64_t skip = rec > FN_RING - roff ? FN_RING - roff : 0;
		if (used + skip + rec > FN_RING)
			break; /* rx full: later */
		if (skip) {
			uint32_t w = NET_DGRAM_WRAP;
			memcpy(rx_ring(s) + roff, &w, 4);
			roff = 0;
		}
		if (h.addr.family == AF_UNSPEC) {
			h.addr.family = AF_INET;
			h.addr.port = (uint16_t)(7 << 8); /* htons(7) */
			uint8_t lo[4] = {127, 0, 0, 1};
			memcpy(h.addr.addr, lo, 4);
		}
		memcpy(rx_ring(s) + roff, &h, sizeof(h));
		memcpy(rx_ring(s) + roff + sizeof(h),
		       tx_ring(s) + off + sizeof(h), h.len);
		__atomic_store_n(&m->rx_head, m->rx_head + skip + rec,
				 __ATOMIC_RELEASE);
		__atomic_store_n(&m->tx_tail, m->tx_tail + rec,
				 __ATOMIC_RELEASE);
		moved = true;
	}
	if (moved)
		wake(f, s);
}

static void echo_all(struct fnetd *f)
{
	for (int i = 0; i < FN_SOCKS; i++) {
		struct fn_sock *s = &f->s[i];
		if (!s->used || s->hold || !(s->shm->state & NET_ST_CONNECTED))
			continue;
		if (aload(&f->hostile) && s->shm->tx_head != s->shm->tx_tail) {
			/* A lying netd: more published than the ring holds. */
			__atomic_store_n(&s->shm->rx_head,
					 s->shm->rx_tail + 3 * FN_RING,
					 __ATOMIC_RELEASE);
			__atomic_store_n(&f->hostile, 0, __ATOMIC_RELEASE);
			wake(f, s);
			continue;
		}
		if (s->type == SOCK_STREAM)
			echo_stream(f, s);
		else
			echo_dgram(f, s);
	}
}

static void free_sock(struct fn_sock *s)
{
	if (s->grant) {
		sys_grant_revoke(s->grant); /* our mapping goes too */
		sys_handle_close(s->grant);
	}
	memset(s, 0, sizeof(*s));
}

static long new_sock(struct fnetd *f, uint32_t type, struct net_sock_info *in,
		     handle_t *out)
{
	int i = 0;
	while (i < FN_SOCKS && f->s[i].used)
		i++;
	if (i == FN_SOCKS)
		return -EMFILE;
	struct fn_sock *s = &f->s[i];
	handle_t self = execrt_handle(START_H_SELF_TASK);
	uint64_t addr = 0;
	if (sys_grant_create(self, 0, FN_SHM, VM_PROT_READ | VM_PROT_WRITE,
			     &s->grant) < 0)
		return -ENOBUFS;
	if (sys_grant_map(self, s->grant, VM_PROT_READ | VM_PROT_WRITE, 0,
			  &addr) < 0 ||
	    sys_handle_dup(s->grant, ACCESS_RIGHTS, out) < 0) {
		free_sock(s);
		return -ENOBUFS;
	}
	s->used = true;
	s->type = type;
	s->shm = (struct net_shm *)addr;
	s->shm->magic = NET_SHM_MAGIC;
	s->shm->version = NET_PROTO_VERSION;
	s->shm->rx_size = s->shm->tx_size = FN_RING;
	s->wake_bit = 1ull << (i + 1);
	*in = (struct net_sock_info){.sock = (uint32_t)i + 1,
				     .type = type,
				     .wake_bit = s->wake_bit,
				     .rx_size = FN_RING,
				     .tx_size = FN_RING,
				     .shm_size = FN_SHM};
	return 0;
}

static struct fn_sock *sock_of(struct fnetd *f, uint32_t id)
{
	if (id < 1 || id > FN_SOCKS || !f->s[id - 1].used)
		return NULL;
	return &f->s[id - 1];
}

static void serve(struct fnetd *f, const struct port_rx *rx, const uint8_t *buf,
		  handle_t *hs)
{
	static struct {
		struct net_resp r;
		uint8_t d[512];
	} out;
	struct net_req q;
	handle_t oh[2];
	uint32_t noh = 0, olen = 0;
	long err = 0;
	memset(&out, 0, sizeof(out));
	memcpy(&q, buf, sizeof(q));
	if (rx->len < sizeof(q) || q.len != rx->len - sizeof(q)) {
		err = -EINVAL;
		goto answer;
	}
	if (q.op < 16)
		__atomic_add_fetch(&f->calls[q.op], 1, __ATOMIC_ACQ_REL);
	const uint8_t *data = buf + sizeof(q);
	struct fn_sock *s = sock_of(f, q.sock);
	if (q.op != NET_CONNECT && q.op != NET_SOCKET && q.op != NET_RESOLVE &&
	    !s) {
		err = -EBADF;
		goto answer;
	}
	switch (q.op) {
	case NET_CONNECT: {
		if (rx->badge != 0 || rx->nhandles != 1 || f->client_wake) {
			err = -EINVAL;
			break;
		}
		f->client_wake = hs[0];
		hs[0] = HANDLE_INVALID;
		struct net_conn_info ci = {.doorbell_bits = FN_BELL_BITS};
		if (sys_port_mint(f->recv, 1, &oh[0]) < 0 ||
		    sys_handle_dup(oh[0], RIGHT_SAME, &f->conn_send) < 0 ||
		    sys_handle_dup(f->bell, RIGHT_SIGNAL | RIGHT_TRANSFER,
				   &oh[1]) < 0) {
			err = -ENOBUFS;
			break;
		}
		noh = 2;
		memcpy(out.d, &ci, sizeof(ci));
		olen = sizeof(ci);
		out.r.val = 1;
		break;
	}
	case NET_SOCKET: {
		struct net_sock_info in;
		err = q.b < 1 || q.b > 3 ? -EPROTONOSUPPORT
					 : new_sock(f, q.b, &in, &oh[0]);
		if (!err) {
			noh = 1;
			memcpy(out.d, &in, sizeof(in));
			olen = sizeof(in);
			out.r.val = in.sock;
		}
		break;
	}
	case NET_CONNECT_TO:
		if (s->type == SOCK_STREAM)
			set_state(f, s, NET_ST_CONNECTING);
		s->shm->state &= ~NET_ST_CONNECTING;
		set_state(f, s, NET_ST_CONNECTED);
		break;
	case NET_LISTEN:
		set_state(f, s, NET_ST_LISTENING);
		break;
	case NET_ACCEPT:
		err = -EAGAIN;
		break;
	case NET_CLOSE:
		free_sock(s);
		break;
	case NET_SHUTDOWN:
		if (q.a != SHUT_RD)
			set_state(f, s, NET_ST_RX_EOF); /* the echo ends */
		break;
	case NET_GETNAME: {
		struct net_addr a = {.family = AF_INET,
				     .port = (uint16_t)((q.a ? 7 : 4242) >> 8 |
							(q.a ? 7 : 4242) << 8),
				     .addr = {127, 0, 0, 1}};
		memcpy(out.d, &a, sizeof(a));
		olen = sizeof(a);
		break;
	}
	case NET_SETSOCKOPT:
	case NET_BIND:
		break;
	case NET_GETSOCKOPT: {
		int v = 42;
		memcpy(out.d, &v, sizeof(v));
		olen = sizeof(v);
		break;
	}
	case NET_RESOLVE: {
		/* example.test: 10.1.2.3 and 2001:db8::1 */
		struct net_addr a[2] = {
			{.family = AF_INET, .addr = {10, 1, 2, 3}},
			{.family = AF_INET6,
			 .addr = {0x20, 0x01, 0x0d, 0xb8, [15] = 1}}};
		if (q.len < 2 || data[q.len - 1] ||
		    strcmp((const char *)data, "example.test")) {
			err = -ENOENT;
			break;
		}
		uint32_t first = q.a == AF_INET6 ? 1 : 0;
		uint32_t n = q.a == AF_UNSPEC ? 2 : 1;
		memcpy(out.d, &a[first], n * sizeof(a[0]));
		olen = n * (uint32_t)sizeof(a[0]);
		out.r.val = n;
		break;
	}
	default:
		err = -EINVAL;
	}
answer:
	for (uint32_t i = 0; i < rx->nhandles; i++)
		if (hs[i])
			sys_handle_close(hs[i]);
	out.r.err = (int32_t)err;
	out.r.len = err ? 0 : olen;
	if (err)
		for (uint32_t i = 0; i < noh; i++)
			sys_handle_close(oh[i]);
	struct port_msg m = {.data = &out,
			     .len = (uint32_t)sizeof(out.r) + out.r.len,
			     .handles = err ? NULL : oh,
			     .nhandles = err ? 0 : noh};
	if (sys_port_reply(rx->reply, &m) < 0) {
		sys_handle_close(rx->reply);
		for (uint32_t i = 0; !err && i < noh; i++)
			sys_handle_close(oh[i]);
	}
}

static int64_t fn_main(uint64_t arg)
{
	struct fnetd *f = (struct fnetd *)arg;
	static uint8_t buf[PORT_MSG_MAX];
	while (!aload(&f->stop) && !aload(&f->die)) {
		uint64_t bits = 0;
		sys_notif_wait(f->bell, 1 | FN_BELL_BITS, g_now() + 2 * MS,
			       &bits);
		if (bits & FN_BELL_BITS)
			__atomic_add_fetch(&f->doorbells, 1, __ATOMIC_ACQ_REL);
		for (;;) {
			handle_t hs[PORT_HANDLES_MAX];
			struct port_rx rx = {.buf = buf,
					     .cap = sizeof(buf),
					     .handles = hs,
					     .hcap = PORT_HANDLES_MAX};
			if (sys_port_recv(f->recv, &rx, DEADLINE_POLL) < 0)
				break;
			if (rx.reply)
				serve(f, &rx, buf, hs);
			else
				for (uint32_t i = 0; i < rx.nhandles; i++)
					sys_handle_close(hs[i]);
		}
		echo_all(f);
	}
	if (aload(&f->die)) {
		/* Dead: the port goes (callers get ERR_PEER_CLOSED). */
		sys_handle_close(f->recv);
		f->recv = HANDLE_INVALID;
	}
	return 0;
}

long fnetd_start(struct fnetd *f)
{
	memset(f, 0, sizeof(*f));
	long r;
	if ((r = sys_port_create(0, &f->recv, &f->pub)) < 0)
		return r;
	if ((r = sys_notif_create(&f->bell)) < 0 ||
	    (r = sys_port_bind_notif(f->recv, f->bell, 1)) < 0)
		return r;
	handle_t reg = g_dup(f->pub, RIGHT_SAME);
	if (!reg)
		return ERR_NO_MEMORY;
	cl_err_t e = cl_register(NET_SVC_NAME, reg);
	if (e != CL_OK)
		return ERR_BAD_STATE;
	return gthread_start(&f->th, fn_main, (uint64_t)f);
}

static void join(struct fnetd *f)
{
	if (f->th.h) {
		int64_t st;
		gthread_join(&f->th, DEADLINE_NONE, &st);
		memset(&f->th, 0, sizeof(f->th));
	}
}

void fnetd_die(struct fnetd *f)
{
	__atomic_store_n(&f->die, 1, __ATOMIC_RELEASE);
	join(f);
}

void fnetd_stop(struct fnetd *f)
{
	__atomic_store_n(&f->stop, 1, __ATOMIC_RELEASE);
	join(f);
	for (int i = 0; i < FN_SOCKS; i++)
		free_sock(&f->s[i]);
	handle_t hs[] = {f->recv, f->pub, f->bell, f->client_wake,
			 f->conn_send};
	for (unsigned i = 0; i < sizeof(hs) / sizeof(hs[0]); i++)
		if (hs[i])
			sys_handle_close(hs[i]);
	memset(f, 0, sizeof(*f));
}

int fnetd_open_socks(struct fnetd *f)
{
	int n = 0;
	for (int i = 0; i < FN_SOCKS; i++)
		n += f->s[i].used;
	return n;
}
