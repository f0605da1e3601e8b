/* netd's socket service: NET_RESOLVE (numeric, localhost, a name
 * answered by a fake DNS server on 127.0.0.1 through lwIP's DNS client,
 * a server that never answers, the per-connection bound on parked
 * answers), NET_IFLIST, socket options and the wake-up bits. */
#include <string.h>

#include "harness.h"
#include "lwip/dns.h"
#include "lwip/udp.h"
#include "netd_sock_fix.h"
#include "netd_stack.h"

#define DNS_PORT 5353

static bool dns_answers;
static int dns_queries;

/* Answers every A query with 192.0.2.7 (when dns_answers). */
static void dns_srv(void *arg, struct udp_pcb *pcb, struct pbuf *p,
		    const ip_addr_t *addr, u16_t port)
{
	(void)arg;
	uint8_t q[512];
	uint16_t n = pbuf_copy_partial(p, q, sizeof(q) - 16, 0);
	pbuf_free(p);
	dns_queries++;
	if (!dns_answers || n < 12)
		return;
	q[2] = 0x81;
	q[3] = 0x80;
	q[7] = 1; /* one answer */
	static const uint8_t ans[16] = {0xc0, 0x0c, 0, 1, 0,   1, 0, 0,
					0,    60,   0, 4, 192, 0, 2, 7};
	memcpy(q + n, ans, sizeof(ans));
	struct pbuf *r = pbuf_alloc(PBUF_TRANSPORT, (u16_t)(n + 16), PBUF_RAM);
	memcpy(r->payload, q, n + 16u);
	udp_sendto(pcb, r, addr, port);
	pbuf_free(r);
}

static int resolve(struct nx_conn *c, const char *name, handle_t *reply)
{
	return nx_req(c, NET_RESOLVE, 0, 0, 0, 0, name,
		      (uint32_t)strlen(name) + 1, reply);
}

TEST(netd_sock_resolve)
{
	CHECK_EQ(nx_setup(0), 0);
	struct nx_conn c;
	CHECK_EQ(nx_connect(&c), 0);
	/* Numeric and localhost: at once. */
	CHECK_EQ(resolve(&c, "10.1.2.3", NULL), 0);
	CHECK_EQ(nx_ans.val, 1);
	struct net_addr a;
	memcpy(&a, nx_ans.data, sizeof(a));
	CHECK_EQ(a.family, 2);
	CHECK_EQ(a.addr[0], 10);
	CHECK_EQ(a.addr[3], 3);
	CHECK_EQ(resolve(&c, "LocalHost", NULL), 0);
	memcpy(&a, nx_ans.data, sizeof(a));
	CHECK_EQ(a.addr[0], 127);
	CHECK_EQ(nx_req(&c, NET_RESOLVE, 0, 7, 0, 0, "x.org", 6, NULL), -22);
	CHECK_EQ(nx_req(&c, NET_RESOLVE, 0, 0, 0, 0, "x.org", 6, NULL), -2);
	CHECK_EQ(nx_req(&c, NET_RESOLVE, 0, 10, 0, 0, "x.org", 6, NULL), -2);
	/* A name: parked until the fake server's answer comes back. */
	struct udp_pcb *srv = udp_new();
	CHECK(srv);
	ip_addr_t lo;
	IP_ADDR4(&lo, 127, 0, 0, 1);
	CHECK_EQ(udp_bind(srv, &lo, DNS_PORT), ERR_OK);
	udp_recv(srv, dns_srv, NULL);
	lwip_port_dns_port = DNS_PORT;
	dns_setserver(0, &lo);
	dns_answers = true;
	handle_t r;
	CHECK_EQ(resolve(&c, "www.example.org", &r), NX_PARKED);
	nx_run(5);
	CHECK(nx_answered(r));
	CHECK_EQ(nx_ans.err, 0);
	CHECK_EQ(nx_ans.val, 1);
	memcpy(&a, nx_ans.data, sizeof(a));
	CHECK_EQ(a.addr[0], 192);
	CHECK_EQ(a.addr[3], 7);
	/* A server that never answers: an error within 5 s, not later. */
	dns_answers = false;
	CHECK_EQ(resolve(&c, "slow.example.org", &r), NX_PARKED);
	nx_run(1000);
	CHECK(!nx_answered(r));
	nx_run(4100);
	CHECK(nx_answered(r));
	CHECK(nx_ans.err == -11 || nx_ans.err == -2);
	CHECK(dns_queries >= 2);
	/* At most 4 parked per connection. */
	handle_t p[5];
	CHECK_EQ(resolve(&c, "a.example.org", &p[0]), NX_PARKED);
	CHECK_EQ(resolve(&c, "b.example.org", &p[1]), NX_PARKED);
	CHECK_EQ(resolve(&c, "c.example.org", &p[2]), NX_PARKED);
	CHECK_EQ(resolve(&c, "d.example.org", &p[3]), NX_PARKED);
	CHECK_EQ(resolve(&c, "e.example.org", &p[4]), -11);
	/* The connection ends: the parked calls end with it. */
	nx_disconnect(&c);
	dns_setserver(0, NULL);
	lwip_port_dns_port = 53;
	nx_run(12000); /* lwIP's own retries time out */
	udp_remove(srv);
	CHECK_EQ(nx_teardown(), 0);
}

