/* netd's interfaces: lo and one lwIP netif per device (netd_if.h). */
#include "netd_if.h"

#include <stdio.h>
#include <string.h>

#include "lwip/dhcp.h"
#include "lwip/dns.h"
#include "lwip/etharp.h"
#include "lwip/ip4_addr.h"
#include "lwip/snmp.h"
#include "lwip_port.h"
#include "netif/ethernet.h"

static struct netd_if ifs[NETD_ETH_MAX + 1]; /* [0] unused: lo is lwIP's */
static struct netd_args args;

void netd_if_setup(const struct netd_args *a)
{
	args = *a;
	if (args.have_dns) {
		ip_addr_t d;
		IP_ADDR4(&d, a->dns[0], a->dns[1], a->dns[2], a->dns[3]);
		lwip_port_dns_port = a->dns_port;
		dns_setserver(0, &d);
	}
}

struct netd_if *netd_if_at(uint32_t i)
{
	return i >= 1 && i <= NETD_ETH_MAX && ifs[i].used ? &ifs[i] : NULL;
}

uint32_t netd_if_count(void)
{
	uint32_t n = 0;
	for (uint32_t i = 1; i <= NETD_ETH_MAX; i++)
		n += ifs[i].used;
	return n;
}

static err_t eth_linkoutput(struct netif *netif, struct pbuf *p)
{
	struct netd_if *nif = netif->state;
	err_t e = nif->tx(nif, p);
	if (e == ERR_OK) {
		nif->tx_packets++;
		nif->tx_bytes += p->tot_len;
	} else {
		nif->tx_dropped++;
	}
	return e;
}

static err_t eth_init(struct netif *netif)
{
	struct netd_if *nif = netif->state;
	netif->name[0] = 'e';
	netif->name[1] = 'n';
	netif->output = etharp_output;
	netif->linkoutput = eth_linkoutput;
	netif->hwaddr_len = ETH_HWADDR_LEN;
	netif->flags =
		NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
	(void)nif;
	return ERR_OK;
}

/* Addresses change inside lwIP (DHCP binds the address before the
 * gateway): netd_if_tick() looks after every pass. The first interface
 * with a gateway carries the default route (eth0 first: it is attached
 * first); --dns stays the first server whatever DHCP says (checked
 * every pass: lwIP's DHCP sets the servers on every ACK). */
void netd_if_tick(void)
{
	/* lwIP's DHCP sets the DNS servers on every ACK, renewals too. */
	if (args.have_dns) {
		ip_addr_t d;
		IP_ADDR4(&d, args.dns[0], args.dns[1], args.dns[2],
			 args.dns[3]);
		if (!ip_addr_cmp(dns_getserver(0), &d))
			dns_setserver(0, &d);
	}
	for (uint32_t i = 1; i <= NETD_ETH_MAX; i++) {
		struct netd_if *nif = &ifs[i];
		struct netif *n = &nif->netif;
		if (!nif->used)
			continue;
		uint32_t a = ip4_addr_get_u32(netif_ip4_addr(n));
		uint32_t g = ip4_addr_get_u32(netif_ip4_gw(n));
		if (a == nif->shown_addr && g == nif->shown_gw)
			continue;
		nif->shown_addr = a;
		nif->shown_gw = g;
		if (g && (!netif_default ||
			  !ip4_addr_get_u32(netif_ip4_gw(netif_default))))
			netif_set_default(n);
		char as[16], gs[16];
		snprintf(as, sizeof(as), "%s", ip4addr_ntoa(netif_ip4_addr(n)));
		snprintf(gs, sizeof(gs), "%s", ip4addr_ntoa(netif_ip4_gw(n)));
		printf("netd: %s %s/%u gw %s%s\n", nif->name, as,
		       (unsigned)__builtin_popcount(
			       ip4_addr_get_u32(netif_ip4_netmask(n))),
		       gs, nif->dhcp ? " (dhcp)" : "");
	}
}

static void prefix_mask(uint8_t prefix, ip4_addr_t *mask)
{
	uint32_t m = prefix >= 32 ? 0xffffffffu : ~(0xffffffffu >> prefix);
	ip4_addr_set_u32(mask, lwip_htonl(m));
}

struct netd_if *netd_if_add(const uint8_t mac[6], uint16_t mtu, bool link,
			    netd_if_tx_fn tx, void *dev)
{
	uint32_t i = 1, unit = 0;
	while (i <= NETD_ETH_MAX && ifs[i].used)
		i++;
	if (i > NETD_ETH_MAX)
		return NULL;
	/* The lowest free ethN: a device that comes back after its
	 * driver restarted gets its old name. */
	for (bool taken = true; taken; unit += taken) {
		taken = false;
		for (uint32_t j = 1; j <= NETD_ETH_MAX; j++)
			taken |= ifs[j].used && ifs[j].unit == unit;
	}
	struct netd_if *nif = &ifs[i];
	memset(nif, 0, sizeof(*nif));
	nif->index = i;
	nif->unit = unit;
	snprintf(nif->name, sizeof(nif->name), "eth%u", unit);
	nif->tx = tx;
	nif->dev = dev;

	const struct netd_static *st = netd_args_static(&args, nif->name, mac);
	ip4_addr_t addr, mask, gw;
	ip4_addr_set_zero(&addr);
	ip4_addr_set_zero(&mask);
	ip4_addr_set_zero(&gw);
	if (st) {
		IP4_ADDR(&addr, st->addr[0], st->addr[1], st->addr[2],
			 st->addr[3]);
		IP4_ADDR(&gw, st->gw[0], st->gw[1], st->gw[2], st->gw[3]);
		prefix_mask(st->prefix, &mask);
	}
	if (!netif_add(&nif->netif, &addr, &mask, &gw, nif, eth_init,
		       ethernet_input))
		return NULL;
	nif->used = true;
	memcpy(nif->netif.hwaddr, mac, ETH_HWADDR_LEN);
	nif->netif.mtu = mtu >= 576 && mtu <= 1500 ? mtu : 1500;
	nif->netif.hostname = "exec-rt"; /* option 12 of DHCP REQUESTs */
	netif_set_up(&nif->netif);
	if (link)
		netif_set_link_up(&nif->netif);
	nif->is_static = st != NULL;
	if (!st && !args.no_dhcp) {
		nif->dhcp = true;
		if (dhcp_start(&nif->netif) != ERR_OK)
			nif->dhcp = false;
	}
	return nif;
}

