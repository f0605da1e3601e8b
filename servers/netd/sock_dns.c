/* NET_RESOLVE through lwIP's DNS client (the answer is parked until its
 * callback or SK_RESOLVE_NS), and NET_IFLIST from netd's interface code.
 * Parked answers are bounded per connection and in total; a connection
 * that ends drops its own. */
#include <string.h>
#include <strings.h>

#include "lwip/dns.h"
#include "sock_int.h"

static void finish(struct sk_resolve *r, const ip_addr_t *ip, int err)
{
	if (ip) {
		struct net_addr a;
		sk_addr_to(&a, ip, 0);
		(void)sk_reply(r->reply, 0, 1, &a, sizeof(a), NULL, 0);
	} else {
		(void)sk_reply(r->reply, err, 0, NULL, 0, NULL, 0);
	}
	r->used = false;
	r->reply = HANDLE_INVALID;
	r->conn->nresolve--;
	r->conn = NULL;
}

static void dns_cb(const char *name, const ip_addr_t *ip, void *arg)
{
	uintptr_t v = (uintptr_t)arg;
	(void)name;
	if ((v & 0xffu) >= SK_RESOLVE_MAX)
		return;
	struct sk_resolve *r = &sk_g.resolves[v & 0xffu];
	/* A late answer for a call that timed out finds another gen. */
	if (!r->used || r->gen != (uint16_t)(v >> 8))
		return;
	finish(r, ip, -NE_ENOENT); /* an answer, no wake-up */
}

void sk_resolve(struct sconn *c, handle_t reply, const char *name,
		uint32_t family)
{
	ip_addr_t ip;
	if (family != SK_AF_UNSPEC && family != SK_AF_INET &&
	    family != SK_AF_INET6) {
		(void)sk_reply(reply, -NE_EINVAL, 0, NULL, 0, NULL, 0);
		return;
	}
	if (family == SK_AF_INET6) { /* no IPv6 in netd's lwIP */
		(void)sk_reply(reply, -NE_ENOENT, 0, NULL, 0, NULL, 0);
		return;
	}
	uint32_t i = 0;
	while (i < SK_RESOLVE_MAX && sk_g.resolves[i].used)
		i++;
	if (c->nresolve >= SK_RESOLVE_PER_CONN || i == SK_RESOLVE_MAX) {
		(void)sk_reply(reply, -NE_EAGAIN, 0, NULL, 0, NULL, 0);
		return;
	}
	struct sk_resolve *r = &sk_g.resolves[i];
	r->used = true;
	r->gen++;
	r->conn = c;
	r->reply = reply;
	r->family = family;
	r->deadline = sk_g.now + SK_RESOLVE_NS;
	c->nresolve++;
	if (!strcasecmp(name, "localhost")) {
		IP_ADDR4(&ip, 127, 0, 0, 1);
		finish(r, &ip, 0);
		return;
	}
	void *arg = (void *)(uintptr_t)(((uintptr_t)r->gen << 8) | i);
	err_t e = dns_gethostbyname(name, &ip, dns_cb, arg);
	if (e == ERR_OK)
		finish(r, &ip, 0);
	else if (e == ERR_MEM)
		finish(r, NULL, -NE_EAGAIN);
	else if (e != ERR_INPROGRESS)
		finish(r, NULL, -NE_ENOENT);
}

void sk_resolve_tick(void)
{
	for (uint32_t i = 0; i < SK_RESOLVE_MAX; i++) {
		struct sk_resolve *r = &sk_g.resolves[i];
		if (r->used && sk_g.now >= r->deadline)
			finish(r, NULL, -NE_EAGAIN);
	}
}

void sk_resolve_drop_conn(struct sconn *c)
{
	for (uint32_t i = 0; i < SK_RESOLVE_MAX; i++) {
		struct sk_resolve *r = &sk_g.resolves[i];
		if (r->used && r->conn == c) {
			sock_os_close(r->reply);
			r->used = false;
			r->reply = HANDLE_INVALID;
			r->conn = NULL;
			c->nresolve--;
		}
	}
}

void sk_iflist(handle_t reply)
{
	enum {
		N = (4096 - sizeof(struct net_resp)) / sizeof(struct net_ifinfo)
	};
	static struct net_ifinfo buf[N];
	memset(buf, 0, sizeof(buf));
	uint32_t n = netd_if_list(buf, N);
	if (n > N)
		n = N;
	(void)sk_reply(reply, 0, n, buf, n * (uint32_t)sizeof(buf[0]), NULL, 0);
}