TEST(netd_sock_iflist_and_options)
{
	CHECK_EQ(nx_setup(0), 0);
	struct nx_conn c;
	CHECK_EQ(nx_connect(&c), 0);
	CHECK_EQ(nx_req(&c, NET_IFLIST, 0, 0, 0, 0, NULL, 0, NULL), 0);
	CHECK(nx_ans.val >= 1);
	CHECK_EQ(nx_ans.len, nx_ans.val * sizeof(struct net_ifinfo));
	bool lo = false;
	for (uint64_t i = 0; i < nx_ans.val; i++) {
		struct net_ifinfo f;
		memcpy(&f, nx_ans.data + i * sizeof(f), sizeof(f));
		if (f.addr[0] == 127)
			lo = true;
	}
	CHECK(lo);
	struct nx_sock s, u;
	CHECK_EQ(nx_socket(&c, 1, 6, &s), 0);
	CHECK_EQ(nx_socket(&c, 2, 0, &u), 0);
	/* Wake bits differ per socket and come with state changes. */
	CHECK(s.wake_bit != u.wake_bit);
	nx_wakes(&c);
	int v = 0;
	CHECK_EQ(nx_setopt_int(&s, 1, 9, 1), 0); /* SO_KEEPALIVE */
	CHECK_EQ(nx_getopt_int(&s, 1, 9, &v), 0);
	CHECK_EQ(v, 1);
	CHECK_EQ(nx_setopt_int(&s, 6, 4, 30), 0); /* TCP_KEEPIDLE */
	CHECK_EQ(nx_getopt_int(&s, 6, 4, &v), 0);
	CHECK_EQ(v, 30);
	CHECK_EQ(nx_setopt_int(&s, 6, 4, 0), -22);
	CHECK_EQ(nx_setopt_int(&s, 0, 2, 17), 0); /* IP_TTL */
	CHECK_EQ(nx_getopt_int(&s, 0, 2, &v), 0);
	CHECK_EQ(v, 17);
	CHECK_EQ(nx_setopt_int(&s, 0, 2, 300), -22);
	CHECK_EQ(nx_setopt_int(&s, 1, 3, 2), -92); /* SO_TYPE is read-only */
	CHECK_EQ(nx_getopt_int(&u, 1, 3, &v), 0);
	CHECK_EQ(v, 2);
	CHECK_EQ(nx_getopt_int(&u, 1, 38, &v), 0); /* SO_PROTOCOL */
	CHECK_EQ(v, 17);
	CHECK_EQ(nx_setopt_int(&u, 6, 1, 1), -95); /* TCP option on UDP */
	CHECK_EQ(nx_setopt_int(&u, 1, 6, 1), 0);   /* SO_BROADCAST */
	CHECK_EQ(nx_getopt_int(&u, 1, 6, &v), 0);
	CHECK_EQ(v, 1);
	uint64_t tv[2] = {3, 500000};
	CHECK_EQ(nx_req(&c, NET_SETSOCKOPT, s.id, 1, 20, 0, tv, sizeof(tv),
			NULL),
		 0);
	CHECK_EQ(nx_req(&c, NET_GETSOCKOPT, s.id, 1, 20, 0, NULL, 0, NULL), 0);
	CHECK_EQ(nx_ans.len, 16);
	CHECK(!memcmp(nx_ans.data, tv, 16));
	CHECK_EQ(nx_getopt_int(&s, 1, 4, &v), 0); /* SO_ERROR */
	CHECK_EQ(v, 0);
	/* A connect that fails sets the error; SO_ERROR reads and clears. */
	CHECK_EQ(nx_connect_to(&s, 7998), 0);
	nx_run(5);
	CHECK(nx_wakes(&c) & s.wake_bit);
	CHECK_EQ(nx_getopt_int(&s, 1, 4, &v), 0);
	CHECK_EQ(v, 111);
	CHECK(!(nx_state(&s) & NET_ST_ERROR));
	CHECK_EQ(nx_connect_to(&s, 7998), -22); /* not reused */
	nx_disconnect(&c);
	CHECK_EQ(nx_teardown(), 0);
}

/* netd's loop may poll lwIP (frames, loopback deliveries) after the
 * socket service's tick and then sleep: a datagram delivered there must
 * still wake its client without waiting for another event. */
TEST(netd_sock_wake_after_netd_polls)
{
	CHECK_EQ(nx_setup(0), 0);
	struct nx_conn c;
	CHECK_EQ(nx_connect(&c), 0);
	struct nx_sock a, b;
	CHECK_EQ(nx_socket(&c, 2, 0, &a), 0);
	CHECK_EQ(nx_socket(&c, 2, 0, &b), 0);
	CHECK_EQ(nx_bind(&b, 9031), 0);
	nx_run(2);
	nx_wakes(&c);
	struct net_addr to = nx_addr(127, 0, 0, 1, 9031);
	CHECK(nx_sendto(&a, "x", 1, &to)); /* queued on the loopback */
	nx_wakes(&c);
	netd_stack_poll(); /* delivered to b outside any sock_* call */
	CHECK(b.shm->rx_head != 0);
	CHECK_EQ(nx_wakes(&c) & b.wake_bit, 0);
	CHECK_EQ(netd_stack_sleep_ms(), 0); /* the loop will not sleep */
	netd_stack_poll();
	CHECK(nx_wakes(&c) & b.wake_bit);
	nx_disconnect(&c);
	CHECK_EQ(nx_teardown(), 0);
}
