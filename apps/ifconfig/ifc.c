/* ifconfig's pure half (ifc.h). */
#include "ifc.h"

#include <stdio.h>
#include <string.h>

int ifc_parse_ipv4(const char *s, uint8_t out[4])
{
	for (int i = 0; i < 4; i++) {
		unsigned v = 0;
		int digits = 0;
		while (*s >= '0' && *s <= '9' && digits < 4) {
			v = v * 10 + (unsigned)(*s++ - '0');
			digits++;
		}
		if (!digits || digits > 3 || v > 255)
			return -1;
		out[i] = (uint8_t)v;
		if (i < 3 && *s++ != '.')
			return -1;
	}
	return *s ? -1 : 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int ifc_parse_mac(const char *s, uint8_t out[6])
{
	for (int i = 0; i < 6; i++) {
		int h = hexval(s[0]), l = h < 0 ? -1 : hexval(s[1]);
		if (h < 0 || l < 0)
			return -1;
		out[i] = (uint8_t)(h << 4 | l);
		s += 2;
		if (i < 5 && *s++ != ':')
			return -1;
	}
	return *s ? -1 : 0;
}

static void get_u64(const struct json_doc *d, int t, const char *k,
		    uint64_t *out)
{
	int f = json_find(d, t, k);
	uint64_t v;
	if (f >= 0 && json_uint(d, f, &v) == 0)
		*out = v;
}

static bool get_ip(const struct json_doc *d, int t, const char *k,
		   uint8_t out[4])
{
	char s[32];
	int f = json_find(d, t, k);
	return f >= 0 && json_str(d, f, s, sizeof(s)) >= 0 &&
	       ifc_parse_ipv4(s, out) == 0;
}

int ifc_from_json(const struct json_doc *d, int res, struct ifc *out, int max)
{
	int arr = json_find(d, res, "interfaces");
	if (arr < 0 || json_type_of(d, arr) != JSON_ARRAY)
		return -1;
	int n = 0;
	for (int i = 0; n < max; i++) {
		int t = json_index(d, arr, i);
		if (t < 0)
			break;
		if (json_type_of(d, t) != JSON_OBJECT)
			return -1;
		struct ifc *f = &out[n];
		memset(f, 0, sizeof(*f));
		int k = json_find(d, t, "name");
		if (k < 0 || json_str(d, k, f->name, sizeof(f->name)) < 0)
			return -1;
		uint64_t v = 0;
		get_u64(d, t, "flags", &v);
		f->flags = (uint32_t)v;
		v = 0;
		get_u64(d, t, "mtu", &v);
		f->mtu = (uint32_t)v;
		v = 0;
		get_u64(d, t, "prefix", &v);
		f->prefix = v <= 32 ? (uint8_t)v : 0;
		char mac[32];
		k = json_find(d, t, "mac");
		f->has_mac = k >= 0 && json_str(d, k, mac, sizeof(mac)) >= 0 &&
			     ifc_parse_mac(mac, f->mac) == 0;
		f->has_addr = get_ip(d, t, "addr", f->addr);
		f->has_gw = get_ip(d, t, "gateway", f->gateway);
		f->has_dns = get_ip(d, t, "dns", f->dns);
		get_u64(d, t, "rx_packets", &f->rx_packets);
		get_u64(d, t, "tx_packets", &f->tx_packets);
		get_u64(d, t, "rx_bytes", &f->rx_bytes);
		get_u64(d, t, "tx_bytes", &f->tx_bytes);
		get_u64(d, t, "rx_dropped", &f->rx_dropped);
		get_u64(d, t, "tx_dropped", &f->tx_dropped);
		n++;
	}
	return n;
}

int ifc_fmt(char *buf, size_t cap, const struct ifc *i)
{
	char flags[64] = "";
	static const char *const names[] = {"UP", "LINK", "DHCP", "LOOPBACK"};
	for (int b = 0; b < 4; b++) {
		if (!(i->flags & (1u << b)))
			continue;
		if (flags[0])
			strcat(flags, ",");
		strcat(flags, names[b]);
	}
	size_t len = 0;
	int n = snprintf(buf, cap, "%s: flags=<%s> mtu %u\n", i->name, flags,
			 i->mtu);
#define ADD(...)                                                               \
	do {                                                                   \
		if (n < 0)                                                     \
			return n;                                              \
		len += (size_t)n;                                              \
		n = snprintf(buf + (len < cap ? len : cap),                    \
			     len < cap ? cap - len : 0, __VA_ARGS__);          \
	} while (0)
	if (i->has_addr)
		ADD("        inet %u.%u.%u.%u/%u", i->addr[0], i->addr[1],
		    i->addr[2], i->addr[3], i->prefix);
	static const uint8_t zero[6];
	if (i->has_addr && i->has_gw && memcmp(i->gateway, zero, 4))
		ADD("  gateway %u.%u.%u.%u", i->gateway[0], i->gateway[1],
		    i->gateway[2], i->gateway[3]);
	if (i->has_addr && i->has_dns && memcmp(i->dns, zero, 4))
		ADD("  dns %u.%u.%u.%u", i->dns[0], i->dns[1], i->dns[2],
		    i->dns[3]);
	if (i->has_addr)
		ADD("\n");
	if (i->has_mac && memcmp(i->mac, zero, 6)) /* lo has none */
		ADD("        ether %02x:%02x:%02x:%02x:%02x:%02x\n", i->mac[0],
		    i->mac[1], i->mac[2], i->mac[3], i->mac[4], i->mac[5]);
	ADD("        RX packets %llu  bytes %llu  dropped %llu\n",
	    (unsigned long long)i->rx_packets, (unsigned long long)i->rx_bytes,
	    (unsigned long long)i->rx_dropped);
	ADD("        TX packets %llu  bytes %llu  dropped %llu\n",
	    (unsigned long long)i->tx_packets, (unsigned long long)i->tx_bytes,
	    (unsigned long long)i->tx_dropped);
#undef ADD
	return n < 0 ? n : (int)(len + (size_t)n);
}
