/* virtio-input: one driver task per virtio-input PCI function (1af4:1052),
 * started by iod as `virtio-input <dev-name>` (docs/input.md "virtio-input").
 *
 * It brings the device up with libvirtio, reads its name and event bits
 * from the configuration space to tell keyboard, mouse and tablet apart,
 * keeps the event queue full of 8-byte buffers and forwards the events,
 * timestamped at the interrupt and grouped at SYN_REPORT, to the input hub
 * (/drv/input). When the hub goes away it looks the name up again and
 * connects anew; events that arrive meanwhile are dropped and counted.
 * The status queue (LEDs from the driver to the device) is not used: the
 * hub has no LED requests yet. */
#include <execrt/errors.h>
#include <execrt/input_proto.h>
#include <execrt/ipc.h>
#include <execrt/runtime.h>
#include <execrt/sched.h>
#include <execrt/sys.h>
#include <stdio.h>
#include <string.h>
#include <virtio/virtio_execrt.h>
#include <virtio/virtq.h>

#include "input_client.h"
#include "vinput.h"

#define EVQ_SIZE    64
#define RT_PRIO	    13 /* the input path is RT (SYSTEM.md): inputd runs at 12 */
#define HUB_WAIT_NS 2000000000ull
#define LIVENESS_NS 1000000000ull /* a hub check after a quiet second */

static struct virtio_execrt plat;
static struct virtio_dev dev;
static struct virtq *evq;
static struct virtio_dma bufs;
static const char *me = "virtio-input";

static struct {
	struct input_dev_desc desc;
	handle_t pub; /* /drv/input, 0: not looked up */
	handle_t ep;  /* device endpoint in the hub, 0: not connected */
	uint64_t sent, lost, reconnects;
} hub;

static int query(void *ctx, uint8_t select, uint8_t subsel, uint8_t buf[128])
{
	(void)ctx;
	virtio_cfg_write8(&dev, VINPUT_CFG_SELECT, select);
	virtio_cfg_write8(&dev, VINPUT_CFG_SUBSEL, subsel);
	uint8_t size = virtio_cfg_read8(&dev, VINPUT_CFG_SIZE);
	if (size > 128)
		size = 128;
	if (size && virtio_cfg_read(&dev, VINPUT_CFG_DATA, buf, size))
		return ERR_OUT_OF_RANGE;
	return size;
}

/* Look /drv/input up (waiting up to deadline) and connect the device
 * (input_client.h). */
static int hub_connect(uint64_t deadline)
{
	if (hub.ep)
		sys_handle_close(hub.ep);
	if (hub.pub)
		sys_handle_close(hub.pub);
	hub.ep = 0;
	if (!(hub.pub = input_lookup(INPUT_DEV_SVC_NAME, deadline)))
		return ERR_NOT_FOUND;
	long r = input_dev_connect(hub.pub, &hub.desc, &hub.ep, NULL);
	if (r < 0) {
		hub.ep = 0;
		printf("%s: hub refused %s: %ld\n", me, hub.desc.name, r);
	}
	return (int)r;
}

static void hub_send(struct vinput_batch *b)
{
	if (!b->n)
		return;
	/* Not connected: a short look (the hub may be back); connected but
	 * the hub died: wait for the new one a while, once. */
	if (!hub.ep && !hub_connect(sys_clock_now() + 10000000ull))
		hub.reconnects++;
	for (int attempt = 0; hub.ep && attempt < 2; attempt++) {
		long r = input_dev_send(hub.ep, b->ev, b->n,
					sys_clock_now() + 100000000ull);
		if (r == (long)b->n) {
			hub.sent += b->n;
			b->n = 0;
			return;
		}
		if (r != ERR_PEER_CLOSED ||
		    hub_connect(sys_clock_now() + HUB_WAIT_NS))
			break;
		hub.reconnects++;
		printf("%s: %s reconnected to the hub\n", me, hub.desc.name);
	}
	hub.lost += b->n;
	b->n = 0;
}

/* A quiet second: is the hub still there? A restarted hub has lost the
 * device and we would learn it only at the next event; a ping finds out
 * now, so the device is listed again within a second. */
static void hub_check(void)
{
	static const char ping[] = "{\"cmd\":\"ping\"}";
	char ans[512];
	handle_t h[PORT_HANDLES_MAX];
	long r = ERR_PEER_CLOSED;
	if (hub.pub) {
		struct port_msg m = {.data = ping, .len = sizeof(ping) - 1};
		struct port_rx rx = {.buf = ans,
				     .cap = sizeof(ans),
				     .handles = h,
				     .hcap = PORT_HANDLES_MAX};
		r = sys_port_call(hub.pub, &m, &rx,
				  sys_clock_now() + LIVENESS_NS);
		for (uint32_t i = 0; r == 0 && i < rx.nhandles; i++)
			sys_handle_close(h[i]);
	}
	if (r != ERR_PEER_CLOSED && r != ERR_BAD_HANDLE && hub.ep)
		return;
	if (hub_connect(sys_clock_now() + LIVENESS_NS) == 0) {
		hub.reconnects++;
		printf("%s: %s connected to the hub again\n", me,
		       hub.desc.name);
	}
}

