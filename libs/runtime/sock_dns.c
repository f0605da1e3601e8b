/* Host names through netd's DNS client (NET_RESOLVE). musl's own name
 * lookup (libs/musl-glue/src/network/lookup_name.c, ours) parses numeric
 * names and "localhost" itself and asks here for the rest, so no program
 * needs /etc/resolv.conf or its own DNS socket. docs/net-sockets.md. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <execrt/runtime.h>

#include "sock_int.h"

long __execrt_resolve(const char *name, int family, struct execrt_addr *out,
		      unsigned max)
{
	size_t len = name ? strnlen(name, NET_NAME_MAX) : NET_NAME_MAX;
	if (len == 0 || len >= NET_NAME_MAX)
		return -EINVAL;
	if (family != AF_UNSPEC && family != AF_INET && family != AF_INET6)
		return -EAFNOSUPPORT;
	struct net_addr a[NET_ADDRS_MAX];
	struct rtsk_call c = {.req = {.op = NET_RESOLVE,
				      .a = (uint32_t)family,
				      .len = (uint32_t)len + 1},
			      .data = name,
			      .out = a,
			      .outcap = sizeof(a)};
	long r = rtsk_call(&c, RTSK_ANY_GEN);
	for (uint32_t i = 0; i < c.nhout; i++)
		sys_handle_close(c.hout[i]);
	if (r < 0)
		return r;
	uint64_t n = c.resp.val;
	if (n > NET_ADDRS_MAX || n * sizeof(a[0]) > c.outlen)
		return -EIO;
	unsigned k = 0;
	for (unsigned i = 0; i < n && k < max; i++) {
		if (a[i].family != AF_INET && a[i].family != AF_INET6)
			continue;
		if (family != AF_UNSPEC && a[i].family != family)
			continue;
		out[k].family = a[i].family;
		out[k].scope = a[i].scope;
		memcpy(out[k].addr, a[i].addr, 16);
		k++;
	}
	return k ? (long)k : -ENOENT;
}
