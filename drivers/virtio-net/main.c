/* virtio-net: one driver task per virtio-net PCI function (1af4:1041, or
 * the transitional 1af4:1000 through its modern interface), started by
 * iod as `virtio-net <dev-name>` (docs/net-driver.md).
 *
 * It brings the device up with libvirtio (VERSION_1, MAC, STATUS; no
 * offloads), allocates the /drv/netd region in DMA memory (vnet.c
 * points the queues at its slots) and attaches it to netd: the region as
 * a grant, its doorbell as a SIGNAL-only notification. A second thread
 * keeps one NETDEV_HOLD call parked in netd; when it ends (netd died or
 * detached the device) the main loop revokes the grant and attaches again
 * with a fresh region, looking /drv/netd up anew. Until netd is there
 * received frames are dropped.
 *
 * Notification bits (one object, plat.notif): 0 netd's doorbell
 * (NETDEV_BELL_TX), 1.. the device's vectors (config, rx, tx; INTx: 1
 * alone), HOLD_BIT the hold thread's call ended. */
#include <execrt/errors.h>
#include <execrt/ipc.h>
#include <execrt/netdev_proto.h>
#include <execrt/rights.h>
#include <execrt/runtime.h>
#include <execrt/sys.h>
#include <stdio.h>
#include <string.h>
#include <virtio/virtio_execrt.h>

#include "cl_ports.h"
#include "vnet.h"

#define NSLOTS	   256u
#define NRX	   128u
#define QSIZE	   256u
#define IRQ_BIT0   1u
#define HOLD_BIT   (1ull << 8)
#define GO_BIT	   1ull		 /* on the hold thread's own notification */
#define RETRY_NS   200000000ull	 /* netd not there: look again */
#define BROKEN_NS  1000000000ull /* netd broke the rings: wait longer */
#define CALL_NS	   2000000000ull
#define THREAD_STK (16 * 1024)
#define THREAD_TCB 512

static struct virtio_execrt plat;
static struct virtio_dev dev;
static struct vnet vn;
static const char *me = "virtio-net";
static uint8_t mac[6];

static struct {
	handle_t grant; /* the region [MANAGE]: revoked at detach */
	handle_t conn;	/* the device connection in netd */
	handle_t bell;	/* netd's doorbell [SIGNAL] */
	uint64_t bell_bits;
	uint64_t index;	   /* netd's interface index */
	bool holding;	   /* the hold thread is in its call */
	uint64_t attaches; /* successful */
} nd;

/* ---- the hold thread: only system calls (no libc, no TLS use) ---- */

static handle_t hold_go;	    /* the thread's notification */
static volatile long hold_result;   /* how its last call ended */
static volatile handle_t hold_conn; /* the connection to park on */

__attribute__((no_stack_protector, noreturn)) static void hold_main(uint64_t tp)
{
	sys_thread_set_tls(tp);
	for (;;) {
		uint64_t got = 0;
		if (sys_notif_wait(hold_go, GO_BIT, DEADLINE_NONE, &got) < 0)
			sys_sleep_until(sys_clock_now() + 10000000ull);
		if (!(got & GO_BIT))
			continue;
		struct netdev_req q = {.op = NETDEV_HOLD};
		struct netdev_resp a = {0};
		handle_t h[PORT_HANDLES_MAX];
		struct port_msg m = {.data = &q, .len = sizeof(q)};
		struct port_rx rx = {.buf = &a,
				     .cap = sizeof(a),
				     .handles = h,
				     .hcap = PORT_HANDLES_MAX};
		long r = sys_port_call(hold_conn, &m, &rx, DEADLINE_NONE);
		for (uint32_t i = 0; r == 0 && i < rx.nhandles; i++)
			sys_handle_close(h[i]);
		hold_result = r < 0 ? r : (rx.len >= sizeof(a) ? a.err : 0);
		sys_notif_signal(plat.notif, HOLD_BIT);
	}
}

static int hold_start(void)
{
	static _Alignas(64) uint8_t stack[THREAD_STK];
	static _Alignas(64) uint8_t tcb[THREAD_TCB];
	uint64_t tp = (uint64_t)tcb, canary;
	__asm__ __volatile__("mov %%fs:0x28, %0" : "=r"(canary));
	memcpy(tcb, &tp, 8);
	memcpy(tcb + 0x28, &canary, 8);
	long r = sys_notif_create(&hold_go);
	handle_t t = 0;
	if (r == 0)
		r = sys_thread_create(execrt_handle(START_H_SELF_TASK), "hold",
				      4, &t);
	if (r == 0) {
		uint64_t rsp = ((uint64_t)stack + sizeof(stack)) - 8;
		r = sys_thread_start(t, (uint64_t)hold_main, rsp, tp);
		sys_handle_close(t);
	}
	return (int)r;
}

