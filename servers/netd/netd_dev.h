/* A network device's rings as an lwIP interface (docs/net.md "Devices"):
 * frames received by the driver (rx_ready) are copied into pbufs and fed
 * to lwIP, their slots handed back (rx_free); frames lwIP sends are copied
 * into a transmit slot netd holds (tx_ready), which comes back on tx_done.
 * Everything read from the region is checked by libnetring; a driver that
 * breaks the protocol gets its interface dropped. Pure: no system calls
 * (the caller rings the driver's doorbell when netd_dev_kick says so). */
#pragma once
#include <execrt/netdev_proto.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NETD_DEV_RX_BATCH 256 /* frames per device per pass */

struct netd_dev;

/* Opens the region mem[0..size) of a driver that attached with a (its
 * geometry checked against the header) and adds an interface for it.
 * NULL with *err: ERR_INVALID_ARGS-like -1 (a bad region or geometry), -2
 * (no interface free). */
struct netd_dev *netd_dev_open(void *mem, size_t size,
			       const struct netdev_attach *a, int *err);
/* Removes the interface and forgets the region (the caller unmaps it). */
void netd_dev_close(struct netd_dev *d);
/* The interface's index (1..15: its doorbell bit) and name. */
uint32_t netd_dev_index(const struct netd_dev *d);
const char *netd_dev_name(const struct netd_dev *d);
/* Serves the rings once: done transmits reclaimed, up to
 * NETD_DEV_RX_BATCH frames received, the carrier. True when received
 * frames are left for another pass. */
bool netd_dev_service(struct netd_dev *d);
/* The driver broke the protocol (the interface is useless; detach). */
bool netd_dev_broken(const struct netd_dev *d);
/* True once when ring entries were produced since the last call (the
 * driver must be signalled). */
bool netd_dev_kick(struct netd_dev *d);

struct netd_dev_counts {
	uint64_t rx_frames, tx_frames, tx_no_slot, violations;
};

/* For `status`: each device's driver and counters. */
struct netd_dev_info {
	char ifname[16], driver[16], where[16];
	struct netd_dev_counts c;
	uint64_t rx_no_buffer, tx_errors; /* the driver's, from the header */
	bool broken;
};
/* Fills at most max entries; returns how many devices there are. */
uint32_t netd_dev_list(struct netd_dev_info *out, uint32_t max);
