/* netd's command line (netd_args.h). */
#include "netd_args.h"

#include <stdio.h>
#include <string.h>

bool netd_parse_ip4(const char *s, uint32_t len, uint8_t out[4])
{
	uint32_t i = 0;
	for (int part = 0; part < 4; part++) {
		uint32_t v = 0, digits = 0;
		while (i < len && s[i] >= '0' && s[i] <= '9' && digits < 4) {
			v = v * 10 + (uint32_t)(s[i] - '0');
			i++;
			digits++;
		}
		if (!digits || digits > 3 || v > 255)
			return false;
		out[part] = (uint8_t)v;
		if (part < 3) {
			if (i >= len || s[i] != '.')
				return false;
			i++;
		}
	}
	return i == len;
}

/* A decimal number of at most 5 digits in s[0..len), <= max. */
static bool parse_uint(const char *s, uint32_t len, uint32_t max, uint32_t *out)
{
	uint32_t v = 0;
	if (!len || len > 5)
		return false;
	for (uint32_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint32_t)(s[i] - '0');
	}
	if (v > max)
		return false;
	*out = v;
	return true;
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

/* "52:54:00:12:34:99" exactly (17 bytes). */
static bool parse_mac(const char *s, uint32_t len, uint8_t out[6])
{
	if (len != 17)
		return false;
	for (int i = 0; i < 6; i++) {
		int h = hexval(s[3 * i]), l = hexval(s[3 * i + 1]);
		if (h < 0 || l < 0 || (i < 5 && s[3 * i + 2] != ':'))
			return false;
		out[i] = (uint8_t)(h << 4 | l);
	}
	return true;
}

/* IF=ADDR/PREFIX[,GW], IF a name or a MAC */
static bool parse_static(const char *s, struct netd_static *st)
{
	const char *eq = strchr(s, '='), *slash, *comma;
	memset(st, 0, sizeof(*st));
	if (eq && parse_mac(s, (uint32_t)(eq - s), st->mac))
		st->by_mac = true;
	else if (!eq || eq == s || (size_t)(eq - s) >= NETD_IFNAME_MAX ||
		 memchr(s, ':', (size_t)(eq - s)))
		return false;
	else
		memcpy(st->ifname, s, (size_t)(eq - s));
	s = eq + 1;
	slash = strchr(s, '/');
	if (!slash || !netd_parse_ip4(s, (uint32_t)(slash - s), st->addr))
		return false;
	s = slash + 1;
	comma = strchr(s, ',');
	uint32_t plen = comma ? (uint32_t)(comma - s) : (uint32_t)strlen(s);
	uint32_t prefix;
	if (!parse_uint(s, plen, 32, &prefix) || prefix == 0)
		return false;
	st->prefix = (uint8_t)prefix;
	if (comma &&
	    !netd_parse_ip4(comma + 1, (uint32_t)strlen(comma + 1), st->gw))
		return false;
	return true;
}

/* ADDR[:PORT] */
static bool parse_dns(const char *s, struct netd_args *a)
{
	const char *colon = strchr(s, ':');
	uint32_t alen = colon ? (uint32_t)(colon - s) : (uint32_t)strlen(s);
	uint32_t port = 53;
	if (!netd_parse_ip4(s, alen, a->dns))
		return false;
	if (colon && (!parse_uint(colon + 1, (uint32_t)strlen(colon + 1), 65535,
				  &port) ||
		      port == 0))
		return false;
	a->dns_port = (uint16_t)port;
	a->have_dns = true;
	return true;
}

static bool static_dup(const struct netd_args *a, const struct netd_static *st)
{
	for (uint32_t j = 0; j < a->nstatic; j++) {
		const struct netd_static *p = &a->st[j];
		if (p->by_mac == st->by_mac &&
		    (st->by_mac ? !memcmp(p->mac, st->mac, 6)
				: !strcmp(p->ifname, st->ifname)))
			return true;
	}
	return false;
}

int netd_args_parse(struct netd_args *a, int argc, char **argv, char *err,
		    uint32_t cap)
{
	memset(a, 0, sizeof(*a));
	a->dns_port = 53;
	for (int i = 1; i < argc; i++) {
		const char *o = argv[i];
		bool takes = !strcmp(o, "--static") || !strcmp(o, "--dns");
		if (takes && i + 1 >= argc) {
			snprintf(err, cap, "%s needs a value", o);
			return -1;
		}
		if (!strcmp(o, "--static")) {
			const char *v = argv[++i];
			if (a->nstatic == NETD_STATIC_MAX) {
				snprintf(err, cap, "more than %u --static",
					 NETD_STATIC_MAX);
				return -1;
			}
			struct netd_static st;
			if (!parse_static(v, &st)) {
				snprintf(err, cap,
					 "--static %s: want IF=A.B.C.D/PREFIX"
					 "[,GW]",
					 v);
				return -1;
			}
			if (static_dup(a, &st)) {
				snprintf(err, cap,
					 "--static %s: that interface twice",
					 v);
				return -1;
			}
			a->st[a->nstatic++] = st;
		} else if (!strcmp(o, "--dns")) {
			const char *v = argv[++i];
			if (!parse_dns(v, a)) {
				snprintf(err, cap,
					 "--dns %s: want A.B.C.D[:PORT]", v);
				return -1;
			}
		} else if (!strcmp(o, "--no-dhcp")) {
			a->no_dhcp = true;
		} else {
			snprintf(err, cap, "unknown argument %s", o);
			return -1;
		}
	}
	return 0;
}

const struct netd_static *netd_args_static(const struct netd_args *a,
					   const char *ifname,
					   const uint8_t mac[6])
{
	for (uint32_t i = 0; i < a->nstatic; i++)
		if (a->st[i].by_mac && mac && !memcmp(a->st[i].mac, mac, 6))
			return &a->st[i];
	for (uint32_t i = 0; i < a->nstatic; i++)
		if (!a->st[i].by_mac && ifname &&
		    !strcmp(a->st[i].ifname, ifname))
			return &a->st[i];
	return NULL;
}
