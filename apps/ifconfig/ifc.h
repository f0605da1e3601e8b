/* ifconfig's pure half: the interface record (struct net_ifinfo's
 * fields), netd's JSON `ifconfig` answer read into it, and the text
 * printed. Host-tested in tests/host/test_net_ifc.c. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json.h"

#define IFC_MAX 16

/* The NET_IF_* bits of include/execrt/net_proto.h. */
#define IFC_UP	 (1u << 0)
#define IFC_LINK (1u << 1)
#define IFC_DHCP (1u << 2)
#define IFC_LOOP (1u << 3)

struct ifc {
	char name[16];
	uint32_t flags;
	uint32_t mtu;
	bool has_mac, has_addr, has_gw, has_dns;
	uint8_t mac[6];
	uint8_t prefix;
	uint8_t addr[4], gateway[4], dns[4];
	uint64_t rx_packets, tx_packets, rx_bytes, tx_bytes;
	uint64_t rx_dropped, tx_dropped;
};

/* The interfaces of a `{"cmd":"ifconfig"}` answer: result token `res` of
 * d (an object with "interfaces": [...]). Returns how many were read
 * (at most max), or -1 when the shape is wrong. Unknown fields are
 * ignored, missing ones stay absent/0. */
int ifc_from_json(const struct json_doc *d, int res, struct ifc *out, int max);

/* "10.0.2.15" -> addr; 0 ok, -1 bad. */
int ifc_parse_ipv4(const char *s, uint8_t out[4]);
/* "52:54:00:12:34:56" -> mac; 0 ok, -1 bad. */
int ifc_parse_mac(const char *s, uint8_t out[6]);

/* One interface as several lines (snprintf's result). */
int ifc_fmt(char *buf, size_t cap, const struct ifc *i);
