/* netd's parts and what they share (docs/net.md "netd"). main.c owns the
 * port, the doorbell notification and the loop; netd_dev*.c the network
 * devices of /drv/netd (one interface each, netd_if.c). */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include <execrt/types.h>

/* Doorbell bits of the devices: bit i for the interface at index i. */
#define NETD_DEV_BELLS 0xfffeull

handle_t netd_port(void);      /* receive side: mints device connections */
handle_t netd_bell(void);      /* the notification the loop waits on */
void netd_stats_refused(void); /* a request refused as malformed */
void netd_stats_attached(void);
void netd_stats_detached(void);

/* Device connections (badges with the NETD_BADGE_DEV tag). */
bool netd_dev_owns_badge(uint64_t badge);
/* A NETDEV_* request on /drv/netd or a device connection: answers
 * (or parks, NETDEV_HOLD) the reply and takes every handle. */
void netd_dev_request(uint64_t badge, handle_t reply, const void *msg,
		      uint32_t len, handle_t *h, uint32_t nh);
/* The driver's end of a connection is gone: its interface goes. */
void netd_dev_closed(uint64_t badge);
/* Bells rung: their devices' rings are served. */
void netd_dev_on_bells(uint64_t bits);
/* Every device's rings once; the bells of those with work left. */
uint64_t netd_dev_poll_all(void);
/* Starts the thread that survives a driver revoking its region under
 * netd (netd_devsvc.c). */
long netd_dev_fault_handler(void);
/* Rings the drivers that were given frames or slots since the last kick. */
void netd_dev_kick_all(void);
