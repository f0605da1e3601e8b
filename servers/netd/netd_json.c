/* netd's JSON requests (netd_json.h). */
#include "netd_json.h"

#include <stdio.h>
#include <string.h>

#include <execrt/net_proto.h>

#include "json.h"
#include "lwip/init.h"
#include "lwip/memp.h"
#include "lwip/stats.h"
#include "netd_dev.h"
#include "netd_if.h"
#include "netd_stack.h"

#define NETD_VERSION "0.1.0"

static void w_ip(struct json_w *w, const char *key, const uint8_t a[4])
{
	char s[16];
	snprintf(s, sizeof(s), "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
	json_w_key(w, key);
	json_w_str(w, s);
}

static void w_u(struct json_w *w, const char *key, uint64_t v)
{
	json_w_key(w, key);
	json_w_uint(w, v);
}

static void ifconfig(struct json_w *w)
{
	struct net_ifinfo ifs[NETD_ETH_MAX + 1];
	uint32_t n = netd_if_list(ifs, NETD_ETH_MAX + 1);
	if (n > NETD_ETH_MAX + 1)
		n = NETD_ETH_MAX + 1;
	json_w_key(w, "interfaces");
	json_w_arr(w);
	for (uint32_t i = 0; i < n; i++) {
		const struct net_ifinfo *f = &ifs[i];
		char mac[18];
		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x",
			 f->mac[0], f->mac[1], f->mac[2], f->mac[3], f->mac[4],
			 f->mac[5]);
		json_w_obj(w);
		json_w_key(w, "name");
		json_w_str(w, f->name);
		w_u(w, "flags", f->flags);
		w_u(w, "mtu", f->mtu);
		json_w_key(w, "mac");
		json_w_str(w, mac);
		w_ip(w, "addr", f->addr);
		w_u(w, "prefix", f->prefix);
		w_ip(w, "gateway", f->gateway);
		w_ip(w, "dns", f->dns);
		w_u(w, "rx_packets", f->rx_packets);
		w_u(w, "tx_packets", f->tx_packets);
		w_u(w, "rx_bytes", f->rx_bytes);
		w_u(w, "tx_bytes", f->tx_bytes);
		w_u(w, "rx_dropped", f->rx_dropped);
		w_u(w, "tx_dropped", f->tx_dropped);
		json_w_end(w);
	}
	json_w_end(w);
}

/* lwIP's pools that run out first under load or attack. */
static void pool(struct json_w *w, const char *key, memp_t t)
{
	const struct stats_mem *m = lwip_stats.memp[t];
	json_w_key(w, key);
	json_w_obj(w);
	w_u(w, "used", m ? m->used : 0);
	w_u(w, "max", m ? m->max : 0);
	w_u(w, "avail", m ? m->avail : 0);
	w_u(w, "err", m ? m->err : 0);
	json_w_end(w);
}

static void devices(struct json_w *w)
{
	struct netd_dev_info d[NETD_ETH_MAX];
	uint32_t n = netd_dev_list(d, NETD_ETH_MAX);
	json_w_key(w, "devices");
	json_w_arr(w);
	for (uint32_t i = 0; i < n && i < NETD_ETH_MAX; i++) {
		json_w_obj(w);
		json_w_key(w, "name");
		json_w_str(w, d[i].ifname);
		json_w_key(w, "driver");
		json_w_str(w, d[i].driver);
		json_w_key(w, "where");
		json_w_str(w, d[i].where);
		w_u(w, "rx_frames", d[i].c.rx_frames);
		w_u(w, "tx_frames", d[i].c.tx_frames);
		w_u(w, "tx_no_slot", d[i].c.tx_no_slot);
		w_u(w, "ring_violations", d[i].c.violations);
		w_u(w, "rx_no_buffer", d[i].rx_no_buffer);
		w_u(w, "tx_errors", d[i].tx_errors);
		json_w_end(w);
	}
	json_w_end(w);
}

