/* The network device protocol of /drv/netd (docs/net.md "Devices"
 * has the rules; this file is the wire format). A network driver
 * (drivers/virtio-net, started by iod) attaches its device to netd here;
 * netd makes an interface of it (eth0, eth1, ... in attach order).
 *
 * Frames move through one shared region, never through port messages:
 * the driver allocates it (DMA memory, so the device reads and writes the
 * frame slots in place: no copy in the driver) and grants it to netd.
 * The region is a header page with four single-producer rings of slot
 * numbers, then nslots frame slots of NETDEV_SLOT_SIZE bytes:
 *   rx_ready  driver -> netd   a received frame is in slot s, len bytes
 *   rx_free   netd -> driver   slot s may take a frame again
 *   tx_ready  netd -> driver   send slot s, len bytes
 *   tx_done   driver -> netd   the device is done with slot s
 * Slots [0, nrx) start owned by the driver for reception (it posts them
 * to the device), slots [nrx, nslots) start owned by netd for
 * transmission. A slot changes owner only through a ring. Each side
 * reads the other's index once per pass and checks it (head - tail <=
 * ring size), checks every slot number and length it is given (in range,
 * owned by the giver), and copies an entry before using it: a broken
 * peer can lose frames, never corrupt the other side's memory. A side
 * that finds the region inconsistent detaches (netd: the interface goes
 * down; the driver: it attaches again with a fresh region).
 *
 * Doorbells: after producing ring entries a side signals the other's
 * notification (bits below); netd's is passed in the ATTACH answer, the
 * driver's in the request. Two kinds of entry may wait for the peer's
 * next pass instead (fewer wake-ups per frame, docs/net-driver.md
 * "Doorbells"): tx_done (netd takes it back when it runs out of transmit
 * slots, and signals the driver then) and rx_free, which netd signals
 * once per quarter of nrx slots freed, and the driver
 * takes back on every wake-up.
 *
 * Lifetime: the ATTACH answer's connection endpoint is minted with
 * PORT_MINT_NOTIFY_CLOSED: when the driver dies netd gets the no-senders
 * notice and removes the interface (unmapping the region). The driver
 * keeps one NETDEV_HOLD call parked in netd; it ends with
 * ERR_PEER_CLOSED when netd dies, and the driver attaches again (looking
 * /drv/netd up anew) with a fresh region.
 *
 * Errors: netdev_resp.err is 0 or a negative ERR_* (execrt/errors.h). */
#pragma once
#include <execrt/types.h>

#define NETDEV_SVC_NAME	     "/drv/netd"
#define NETDEV_PROTO_VERSION 1u

#define NETDEV_SLOT_SIZE 2048u	/* one Ethernet frame (no FCS), <= 1514 */
#define NETDEV_SLOTS_MAX 1024u	/* nslots, a power of two */
#define NETDEV_FRAME_MAX 1514u
#define NETDEV_FRAME_MIN 14u

/* Doorbell bits. */
#define NETDEV_BELL_RX	 (1ull << 0) /* rx_ready or tx_done has entries */
#define NETDEV_BELL_LINK (1ull << 1) /* header.link changed */
#define NETDEV_BELL_TX	 (1ull << 0) /* (driver's) tx_ready or rx_free */

enum netdev_op {
	/* a = NETDEV_PROTO_VERSION; data: struct netdev_attach;
	 * handles[0] = the region grant (READ | WRITE | MAP), handles[1] = the
	 * driver's doorbell notification (SIGNAL). Answer: val = interface
	 * index; handles[0] = the device connection's send endpoint,
	 * handles[1] = netd's doorbell for this device (SIGNAL only). Sent on
	 * the public endpoint /drv/netd. */
	NETDEV_ATTACH = 1,
	/* On the connection: parked by netd until netd dies (see above) or
	 * the device is detached (then answered with ERR_BAD_STATE). */
	NETDEV_HOLD = 2,
	/* On the connection: the driver gives up the device (same as its
	 * death, but answered). */
	NETDEV_DETACH = 3,
};

struct netdev_req {
	uint32_t op; /* enum netdev_op */
	uint32_t a;
	uint32_t len; /* data bytes after this header */
	uint32_t pad;
};

struct netdev_resp {
	int32_t err; /* 0 or ERR_* */
	uint32_t len;
	uint64_t val;
};

struct netdev_attach {
	char name[16];	 /* the driver's name for the device, "virtio-net" */
	char where[16];	 /* e.g. the PCI address "00:03.0" */
	uint8_t mac[6];
	uint16_t mtu;	 /* 1500 */
	uint32_t nslots; /* a power of two, <= NETDEV_SLOTS_MAX */
	uint32_t nrx;	 /* slots [0, nrx) start in the driver's hands */
	uint32_t region_size; /* header page + nslots * NETDEV_SLOT_SIZE */
	uint32_t features;    /* 0 (no offloads in version 1) */
};

/* One ring: a power-of-two array of entries; head and tail run free
 * (entry i is at ent[i & (size - 1)]). The producer writes ent then
 * head (release); the consumer reads head (acquire), the entries, then
 * writes tail. */
struct netdev_ent {
	uint16_t slot;
	uint16_t len; /* frame bytes (0 for rx_free and tx_done) */
};

struct netdev_ring {
	volatile uint32_t head; /* producer's */
	uint32_t pad0[15];
	volatile uint32_t tail; /* consumer's */
	uint32_t pad1[15];
};

#define NETDEV_REGION_MAGIC 0x5645444eu /* "NDEV" */
/* The header page. Each ring has nslots entries (it can hold every slot). */
struct netdev_header {
	uint32_t magic;	  /* NETDEV_REGION_MAGIC */
	uint32_t version; /* NETDEV_PROTO_VERSION */
	uint32_t nslots, nrx;
	volatile uint32_t link; /* driver: 1 = carrier up */
	uint32_t pad[11];
	/* driver-written statistics */
	volatile uint64_t rx_no_buffer; /* frames the device dropped */
	volatile uint64_t tx_errors;
	uint64_t pad2[6];
	struct netdev_ring rx_ready, rx_free, tx_ready, tx_done;
	/* then, at NETDEV_ENTS_OFFSET: rx_ready.ent[nslots],
	 * rx_free.ent[nslots], tx_ready.ent[nslots], tx_done.ent[nslots] */
};
#define NETDEV_ENTS_OFFSET 1024u
/* nslots <= 1024 entries of 4 bytes, four rings: 16 KiB + 1 KiB; the
 * slots start at NETDEV_SLOTS_OFFSET. */
#define NETDEV_SLOTS_OFFSET (20u << 10)

/* The data of a successful NETDEV_ATTACH answer (resp.len = 8): the bits
 * the driver signals on netd's doorbell (handles[1]) for rx_ready and
 * tx_done entries and for link changes. netd waits on one notification
 * for all its devices and clients, so each device gets its own bit;
 * netd re-reads header.link on every bell. */
struct netdev_attach_ans {
	uint64_t bell;
};