/* ---- attach / detach ---- */

static void close_h(handle_t *h)
{
	if (*h)
		sys_handle_close(*h);
	*h = 0;
}

/* Forget the attachment: netd's mapping goes with the revoke. */
static void detach_local(void)
{
	if (nd.grant)
		sys_grant_revoke(nd.grant);
	close_h(&nd.grant);
	close_h(&nd.conn);
	close_h(&nd.bell);
	nd.bell_bits = 0;
	vnet_fresh_region(&vn);
	virtq_kick(vn.rxq);
}

static void bell(void)
{
	if (nd.bell)
		sys_notif_signal(nd.bell, nd.bell_bits);
}

/* One ATTACH on /drv/netd (looked up with a short wait). */
static int attach(void)
{
	struct cl_conn c;
	if (cl_connect(NETDEV_SVC_NAME, sys_clock_now() + RETRY_NS, &c) !=
	    CL_OK)
		return ERR_NOT_FOUND;
	handle_t mine = 0, peer = 0, db = 0;
	uint64_t va = (uint64_t)(uintptr_t)vn.region;
	long r = sys_grant_create(execrt_handle(START_H_SELF_TASK), va,
				  vn.region_size, VM_PROT_READ | VM_PROT_WRITE,
				  &mine);
	if (r == 0)
		r = sys_handle_dup(mine,
				   RIGHT_READ | RIGHT_WRITE | RIGHT_MAP |
					   RIGHT_TRANSFER,
				   &peer);
	if (r == 0)
		r = sys_handle_dup(plat.notif, RIGHT_SIGNAL | RIGHT_TRANSFER,
				   &db);
	struct {
		struct netdev_req q;
		struct netdev_attach a;
	} msg = {.q = {.op = NETDEV_ATTACH,
		       .a = NETDEV_PROTO_VERSION,
		       .len = sizeof(struct netdev_attach)},
		 .a = {.mtu = 1500,
		       .nslots = NSLOTS,
		       .nrx = NRX,
		       .region_size = (uint32_t)vn.region_size}};
	snprintf(msg.a.name, sizeof(msg.a.name), "virtio-net");
	snprintf(msg.a.where, sizeof(msg.a.where), "%02x:%02x.%x",
		 plat.bdf >> 8, (plat.bdf >> 3) & 31, plat.bdf & 7);
	memcpy(msg.a.mac, mac, 6);
	struct {
		struct netdev_resp r;
		uint64_t bell; /* the bits to signal (netd's answer data) */
	} ans = {0};
	handle_t hs[PORT_HANDLES_MAX], give[2] = {peer, db};
	struct port_msg m = {.data = &msg,
			     .len = sizeof(msg),
			     .nhandles = 2,
			     .handles = give};
	struct port_rx rx = {.buf = &ans,
			     .cap = sizeof(ans),
			     .handles = hs,
			     .hcap = PORT_HANDLES_MAX};
	if (r == 0)
		r = sys_port_call(c.send, &m, &rx, sys_clock_now() + CALL_NS);
	cl_close(&c);
	if (r == 0) {
		if (rx.len < sizeof(ans.r))
			r = ERR_BAD_STATE;
		else if (ans.r.err)
			r = ans.r.err;
		else if (rx.nhandles < 2)
			r = ERR_BAD_STATE;
		for (uint32_t i = 0; i < rx.nhandles; i++) {
			if (r == 0 && i == 0)
				nd.conn = hs[0];
			else if (r == 0 && i == 1)
				nd.bell = hs[1];
			else
				sys_handle_close(hs[i]);
		}
	} else { /* not delivered: the handles are still ours */
		close_h(&peer);
		close_h(&db);
	}
	if (r) {
		if (mine)
			sys_grant_revoke(mine);
		close_h(&mine);
		close_h(&nd.conn);
		close_h(&nd.bell);
		return (int)r;
	}
	nd.grant = mine;
	nd.index = ans.r.val;
	/* the answer's data says which bits netd listens to; an older netd
	 * without it: the header's own bells */
	nd.bell_bits = rx.len >= sizeof(ans) && ans.bell
			       ? ans.bell
			       : (NETDEV_BELL_RX | NETDEV_BELL_LINK);
	nd.attaches++;
	vnet_attached(&vn, true);
	hold_conn = nd.conn;
	nd.holding = true;
	sys_notif_signal(hold_go, GO_BIT);
	bell();
	return 0;
}

