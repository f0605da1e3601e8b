/* The lwIP side of netd's loop (main.c includes no lwIP header: lwIP's
 * err_t names clash with execrt/errors.h). Pure: no system calls. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "netd_args.h"

/* lwip_init(), the random seed, the interfaces' arguments (--dns). */
void netd_stack_init(const struct netd_args *a, uint64_t seed);
/* lwIP's due timers, the SYN flood defence, then loopback deliveries (lo and
 * sends to an own address, queued while lwIP ran) for a few passes so replies
 * to replies get through. True when deliveries are still queued. */
bool netd_stack_poll(void);
/* Half-open TCP connections dropped so far by the SYN flood defence (a
 * listener's backlog full; status: tcp_half_open_reaped). */
uint64_t netd_stack_half_open_reaped(void);
/* Loopback deliveries are queued (netd must not sleep). */
bool netd_stack_loop_pending(void);
/* Milliseconds until lwIP's next timer, UINT32_MAX when none. */
uint32_t netd_stack_sleep_ms(void);
/* lwIP's version, "2.1.3". */
const char *netd_stack_version(void);