static void status(struct json_w *w, const struct netd_stats *st)
{
	w_u(w, "uptime_ms", st->now_ms - st->started_ms);
	w_u(w, "interfaces", netd_if_count() + 1);
	w_u(w, "requests", st->requests);
	w_u(w, "json_requests", st->json_requests);
	w_u(w, "bad_requests", st->bad_requests);
	w_u(w, "dev_attaches", st->dev_attaches);
	w_u(w, "dev_detaches", st->dev_detaches);
	w_u(w, "loops", st->loops);
	w_u(w, "conns", st->conns);
	w_u(w, "socks", st->socks);
	w_u(w, "mem_used", st->mem_used);
	w_u(w, "mem_limit", st->mem_limit);
	w_u(w, "sock_rx_bytes", st->sock_rx_bytes);
	w_u(w, "sock_tx_bytes", st->sock_tx_bytes);
	w_u(w, "sock_refused", st->sock_refused);
	w_u(w, "sock_hostile", st->sock_hostile);
	w_u(w, "lwip_mem_used", lwip_stats.mem.used);
	w_u(w, "lwip_mem_max", lwip_stats.mem.max);
	w_u(w, "lwip_mem_size", lwip_stats.mem.avail);
	w_u(w, "lwip_mem_err", lwip_stats.mem.err);
	pool(w, "pbuf_pool", MEMP_PBUF_POOL);
	pool(w, "tcp_pcb", MEMP_TCP_PCB);
	pool(w, "tcp_seg", MEMP_TCP_SEG);
	pool(w, "udp_pcb", MEMP_UDP_PCB);
	w_u(w, "ip_rx", lwip_stats.ip.recv);
	w_u(w, "ip_drop", lwip_stats.ip.drop);
	w_u(w, "tcp_rx", lwip_stats.tcp.recv);
	w_u(w, "tcp_tx", lwip_stats.tcp.xmit);
	w_u(w, "tcp_drop", lwip_stats.tcp.drop);
	w_u(w, "udp_rx", lwip_stats.udp.recv);
	w_u(w, "udp_tx", lwip_stats.udp.xmit);
	w_u(w, "icmp_rx", lwip_stats.icmp.recv);
	w_u(w, "icmp_tx", lwip_stats.icmp.xmit);
	w_u(w, "link_drop", lwip_stats.link.drop);
	w_u(w, "tcp_half_open_reaped", netd_stack_half_open_reaped());
	devices(w);
}

int netd_json_answer(const char *msg, uint32_t len, const struct netd_stats *st,
		     char *out, uint32_t cap)
{
	static struct json_doc d;
	char cmd[16] = "";
	int n;
	if (json_parse(&d, msg, len) < 0 ||
	    json_get_str(&d, "cmd", cmd, sizeof(cmd)) < 0)
		return json_w_error(out, cap, "BAD_JSON", "not a request");
	if (strcmp(cmd, "ping") && strcmp(cmd, "status") &&
	    strcmp(cmd, "ifconfig"))
		return json_w_error(out, cap, "BAD_CMD", "unknown cmd");
	struct json_w w;
	json_w_init(&w, out, cap);
	json_w_obj(&w);
	json_w_key(&w, "ok");
	json_w_bool(&w, true);
	json_w_key(&w, "result");
	json_w_obj(&w);
	if (!strcmp(cmd, "ping")) {
		json_w_key(&w, "name");
		json_w_str(&w, "netd");
		json_w_key(&w, "version");
		json_w_str(&w, NETD_VERSION);
		json_w_key(&w, "protocol");
		json_w_str(&w, "ports/v0");
		w_u(&w, "net_proto", NET_PROTO_VERSION);
		json_w_key(&w, "lwip");
		json_w_str(&w, LWIP_VERSION_STRING);
	} else if (!strcmp(cmd, "status")) {
		status(&w, st);
	} else {
		ifconfig(&w);
	}
	json_w_end(&w);
	json_w_end(&w);
	n = json_w_finish(&w);
	if (n < 0)
		return json_w_error(out, cap, "INTERNAL", "answer too long");
	return n;
}