/* The region broke (netd's fault) or we are told to stop: an answered
 * DETACH, then the parked HOLD ends and the main loop detaches. */
static void detach_call(void)
{
	struct netdev_req q = {.op = NETDEV_DETACH};
	struct netdev_resp a;
	handle_t h[PORT_HANDLES_MAX];
	struct port_msg m = {.data = &q, .len = sizeof(q)};
	struct port_rx rx = {
		.buf = &a, .cap = sizeof(a), .handles = h, .hcap = 8};
	long r = sys_port_call(nd.conn, &m, &rx, sys_clock_now() + CALL_NS);
	for (uint32_t i = 0; r == 0 && i < rx.nhandles; i++)
		sys_handle_close(h[i]);
	vnet_attached(&vn, false);
}

/* Exiting: netd is told (DETACH answered) rather than left to notice
 * our death, and its mapping is revoked; iod resets the device. */
static void leave(void)
{
	if (nd.conn && !vnet_broken(&vn))
		detach_call();
	if (nd.grant)
		sys_grant_revoke(nd.grant);
}

/* ---- the device ---- */

static void read_link(void)
{
	bool up = true; /* without STATUS the link is always up */
	if (virtio_has(&dev, VIRTIO_NET_F_STATUS)) {
		uint16_t st = 0;
		virtio_cfg_read(&dev, VNET_CFG_STATUS, &st, 2);
		up = st & VNET_S_LINK_UP;
	}
	if (vnet_set_link(&vn, up)) {
		printf("%s: link %s\n", me, up ? "up" : "down");
		if (vn.attached)
			bell();
	}
}

static int bringup(void)
{
	int r;
	struct virtio_dma region, hdr;
	struct virtq *rxq, *txq;
	if ((r = virtio_execrt_open(&plat, execrt_handle(START_H_SERVICE))))
		return r;
	if ((r = virtio_init(&dev, &virtio_execrt_ops, &plat)) ||
	    (r = virtio_negotiate(&dev,
				  VIRTIO_NET_F_MAC | VIRTIO_NET_F_STATUS)) ||
	    (r = virtio_irq_setup(&dev, IRQ_BIT0, 2)) ||
	    (r = virtq_setup(&dev, VNET_RXQ, QSIZE, &rxq)) ||
	    (r = virtq_setup(&dev, VNET_TXQ, QSIZE, &txq)))
		return r;
	if (virtio_has(&dev, VIRTIO_NET_F_MAC)) {
		if ((r = virtio_cfg_read(&dev, VNET_CFG_MAC, mac, 6)))
			return r;
	} else { /* locally administered, from the PCI address */
		uint8_t m[6] = {0x02,
				0x45,
				0x52,
				0x54,
				(uint8_t)(plat.bdf >> 8),
				(uint8_t)plat.bdf};
		memcpy(mac, m, 6);
	}
	size_t rsize = netring_region_size(NSLOTS);
	if ((r = virtio_dma_alloc(&dev, rsize, &region)) ||
	    (r = virtio_dma_alloc(&dev, vnet_hdr_bytes(NRX), &hdr)))
		return r;
	if ((r = vnet_init(&vn, rxq, txq, region.va, region.phys, rsize, NSLOTS,
			   NRX, hdr.phys)))
		return r;
	vnet_rx(&vn); /* posts the rx slots */
	if ((r = virtio_ready(&dev)))
		return r;
	virtq_kick(rxq);
	read_link();
	return 0;
}

/* One pass over both queues and the rings, on every wake-up (a device
 * interrupt or netd's bell): netd signals freed rx slots only in
 * batches, so they are taken back here each time (docs/net-driver.md
 * "Doorbells"). netd is signalled for received frames only: it takes
 * tx_done back when it needs slots. Transmit completions are collected
 * on these passes; the device interrupts for them only while many
 * frames are in flight, so a lone transmit costs no second wake-up of
 * the driver or netd. */
