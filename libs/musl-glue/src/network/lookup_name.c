/* exec-rt: host names for getaddrinfo, gethostbyname and friends.
 * Replaces musl's lookup_name.c (which reads /etc/hosts and
 * /etc/resolv.conf and sends its own DNS queries over UDP): here a
 * numeric address is parsed (musl's __lookup_ipliteral), "localhost" (and
 * names under .localhost) is the loopback address, and any other name is
 * asked of netd's DNS client through the runtime (__execrt_resolve,
 * libs/runtime/sock_dns.c; NET_RESOLVE). Written for exec-rt;
 * docs/net-sockets.md. */
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "lookup.h"

/* The runtime's (libs/runtime/include/execrt/runtime.h), same layout. */
struct execrt_addr {
	int family;
	unsigned scope;
	unsigned char addr[16];
};
long __execrt_resolve(const char *name, int family, struct execrt_addr *out,
		      unsigned max);

#define RESOLVE_MAX 16 /* NET_ADDRS_MAX */

static int add(struct address *buf, int n, int family, const void *a,
	       unsigned scope)
{
	memset(&buf[n], 0, sizeof(buf[n]));
	buf[n].family = family;
	buf[n].scopeid = scope;
	memcpy(buf[n].addr, a, family == AF_INET ? 4 : 16);
	return n + 1;
}

/* The wildcard (passive) or loopback addresses of the family, IPv4
 * first (netd always has IPv4, IPv6 only if its build has it). */
static int fixed(struct address *buf, int family, int any)
{
	static const unsigned char lo4[4] = {127, 0, 0, 1}, any4[4];
	static const unsigned char lo6[16] = {[15] = 1}, any6[16];
	int n = 0;
	if (family != AF_INET6)
		n = add(buf, n, AF_INET, any ? any4 : lo4, 0);
	if (family != AF_INET)
		n = add(buf, n, AF_INET6, any ? any6 : lo6, 0);
	return n;
}

static int is_localhost(const char *name)
{
	size_t l = strlen(name);
	if (l && name[l - 1] == '.')
		l--; /* the absolute form */
	if (l == 9 && !strncasecmp(name, "localhost", 9))
		return 1;
	return l > 10 && !strncasecmp(name + l - 10, ".localhost", 10);
}

static int eai_of(long err)
{
	switch (err) {
	case -ENOENT:
	case -EINVAL:
	case -EAFNOSUPPORT:
		return EAI_NONAME;
	case -ETIMEDOUT:
	case -EAGAIN:
	case -ENETDOWN:
	case -ECONNRESET:
		return EAI_AGAIN;
	case -ENOMEM:
	case -ENOBUFS:
		return EAI_MEMORY;
	default:
		return EAI_FAIL;
	}
}

static int from_netd(struct address *buf, const char *name, int family)
{
	struct execrt_addr a[RESOLVE_MAX];
	long r = __execrt_resolve(name, family, a, RESOLVE_MAX);
	if (r < 0)
		return eai_of(r);
	int n = 0;
	for (long i = 0; i < r && n < MAXADDRS; i++)
		n = add(buf, n, a[i].family, a[i].addr, a[i].scope);
	return n;
}

/* AI_V4MAPPED for AF_INET6: IPv6 results only if there are any (all of
 * them with AI_ALL), IPv4 ones as ::ffff:a.b.c.d otherwise. */
static int map_v4(struct address *buf, int n, int flags)
{
	int v6 = 0;
	for (int i = 0; i < n; i++)
		v6 += buf[i].family == AF_INET6;
	int k = 0;
	for (int i = 0; i < n; i++) {
		struct address a = buf[i];
		if (a.family == AF_INET) {
			if (v6 && !(flags & AI_ALL))
				continue;
			unsigned char m[16] = {[10] = 0xff, [11] = 0xff};
			memcpy(m + 12, a.addr, 4);
			a.family = AF_INET6;
			memcpy(a.addr, m, 16);
		}
		buf[k++] = a;
	}
	return k;
}

int __lookup_name(struct address buf[static MAXADDRS], char canon[static 256],
		  const char *name, int family, int flags)
{
	*canon = 0;
	if (name) {
		size_t l = strnlen(name, 255);
		if (l == 0 || l >= 255)
			return EAI_NONAME;
		memcpy(canon, name, l + 1);
	}
	int mapped = family == AF_INET6 && (flags & AI_V4MAPPED);
	int ask = mapped ? AF_UNSPEC : family;
	int n;
	if (!name)
		n = fixed(buf, family, flags & AI_PASSIVE);
	else if ((n = __lookup_ipliteral(buf, name, ask)) != 0)
		;
	else if (flags & AI_NUMERICHOST)
		return EAI_NONAME;
	else if (is_localhost(name))
		n = fixed(buf, ask, 0);
	else
		n = from_netd(buf, name, ask);
	if (n < 0)
		return n;
	if (mapped)
		n = map_v4(buf, n, flags);
	return n ? n : EAI_NONAME;
}
