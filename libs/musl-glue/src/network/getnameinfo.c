/* exec-rt: getnameinfo without /etc/hosts, /etc/services or reverse DNS
 * (replaces musl's getnameinfo.c, which would send PTR queries to a
 * resolver named in /etc/resolv.conf). A host is its numeric address,
 * except a loopback address, which is "localhost" unless NI_NUMERICHOST
 * (as /etc/hosts says on Linux); NI_NAMEREQD for any other address is
 * EAI_NONAME. A service is its decimal port. Written for exec-rt;
 * docs/net-sockets.md. */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

static int put(char *dst, socklen_t cap, const char *s)
{
	size_t l = strlen(s);
	if (l >= cap)
		return EAI_OVERFLOW;
	memcpy(dst, s, l + 1);
	return 0;
}

static char *utoa(char *end, unsigned v)
{
	*--end = 0;
	do
		*--end = (char)('0' + v % 10);
	while (v /= 10);
	return end;
}

int getnameinfo(const struct sockaddr *restrict sa, socklen_t sl,
		char *restrict node, socklen_t nodelen, char *restrict serv,
		socklen_t servlen, int flags)
{
	char host[INET6_ADDRSTRLEN + 12], num[12];
	const void *a;
	unsigned port, scope = 0;
	int loop;
	if (!sa || sl < sizeof(sa_family_t))
		return EAI_FAMILY;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;
		if (sl < sizeof(*in))
			return EAI_FAMILY;
		a = &in->sin_addr;
		port = ntohs(in->sin_port);
		loop = ((const unsigned char *)a)[0] == 127;
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;
		if (sl < sizeof(*in6))
			return EAI_FAMILY;
		a = &in6->sin6_addr;
		port = ntohs(in6->sin6_port);
		scope = in6->sin6_scope_id;
		loop = IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
	} else {
		return EAI_FAMILY;
	}
	if (node && nodelen) {
		if (loop && !(flags & NI_NUMERICHOST)) {
			strcpy(host, "localhost");
		} else if (flags & NI_NAMEREQD) {
			return EAI_NONAME;
		} else {
			inet_ntop(sa->sa_family, a, host, INET6_ADDRSTRLEN);
			if (scope) { /* numeric scope: no interface names */
				size_t l = strlen(host);
				host[l] = '%';
				strcpy(host + l + 1,
				       utoa(num + sizeof(num), scope));
			}
		}
		int r = put(node, nodelen, host);
		if (r)
			return r;
	}
	if (serv && servlen)
		return put(serv, servlen, utoa(num + sizeof(num), port));
	return 0;
}
