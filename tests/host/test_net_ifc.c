/* ifconfig's pure half (apps/ifconfig/ifc.c): netd's JSON answer read
 * into records (partial, damaged), addresses parsed, lines printed. */
#include "harness.h"
#include "ifc.h"

TEST(net_ifc_addresses)
{
	uint8_t a[4], m[6];
	CHECK_EQ(ifc_parse_ipv4("10.0.2.15", a), 0);
	CHECK(a[0] == 10 && a[3] == 15);
	CHECK_EQ(ifc_parse_ipv4("256.0.0.1", a), -1);
	CHECK_EQ(ifc_parse_ipv4("1.2.3", a), -1);
	CHECK_EQ(ifc_parse_ipv4("1.2.3.4.", a), -1);
	CHECK_EQ(ifc_parse_ipv4("1..3.4", a), -1);
	CHECK_EQ(ifc_parse_ipv4("0001.2.3.4", a), -1);
	CHECK_EQ(ifc_parse_mac("52:54:00:12:34:5F", m), 0);
	CHECK(m[0] == 0x52 && m[5] == 0x5f);
	CHECK_EQ(ifc_parse_mac("52:54:00:12:34", m), -1);
	CHECK_EQ(ifc_parse_mac("52:54:00:12:34:5g", m), -1);
}

TEST(net_ifc_from_netd_json)
{
	static struct json_doc d;
	const char js[] =
		"{\"interfaces\":[{\"name\":\"lo\",\"flags\":11,\"mtu\":"
		"1500,\"addr\":\"127.0.0.1\",\"prefix\":8},{\"name\":\"eth0\","
		"\"flags\":7,\"mtu\":1500,\"mac\":\"52:54:00:12:34:56\","
		"\"addr\":\"10.0.2.15\",\"prefix\":24,\"gateway\":\"10.0.2.2\","
		"\"dns\":\"10.0.2.3\",\"rx_packets\":12,\"tx_packets\":3,"
		"\"rx_bytes\":1000,\"tx_bytes\":300,\"rx_dropped\":1,"
		"\"future\":[1,2]}]}";
	CHECK_EQ(json_parse(&d, js, sizeof(js) - 1), 0);
	struct ifc f[4];
	CHECK_EQ(ifc_from_json(&d, 0, f, 4), 2);
	STR_EQ(f[0].name, "lo");
	CHECK(f[0].has_addr && !f[0].has_mac && !f[0].has_gw);
	CHECK_EQ(f[1].rx_packets, 12);
	CHECK_EQ(f[1].rx_dropped, 1);
	CHECK(f[1].has_mac && f[1].has_gw && f[1].has_dns);
	char b[1024];
	ifc_fmt(b, sizeof(b), &f[1]);
	STR_EQ(b, "eth0: flags=<UP,LINK,DHCP> mtu 1500\n"
		  "        inet 10.0.2.15/24  gateway 10.0.2.2  dns 10.0.2.3\n"
		  "        ether 52:54:00:12:34:56\n"
		  "        RX packets 12  bytes 1000  dropped 1\n"
		  "        TX packets 3  bytes 300  dropped 0\n");
	ifc_fmt(b, sizeof(b), &f[0]);
	CHECK(!strncmp(b,
		       "lo: flags=<UP,LINK,LOOPBACK> mtu 1500\n"
		       "        inet 127.0.0.1/8\n",
		       63));
	/* zero addresses (lo's MAC, no DNS) are left out */
	memset(f[1].mac, 0, 6);
	memset(f[1].dns, 0, 4);
	ifc_fmt(b, sizeof(b), &f[1]);
	CHECK(!strstr(b, "ether") && !strstr(b, "dns"));
	CHECK(strstr(b, "gateway 10.0.2.2"));
	/* at most max */
	CHECK_EQ(ifc_from_json(&d, 0, f, 1), 1);
	/* a truncated buffer never overruns and ends in NUL */
	int full = ifc_fmt(b, sizeof(b), &f[1]);
	for (size_t cap = 1; cap < (size_t)full; cap += 13) {
		char small[400];
		memset(small, 'x', sizeof(small));
		CHECK_EQ(ifc_fmt(small, cap, &f[1]), full);
		CHECK_EQ(strlen(small), cap - 1);
		CHECK_EQ(small[cap], 'x');
	}
}

TEST(net_ifc_bad_shapes)
{
	static struct json_doc d;
	struct ifc f[2];
	const char *bad[] = {
		"{}", "{\"interfaces\":3}", "{\"interfaces\":[1]}",
		"{\"interfaces\":[{\"mtu\":1}]}",
		"{\"interfaces\":[{\"name\":\"0123456789abcdefXX\"}]}"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_EQ(json_parse(&d, bad[i], strlen(bad[i])), 0);
		CHECK_EQ(ifc_from_json(&d, 0, f, 2), -1);
	}
	const char ok[] = "{\"interfaces\":[{\"name\":\"eth1\",\"addr\":\"x\","
			  "\"mac\":7,\"prefix\":99}]}";
	CHECK_EQ(json_parse(&d, ok, sizeof(ok) - 1), 0);
	CHECK_EQ(ifc_from_json(&d, 0, f, 2), 1);
	CHECK(!f[0].has_addr && !f[0].has_mac && f[0].prefix == 0);
}
