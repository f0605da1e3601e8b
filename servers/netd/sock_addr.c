/* Addresses and errors between the wire (struct net_addr, Linux errno
 * values) and lwIP. IPv4 only: netd's lwIP is built without IPv6. */
#include <string.h>

#include "lwip/err.h"
#include "lwip/ip_addr.h"
#include "lwip/netif.h"
#include "sock_int.h"

int sk_addr_from(const struct net_addr *a, ip_addr_t *ip, uint16_t *port)
{
	if (a->family == SK_AF_INET6)
		return -NE_EAFNOSUPPORT;
	if (a->family != SK_AF_INET)
		return -NE_EAFNOSUPPORT;
	IP_ADDR4(ip, a->addr[0], a->addr[1], a->addr[2], a->addr[3]);
	*port = lwip_ntohs(a->port);
	return 0;
}

void sk_addr_to(struct net_addr *a, const ip_addr_t *ip, uint16_t port)
{
	memset(a, 0, sizeof(*a));
	a->family = SK_AF_INET;
	a->port = lwip_htons(port);
	uint32_t v = ip ? ip4_addr_get_u32(ip_2_ip4(ip)) : 0;
	memcpy(a->addr, &v, 4); /* lwIP keeps network order */
}

int sk_err_from_lwip(int8_t err)
{
	switch (err) {
	case ERR_OK:
		return 0;
	case ERR_MEM:
	case ERR_BUF:
		return -NE_ENOBUFS;
	case ERR_TIMEOUT:
		return -NE_ETIMEDOUT;
	case ERR_RTE:
		return -NE_ENETUNREACH;
	case ERR_INPROGRESS:
		return -NE_EINPROGRESS;
	case ERR_VAL:
	case ERR_ARG:
		return -NE_EINVAL;
	case ERR_WOULDBLOCK:
		return -NE_EAGAIN;
	case ERR_USE:
		return -NE_EADDRINUSE;
	case ERR_ALREADY:
		return -NE_EALREADY;
	case ERR_ISCONN:
		return -NE_EISCONN;
	case ERR_CONN:
		return -NE_ENOTCONN;
	case ERR_IF:
		return -NE_ENETUNREACH;
	case ERR_ABRT:
		return -NE_ECONNABORTED;
	case ERR_RST:
		return -NE_ECONNRESET;
	case ERR_CLSD:
		return -NE_ENOTCONN;
	}
	return -NE_EINVAL;
}

bool sk_addr_is_local(const ip_addr_t *ip)
{
	if (ip_addr_isany(ip) || ip_addr_isloopback(ip))
		return true;
	struct netif *n;
	NETIF_FOREACH(n)
	{
		if (ip4_addr_cmp(netif_ip4_addr(n), ip_2_ip4(ip)))
			return true;
	}
	return false;
}
