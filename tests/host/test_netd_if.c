/* netd's interfaces over the host lwIP (servers/netd/netd_if.c): lo is
 * there, and the JSON answers (netd_json.c) show it. */
#include <string.h>

#include "harness.h"
#include "netd_fix.h"
#include "netd_if.h"
#include "netd_json.h"

TEST(netd_if_lo_listed)
{
	netd_test_lwip();
	struct net_ifinfo f[4];
	uint32_t n = netd_if_list(f, 4);
	CHECK(n >= 1);
	STR_EQ(f[0].name, "lo");
	CHECK_EQ(f[0].flags, NET_IF_UP | NET_IF_LINK | NET_IF_LOOP);
	CHECK(!memcmp(f[0].addr, (uint8_t[]){127, 0, 0, 1}, 4));
	CHECK_EQ(f[0].prefix, 8);
	CHECK(netd_if_find("lo") != NULL);
	CHECK(netd_if_find("eth9") == NULL);
	CHECK_EQ(netd_if_list(f, 0), n); /* counts without filling */
}

TEST(netd_json_requests)
{
	netd_test_lwip();
	struct netd_stats st = {.now_ms = 5000, .started_ms = 1000};
	char out[4096];
	static const char ping[] = "{\"cmd\":\"ping\"}";
	int n = netd_json_answer(ping, sizeof(ping) - 1, &st, out, sizeof(out));
	CHECK(n > 0);
	CHECK(strstr(out, "\"name\":\"netd\"") != NULL);
	CHECK(strstr(out, "\"lwip\":\"2.1.3\"") != NULL);
	static const char ifc[] = "{\"cmd\":\"ifconfig\"}";
	n = netd_json_answer(ifc, sizeof(ifc) - 1, &st, out, sizeof(out));
	CHECK(n > 0);
	CHECK(strstr(out, "{\"name\":\"lo\",\"flags\":11,\"mtu\":65535,") !=
	      NULL);
	CHECK(strstr(out, "\"addr\":\"127.0.0.1\",\"prefix\":8") != NULL);
	static const char stat[] = "{\"cmd\":\"status\"}";
	n = netd_json_answer(stat, sizeof(stat) - 1, &st, out, sizeof(out));
	CHECK(n > 0);
	CHECK(strstr(out, "\"uptime_ms\":4000") != NULL);
	CHECK(strstr(out, "\"mem_limit\":") != NULL);
	static const char bad[] = "{\"cmd\":\"reboot\"}";
	n = netd_json_answer(bad, sizeof(bad) - 1, &st, out, sizeof(out));
	CHECK(n > 0 && strstr(out, "BAD_CMD"));
	n = netd_json_answer("{", 1, &st, out, sizeof(out));
	CHECK(n > 0 && strstr(out, "BAD_JSON"));
	/* Too small a buffer: an error answer, never an overrun. */
	n = netd_json_answer(stat, sizeof(stat) - 1, &st, out, 200);
	CHECK(n > 0 && n < 200 && strstr(out, "INTERNAL"));
}