void netd_if_remove(struct netd_if *nif)
{
	if (!nif->used)
		return;
	if (nif->dhcp) {
		dhcp_release_and_stop(&nif->netif);
		dhcp_cleanup(&nif->netif);
	}
	netif_remove(&nif->netif);
	/* Another interface with a gateway takes the default route. */
	if (!netif_default)
		for (uint32_t i = 1; i <= NETD_ETH_MAX; i++)
			if (ifs[i].used && &ifs[i] != nif &&
			    !ip4_addr_isany_val(*netif_ip4_gw(&ifs[i].netif))) {
				netif_set_default(&ifs[i].netif);
				break;
			}
	nif->used = false;
	nif->dev = NULL;
}

void netd_if_set_link(struct netd_if *nif, bool up)
{
	if (up == netif_is_link_up(&nif->netif))
		return;
	if (up)
		netif_set_link_up(&nif->netif);
	else
		netif_set_link_down(&nif->netif);
}

void netd_if_input(struct netd_if *nif, const void *frame, uint32_t len)
{
	if (len < SIZEOF_ETH_HDR ||
	    len > nif->netif.mtu + SIZEOF_ETH_HDR + 4u) {
		nif->rx_dropped++;
		return;
	}
	struct pbuf *p = pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_POOL);
	if (!p) {
		nif->rx_dropped++;
		return;
	}
	if (pbuf_take(p, frame, (u16_t)len) != ERR_OK ||
	    nif->netif.input(p, &nif->netif) != ERR_OK) {
		pbuf_free(p);
		nif->rx_dropped++;
		return;
	}
	nif->rx_packets++;
	nif->rx_bytes += len;
}

struct netif *netd_if_find(const char *name)
{
	if (!strcmp(name, "lo")) {
		struct netif *n;
		NETIF_FOREACH(n)
		if (n->name[0] == 'l' && n->name[1] == 'o')
			return n;
		return NULL;
	}
	for (uint32_t i = 1; i <= NETD_ETH_MAX; i++)
		if (ifs[i].used && !strcmp(ifs[i].name, name))
			return &ifs[i].netif;
	return NULL;
}

static uint8_t mask_prefix(const ip4_addr_t *mask)
{
	return (uint8_t)__builtin_popcount(ip4_addr_get_u32(mask));
}

static void fill(struct net_ifinfo *o, const char *name, struct netif *n)
{
	memset(o, 0, sizeof(*o));
	snprintf(o->name, sizeof(o->name), "%s", name);
	o->flags = (netif_is_up(n) ? NET_IF_UP : 0) |
		   (netif_is_link_up(n) ? NET_IF_LINK : 0);
	o->mtu = n->mtu;
	memcpy(o->mac, n->hwaddr, 6);
	o->prefix = mask_prefix(netif_ip4_netmask(n));
	memcpy(o->addr, netif_ip4_addr(n), 4);
	memcpy(o->gateway, netif_ip4_gw(n), 4);
	const ip_addr_t *d = dns_getserver(0);
	if (!(n->flags & NETIF_FLAG_ETHERNET) || ip_addr_isany(d))
		return;
	memcpy(o->dns, ip_2_ip4(d), 4);
}

uint32_t netd_if_list(struct net_ifinfo *out, uint32_t max)
{
	uint32_t n = 0;
	struct netif *lo = netd_if_find("lo");
	if (lo) {
		if (n < max) {
			fill(&out[n], "lo", lo);
			out[n].flags |= NET_IF_LOOP;
			out[n].mtu = 65535;
			/* Every looped packet (also to an eth address). */
			out[n].rx_packets = lo->mib2_counters.ifinucastpkts;
			out[n].tx_packets = lo->mib2_counters.ifoutucastpkts;
			out[n].rx_bytes = lo->mib2_counters.ifinoctets;
			out[n].tx_bytes = lo->mib2_counters.ifoutoctets;
			out[n].tx_dropped = lo->mib2_counters.ifoutdiscards;
		}
		n++;
	}
	/* In name order: eth0 first, as ifconfig shows them. */
	for (uint32_t unit = 0; unit < 2 * NETD_ETH_MAX; unit++) {
		for (uint32_t i = 1; i <= NETD_ETH_MAX; i++) {
			const struct netd_if *f = &ifs[i];
			if (!f->used || f->unit != unit)
				continue;
			if (n < max) {
				struct net_ifinfo *o = &out[n];
				fill(o, f->name, (struct netif *)&f->netif);
				if (f->dhcp && dhcp_supplied_address(&f->netif))
					o->flags |= NET_IF_DHCP;
				o->rx_packets = f->rx_packets;
				o->tx_packets = f->tx_packets;
				o->rx_bytes = f->rx_bytes;
				o->tx_bytes = f->tx_bytes;
				o->rx_dropped = f->rx_dropped;
				o->tx_dropped = f->tx_dropped;
			}
			n++;
		}
	}
	return n;
}
