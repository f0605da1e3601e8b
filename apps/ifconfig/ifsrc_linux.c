/* ifconfig on a Linux host (to test the formatting there): getifaddrs,
 * the MTU through SIOCGIFMTU, counters from /sys/class/net. */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ifsrc.h"

static uint64_t sysfs(const char *ifname, const char *stat)
{
	char path[128];
	snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/%s", ifname,
		 stat);
	FILE *f = fopen(path, "r");
	unsigned long long v = 0;
	if (f) {
		if (fscanf(f, "%llu", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v;
}

static struct ifc *find(struct ifc *out, int *n, int max, const char *name)
{
	for (int i = 0; i < *n; i++)
		if (!strcmp(out[i].name, name))
			return &out[i];
	if (*n == max)
		return NULL;
	struct ifc *f = &out[(*n)++];
	memset(f, 0, sizeof(*f));
	snprintf(f->name, sizeof(f->name), "%s", name);
	return f;
}

int ifsrc_list(struct ifc *out, int max)
{
	struct ifaddrs *ifa = NULL;
	if (getifaddrs(&ifa) < 0) {
		perror("ifconfig: getifaddrs");
		return -1;
	}
	int n = 0, sfd = socket(AF_INET, SOCK_DGRAM, 0);
	for (struct ifaddrs *a = ifa; a; a = a->ifa_next) {
		struct ifc *f = find(out, &n, max, a->ifa_name);
		if (!f)
			break;
		f->flags |= (a->ifa_flags & IFF_UP ? IFC_UP : 0) |
			    (a->ifa_flags & IFF_RUNNING ? IFC_LINK : 0) |
			    (a->ifa_flags & IFF_LOOPBACK ? IFC_LOOP : 0);
		if (a->ifa_addr && a->ifa_addr->sa_family == AF_INET &&
		    !f->has_addr) {
			struct sockaddr_in *s = (void *)a->ifa_addr;
			memcpy(f->addr, &s->sin_addr, 4);
			f->has_addr = true;
			if (a->ifa_netmask) {
				uint32_t m =
					ntohl(((struct sockaddr_in *)(void *)
						       a->ifa_netmask)
						      ->sin_addr.s_addr);
				f->prefix = (uint8_t)__builtin_popcount(m);
			}
		}
	}
	freeifaddrs(ifa);
	for (int i = 0; i < n; i++) {
		struct ifreq r;
		memset(&r, 0, sizeof(r));
		snprintf(r.ifr_name, sizeof(r.ifr_name), "%s", out[i].name);
		if (sfd >= 0 && ioctl(sfd, SIOCGIFMTU, &r) == 0)
			out[i].mtu = (uint32_t)r.ifr_mtu;
		if (sfd >= 0 && ioctl(sfd, SIOCGIFHWADDR, &r) == 0 &&
		    !(out[i].flags & IFC_LOOP)) {
			memcpy(out[i].mac, r.ifr_hwaddr.sa_data, 6);
			out[i].has_mac = true;
		}
		out[i].rx_packets = sysfs(out[i].name, "rx_packets");
		out[i].tx_packets = sysfs(out[i].name, "tx_packets");
		out[i].rx_bytes = sysfs(out[i].name, "rx_bytes");
		out[i].tx_bytes = sysfs(out[i].name, "tx_bytes");
		out[i].rx_dropped = sysfs(out[i].name, "rx_dropped");
		out[i].tx_dropped = sysfs(out[i].name, "tx_dropped");
	}
	if (sfd >= 0)
		close(sfd);
	return n;
}
