/* netd's command line (servers/netd/netd_args.c). */
#include <string.h>

#include "harness.h"
#include "netd_args.h"

static int parse(struct netd_args *a, const char *const *v, int n)
{
	char *argv[16] = {"netd"};
	char err[128];
	for (int i = 0; i < n; i++)
		argv[i + 1] = (char *)v[i];
	return netd_args_parse(a, n + 1, argv, err, sizeof(err));
}

TEST(netd_args_static_and_dns)
{
	struct netd_args a;
	const char *v[] = {"--static", "eth1=192.168.76.2/24",
			   "--static", "eth2=10.1.2.3/8,10.0.0.1",
			   "--dns",    "10.0.2.2:5353",
			   "--no-dhcp"};
	CHECK_EQ(parse(&a, v, 7), 0);
	CHECK_EQ(a.nstatic, 2);
	const struct netd_static *s = netd_args_static(&a, "eth1", NULL);
	CHECK(s != NULL);
	CHECK(!memcmp(s->addr, (uint8_t[]){192, 168, 76, 2}, 4));
	CHECK_EQ(s->prefix, 24);
	CHECK(!memcmp(s->gw, (uint8_t[]){0, 0, 0, 0}, 4));
	s = netd_args_static(&a, "eth2", NULL);
	CHECK(s != NULL);
	CHECK_EQ(s->prefix, 8);
	CHECK(!memcmp(s->gw, (uint8_t[]){10, 0, 0, 1}, 4));
	CHECK(netd_args_static(&a, "eth0", NULL) == NULL);
	CHECK(a.have_dns);
	CHECK(!memcmp(a.dns, (uint8_t[]){10, 0, 2, 2}, 4));
	CHECK_EQ(a.dns_port, 5353);
	CHECK(a.no_dhcp);

	const char *d[] = {"--dns", "1.2.3.4"};
	CHECK_EQ(parse(&a, d, 2), 0);
	CHECK_EQ(a.dns_port, 53);
	CHECK_EQ(parse(&a, NULL, 0), 0);
	CHECK(!a.have_dns && !a.nstatic && !a.no_dhcp);
}

TEST(netd_args_static_by_mac)
{
	struct netd_args a;
	const char *v[] = {"--static", "eth1=10.0.0.1/8", "--static",
			   "52:54:00:12:34:9A=192.168.76.2/24"};
	CHECK_EQ(parse(&a, v, 4), 0);
	static const uint8_t mac[6] = {0x52, 0x54, 0, 0x12, 0x34, 0x9a};
	static const uint8_t other[6] = {0x52, 0x54, 0, 0x12, 0x34, 0x56};
	/* The MAC wins over the name it happens to get. */
	const struct netd_static *s = netd_args_static(&a, "eth1", mac);
	CHECK(s != NULL && s->by_mac);
	CHECK(!memcmp(s->addr, (uint8_t[]){192, 168, 76, 2}, 4));
	s = netd_args_static(&a, "eth1", other);
	CHECK(s != NULL && !s->by_mac);
	CHECK(!memcmp(s->addr, (uint8_t[]){10, 0, 0, 1}, 4));
	CHECK(netd_args_static(&a, "eth0", other) == NULL);
	const char *twice[] = {"--static", "52:54:00:12:34:9a=1.2.3.4/8",
			       "--static", "52:54:00:12:34:9A=1.2.3.5/8"};
	CHECK_EQ(parse(&a, twice, 4), -1);
	const char *bad[] = {"--static", "52:54:00:12:34=1.2.3.4/8"};
	CHECK_EQ(parse(&a, bad, 2), -1);
	const char *bad2[] = {"--static", "52:54:00:12:34:9g=1.2.3.4/8"};
	CHECK_EQ(parse(&a, bad2, 2), -1);
}

TEST(netd_args_refuses_nonsense)
{
	static const char *const bad[][2] = {
		{"--static", "eth1"},
		{"--static", "=1.2.3.4/8"},
		{"--static", "eth1=1.2.3/8"},
		{"--static", "eth1=1.2.3.4"},
		{"--static", "eth1=1.2.3.4/33"},
		{"--static", "eth1=1.2.3.4/0"},
		{"--static", "eth1=1.2.3.256/8"},
		{"--static", "eth1=1.2.3.4/8,"},
		{"--static", "eth1=1.2.3.4/8,1.2.3"},
		{"--static", "averyveryverylongname=1.2.3.4/8"},
		{"--dns", "1.2.3.4:"},
		{"--dns", "1.2.3.4:0"},
		{"--dns", "1.2.3.4:65536"},
		{"--dns", "1.2.3.4x"},
		{"--dns", "01234.1.1.1"},
		{"--bogus", "x"},
	};
	struct netd_args a;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(&a, bad[i], 2) != -1) {
			fprintf(stderr, "    accepted %s %s\n", bad[i][0],
				bad[i][1]);
			CHECK(0);
		}
	}
	const char *missing[] = {"--static"};
	CHECK_EQ(parse(&a, missing, 1), -1);
	const char *twice[] = {"--static", "eth1=1.2.3.4/8", "--static",
			       "eth1=1.2.3.5/8"};
	CHECK_EQ(parse(&a, twice, 4), -1);
}

TEST(netd_args_ip4)
{
	uint8_t o[4];
	CHECK(netd_parse_ip4("0.0.0.0", 7, o));
	CHECK(netd_parse_ip4("255.255.255.255", 15, o));
	CHECK(!memcmp(o, (uint8_t[]){255, 255, 255, 255}, 4));
	CHECK(!netd_parse_ip4("1.2.3.4.5", 9, o));
	CHECK(!netd_parse_ip4("1..3.4", 6, o));
	CHECK(!netd_parse_ip4("", 0, o));
	CHECK(netd_parse_ip4("1.2.3.4xyz", 7, o)); /* only len bytes */
}
