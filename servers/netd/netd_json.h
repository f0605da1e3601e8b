/* netd's ports/v0 JSON requests on /svc/netd and /drv/netd
 * (docs/net.md "JSON"): ping, status, ifconfig. Pure: no system calls. */
#pragma once
#include <stdint.h>

struct netd_stats {
	uint64_t now_ms, started_ms;
	uint64_t requests, json_requests, bad_requests;
	uint64_t dev_attaches, dev_detaches;
	uint64_t loops, wakeups;
	/* the socket service's (sock_get_stats) */
	uint32_t conns, socks;
	uint64_t mem_used, mem_limit; /* bytes of socket regions */
	uint64_t sock_rx_bytes, sock_tx_bytes, sock_refused, sock_hostile;
};

/* The whole answer to the request msg[0..len) in out; its length (a
 * ports/v0 error answer for a bad or unknown request). */
int netd_json_answer(const char *msg, uint32_t len, const struct netd_stats *st,
		     char *out, uint32_t cap);
