/* netd's command line (docs/net.md "netd"):
 *   --static IF=ADDR/PREFIX[,GW]   a fixed IPv4 address for interface IF
 *                                  (no DHCP on it); up to NETD_STATIC_MAX;
 *                                  IF is a name (eth1) or the device's MAC
 *                                  (52:54:00:12:34:99: names follow the
 *                                  attach order, which drivers race for)
 *   --dns ADDR[:PORT]              the DNS server (else DHCP's, port 53)
 *   --no-dhcp                      eth0 stays unconfigured without --static
 * Pure parsing: no system calls (host-tested). */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#define NETD_STATIC_MAX 8
#define NETD_IFNAME_MAX 16

struct netd_static {
	char ifname[NETD_IFNAME_MAX]; /* "" when by_mac */
	bool by_mac;
	uint8_t mac[6];
	uint8_t addr[4], gw[4]; /* gw 0.0.0.0: none */
	uint8_t prefix;
};

struct netd_args {
	struct netd_static st[NETD_STATIC_MAX];
	uint32_t nstatic;
	bool have_dns;
	uint8_t dns[4];
	uint16_t dns_port; /* host order, 53 unless given */
	bool no_dhcp;
};

/* Parses argv[1..argc); 0, or -1 with a message in err (cap bytes). */
int netd_args_parse(struct netd_args *a, int argc, char **argv, char *err,
		    uint32_t cap);
/* "a.b.c.d" into out[4]; true when it is exactly that. */
bool netd_parse_ip4(const char *s, uint32_t len, uint8_t out[4]);
/* The --static entry for a device with this MAC called ifname (an entry
 * by MAC first), or NULL. */
const struct netd_static *netd_args_static(const struct netd_args *a,
					   const char *ifname,
					   const uint8_t mac[6]);