static int fill(unsigned i)
{
	struct virtq_buf vb = {bufs.phys + i * sizeof(struct vinput_event),
			       sizeof(struct vinput_event), true};
	return virtq_add(evq, &vb, 1, (void *)(uintptr_t)(i + 1));
}

static void drain(struct vinput_batch *b, uint64_t t)
{
	do {
		void *tok;
		uint32_t len;
		while ((tok = virtq_get(evq, &len))) {
			unsigned i = (unsigned)(uintptr_t)tok - 1;
			struct vinput_event e;
			memcpy(&e, (uint8_t *)bufs.va + i * sizeof(e),
			       sizeof(e));
			if (len >= sizeof(e) && vinput_feed(b, &e, t))
				hub_send(b);
			fill(i);
		}
		virtq_kick(evq);
	} while (!virtq_enable_cb(evq));
}

static void set_rt(void)
{
	handle_t auth = execrt_handle(START_H_SCHED);
	if (!auth)
		return; /* iod sets the class when it starts us */
	struct sched_params sp = {.cls = SCHED_CLASS_RT,
				  .priority = RT_PRIO,
				  .cpu = SCHED_CPU_KEEP};
	long r = sys_sched_set(auth, execrt_handle(START_H_SELF_THREAD), &sp);
	if (r < 0)
		printf("%s: RT class refused: %s\n", me, err_name(r));
}

static int bringup(void)
{
	int r;
	if ((r = virtio_execrt_open(&plat, execrt_handle(START_H_SERVICE))))
		return r;
	if ((r = virtio_init(&dev, &virtio_execrt_ops, &plat)) ||
	    (r = virtio_negotiate(&dev, 0)) ||
	    (r = virtio_irq_setup(&dev, 0, 1)) ||
	    (r = virtq_setup(&dev, VINPUT_EVENTQ, EVQ_SIZE, &evq)))
		return r;
	if ((r = vinput_describe(query, NULL, &hub.desc)))
		return r;
	if ((r = virtio_dma_alloc(&dev, evq->size * sizeof(struct vinput_event),
				  &bufs)))
		return r;
	for (unsigned i = 0; i < evq->size; i++)
		if ((r = fill(i)))
			return r;
	if ((r = virtio_ready(&dev)))
		return r;
	virtq_kick(evq);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1)
		me = argv[1];
	set_rt();
	int r = bringup();
	if (r) {
		printf("%s: device bring-up failed: %s\n", me, err_name(r));
		virtio_fail(&dev);
		return 1;
	}
	static const char *kinds[] = {"?", "keyboard", "mouse", "tablet"};
	/* ID_DEVIDS: le16 bustype, vendor, product, version (for the log). */
	uint16_t ids[64] = {0};
	query(NULL, VINPUT_CFG_ID_DEVIDS, 0, (uint8_t *)ids);
	printf("%s: \"%s\" %s, %s, queue %u, %u abs axes, id "
	       "%04x:%04x:%04x:%04x\n",
	       me, hub.desc.name, kinds[hub.desc.kind],
	       dev.msix ? "MSI-X" : "INTx", evq->size, hub.desc.nabs, ids[0],
	       ids[1], ids[2], ids[3]);
	if ((r = hub_connect(sys_clock_now() + 30 * HUB_WAIT_NS)))
		printf("%s: no input hub: %s (events dropped until it comes)\n",
		       me, err_name(r));
	static struct vinput_batch batch;
	uint64_t mask = virtio_irq_mask(&dev);
	for (;;) {
		uint64_t bits = 0;
		long w = sys_notif_wait(plat.notif, mask,
					sys_clock_now() + LIVENESS_NS, &bits);
		if (w == ERR_TIMED_OUT) {
			hub_check();
			continue;
		}
		if (w < 0) {
			printf("%s: wait: %s\n", me, err_name(w));
			return 1;
		}
		uint64_t now = (uint64_t)sys_clock_now();
		uint32_t what = virtio_intr(&dev, bits);
		if (what & (1u << VINPUT_EVENTQ))
			drain(&batch, now);
		if (evq->broken ||
		    (virtio_status(&dev) & VIRTIO_STATUS_NEEDS_RESET)) {
			printf("%s: device broke the protocol: exiting for a "
			       "reset\n",
			       me);
			return 1;
		}
	}
}