static void service(uint32_t what)
{
	bool b = false;
	if (what & (1u << VNET_RXQ)) {
		do {
			b |= vnet_rx(&vn);
			virtq_kick(vn.rxq);
		} while (!virtq_enable_cb(vn.rxq));
	}
	uint64_t rebounds = vn.rebounds;
	(void)vnet_from_netd(&vn);
	b |= vn.rebounds != rebounds;
	for (;;) {
		if (!vnet_tx_irq_wanted(&vn)) {
			virtq_disable_cb(vn.txq);
			break;
		}
		if (virtq_enable_cb(vn.txq))
			break;
		(void)vnet_tx(&vn);
	}
	virtq_kick(vn.rxq);
	virtq_kick(vn.txq);
	if (b && vn.attached)
		bell();
}

int main(int argc, char **argv)
{
	if (argc > 1)
		me = argv[1];
	int r = bringup();
	if (r == 0)
		r = hold_start();
	if (r) {
		printf("%s: device bring-up failed: %s\n", me, err_name(r));
		virtio_fail(&dev);
		return 1;
	}
	printf("%s: virtio-net %02x:%02x:%02x:%02x:%02x:%02x, %s, %u slots, "
	       "link %s\n",
	       me, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5],
	       dev.msix ? "MSI-X" : "INTx", NSLOTS, vn.link ? "up" : "down");
	uint64_t mask = virtio_irq_mask(&dev) | NETDEV_BELL_TX | HOLD_BIT;
	uint64_t next_try = 0, detach_sent = 0;
	unsigned refused = 0;
	for (;;) {
		/* attached: no clock read per wake-up */
		if (!nd.conn && !nd.holding &&
		    (uint64_t)sys_clock_now() >= next_try) {
			int a = attach();
			if (a == 0) {
				printf("%s: attached to netd (interface "
				       "%llu)\n",
				       me, (unsigned long long)nd.index);
				refused = 0;
			} else {
				/* not there: look again soon; refused: less
				 * and less often, up to every 3.2 s */
				bool gone = a == ERR_NOT_FOUND ||
					    a == ERR_PEER_CLOSED;
				if (!gone && refused < 4)
					refused++;
				if (!gone && refused == 1)
					printf("%s: netd refused the device: "
					       "%s\n",
					       me, err_name(a));
				next_try = (uint64_t)sys_clock_now() +
					   (RETRY_NS << (gone ? 0 : refused));
			}
			continue;
		}
		uint64_t deadline = nd.conn ? DEADLINE_NONE : next_try;
		if (detach_sent)
			deadline = detach_sent + CALL_NS;
		uint64_t bits = 0;
		long w = sys_notif_wait(plat.notif, mask, deadline, &bits);
		if (w < 0 && w != ERR_TIMED_OUT) {
			printf("%s: wait: %s\n", me, err_name(w));
			return 1;
		}
		if (w == ERR_TIMED_OUT && detach_sent) {
			/* netd took the DETACH but never ended the HOLD */
			printf("%s: netd keeps the device: exiting\n", me);
			return 1;
		}
		uint32_t what = virtio_intr(&dev, bits);
		/* NEEDS_RESET comes with a configuration interrupt (virtio
		 * 1.x 2.1.2): the status is read then, not on every pass */
		bool reset = false;
		if (what & VIRTIO_INTR_CONFIG) {
			read_link();
			reset = virtio_status(&dev) & VIRTIO_STATUS_NEEDS_RESET;
		}
		service(what);
		if (vn.rxq->broken || vn.txq->broken || reset) {
			printf("%s: device broke the protocol: exiting for a "
			       "reset\n",
			       me);
			leave();
			return 1;
		}
		if (bits & HOLD_BIT) {
			nd.holding = false;
			printf("%s: netd %s: attaching again\n", me,
			       hold_result == ERR_PEER_CLOSED ? "gone"
							      : "detached us");
			detach_local();
			detach_sent = 0;
			/* netd gone: look for the next one at once; netd
			 * still there but refusing us: not in a tight loop */
			uint64_t t = (uint64_t)sys_clock_now();
			if (hold_result != ERR_PEER_CLOSED &&
			    next_try < t + RETRY_NS)
				next_try = t + RETRY_NS;
		} else if (nd.conn && vnet_broken(&vn) && !detach_sent) {
			printf("%s: netd broke the rings: detaching\n", me);
			detach_call();
			detach_sent = (uint64_t)sys_clock_now();
			next_try = detach_sent + BROKEN_NS;
		}
	}
}
