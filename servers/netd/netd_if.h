/* netd's interfaces (docs/net.md "Interfaces"): `lo` (lwIP's loopback,
 * 127.0.0.1/8, always there) and eth0, eth1, ... one per attached network
 * device, named after the lowest free number. Each Ethernet interface is
 * an lwIP netif whose frames go through a device (netd_dev.c: the shared
 * rings of netdev_proto.h); this file is the part that does not know the
 * rings: naming, addresses (--static or DHCP), link state, DNS servers,
 * counters and the NET_IFLIST/`ifconfig` view. Pure: no system calls
 * (host-tested). One thread: netd's main loop, which owns lwIP. */
#pragma once
#include <execrt/net_proto.h>
#include <stdbool.h>
#include <stdint.h>

#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "netd_args.h"

#define NETD_ETH_MAX 15 /* doorbell bits 1..15 */

struct netd_if;
/* Sends one frame (the whole pbuf chain) through the device; ERR_OK, or
 * ERR_MEM when no transmit slot is free (the frame is dropped: lwIP
 * retransmits what matters). */
typedef err_t (*netd_if_tx_fn)(struct netd_if *nif, struct pbuf *p);

struct netd_if {
	bool used;
	uint32_t index; /* 1..NETD_ETH_MAX: its doorbell bit, its slot */
	uint32_t unit;	/* N of ethN */
	char name[NETD_IFNAME_MAX];
	struct netif netif;
	bool dhcp;	  /* a DHCP client runs on it */
	bool is_static;	  /* --static */
	netd_if_tx_fn tx; /* the device's transmit */
	void *dev;	  /* the device (netd_dev.c) */
	uint64_t rx_packets, tx_packets, rx_bytes, tx_bytes;
	uint64_t rx_dropped, tx_dropped;
	uint32_t shown_addr, shown_gw; /* as last printed (netd_if_tick) */
};

/* After lwip_init(): keeps the arguments (static addresses, --dns). */
void netd_if_setup(const struct netd_args *args);
/* A new Ethernet interface for a device: NULL when all NETD_ETH_MAX are
 * in use. It comes up at once (link as given); its address comes from
 * --static, else from a DHCP client (unless --no-dhcp). */
struct netd_if *netd_if_add(const uint8_t mac[6], uint16_t mtu, bool link,
			    netd_if_tx_fn tx, void *dev);
/* The device went away: the interface is removed (DHCP stopped, lwIP's
 * routes and PCB bindings to it dropped). */
void netd_if_remove(struct netd_if *nif);
/* Carrier changes (DHCP restarts on link up). */
void netd_if_set_link(struct netd_if *nif, bool up);
/* One received frame (copied: the caller's buffer is not kept). Frames
 * shorter than an Ethernet header or longer than the MTU allows are
 * counted as dropped. */
void netd_if_input(struct netd_if *nif, const void *frame, uint32_t len);
/* After lwIP ran: address changes printed, the default route and --dns
 * kept right. */
void netd_if_tick(void);
/* The interface at index i (1..NETD_ETH_MAX), NULL if none. */
struct netd_if *netd_if_at(uint32_t i);
/* Number of Ethernet interfaces. */
uint32_t netd_if_count(void);
/* NET_IFLIST: lo then eth*, at most max filled; returns the total. */
uint32_t netd_if_list(struct net_ifinfo *out, uint32_t max);
/* lwIP's netif for "lo", "eth0", ... (NULL if none). */
struct netif *netd_if_find(const char *name);
