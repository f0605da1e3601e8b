/* i8042: the PS/2 keyboard and mouse behind the ISA 8042 controller
 * (docs/input.md "i8042"), a driver task sending evdev events to the
 * input hub (/drv/input). Decoding is ps2.c (pure); this file talks
 * to the controller (ports 0x60 data, 0x64 status/command, through
 * SYS_IOPORT_IO) and takes ISA IRQ 1 (keyboard) and 12 (mouse) as IRQ
 * objects on one notification.
 *
 *   i8042 [DEV-NAME] [--hub H]
 * Started by iod (argv `i8042 isa-i8042`, START_H_SERVICE an endpoint to
 * iod): IOD_DEV_INFO gives the two GSIs, IOD_DEV_HANDLES the narrowed IRQ
 * and port authorities. Without iod (a manifest entry): START_H_IOPORT
 * covering 0x60-0x64, START_H_IRQ covering both GSIs, START_H_BOOTINFO
 * for the `isa_irq` routes. --hub H: H is a /drv/input endpoint to use
 * instead of a names lookup (the benchmark, which has no name service).
 *
 * The controller keeps its translation on: the keyboard stays in its
 * default set 2 and we read set 1 (ps2.h says why). Events are stamped
 * with the time the interrupt woke us. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <execrt/errors.h>
#include <execrt/input_proto.h>
#include <execrt/rights.h>
#include <execrt/runtime.h>
#include <execrt/sched.h>
#include <execrt/sys.h>

#include "input_client.h"
#include "proto.h" /* servers/console: con_isa_gsi() */
#include "ps2.h"

#if __has_include(<execrt/iod_proto.h>)
#include <execrt/iod_proto.h>
#define HAVE_IOD 1
#endif

#define DATA	  0x60
#define CMD	  0x64 /* write: command; read: status */
#define ST_OBF	  0x01 /* output buffer full: a byte to read at 0x60 */
#define ST_IBF	  0x02 /* input buffer full: do not write yet */
#define ST_AUX	  0x20 /* the byte is the mouse's */
#define CFG_IRQ1  0x01
#define CFG_IRQ12 0x02
#define CFG_CLK1  0x10 /* 1: keyboard clock off */
#define CFG_CLK2  0x20
#define CFG_XLAT  0x40

#define BIT_KBD		(1ull << 0)
#define BIT_MOUSE	(1ull << 1)
#define IO_TIMEOUT_NS	50000000ull /* a controller or device reply */
#define SEND_TIMEOUT_NS 20000000ull
#define DRAIN_MAX	256
#define LIVENESS_NS	1000000000ull /* a hub check after a quiet second */

static handle_t io_data, io_cmd, notif, irq_kbd, irq_mouse;
static handle_t dev_pub, ep_kbd, ep_mouse;
static handle_t hub_given; /* --hub */
static uint32_t gsi_kbd = 1, gsi_mouse = 12;
static bool have_mouse, wheel;
static struct ps2kbd kbd;
static struct ps2mouse mouse;
static uint64_t lost_events;

static uint64_t now(void)
{
	long t = sys_clock_now();
	return t < 0 ? 0 : (uint64_t)t;
}

static long in8(handle_t io, unsigned port)
{
	return sys_ioport_io(io, port, 1, 0);
}

static long out8(handle_t io, unsigned port, uint8_t v)
{
	return sys_ioport_io(io, port, 1 | IOPORT_OUT, v);
}

static long status(void)
{
	return in8(io_cmd, CMD);
}

/* Waits until the controller takes a byte. */
static bool wait_write(void)
{
	uint64_t end = now() + IO_TIMEOUT_NS;
	long s;
	while ((s = status()) >= 0 && (s & ST_IBF))
		if (now() > end)
			return false;
	return s >= 0;
}

/* The next byte the controller gives, or -1 after the timeout. */
static int read_byte(void)
{
	uint64_t end = now() + IO_TIMEOUT_NS;
	for (;;) {
		long s = status();
		if (s < 0)
			return -1;
		if (s & ST_OBF)
			return (int)in8(io_data, DATA);
		if (now() > end)
			return -1;
	}
}

static bool command(uint8_t c)
{
	return wait_write() && out8(io_cmd, CMD, c) == 0;
}

static bool command_arg(uint8_t c, uint8_t arg)
{
	return command(c) && wait_write() && out8(io_data, DATA, arg) == 0;
}

static void flush_output(void)
{
	for (int i = 0; i < 64; i++) {
		long s = status();
		if (s < 0 || !(s & ST_OBF))
			return;
		in8(io_data, DATA);
	}
}

/* A byte to the keyboard (aux: the mouse), answered with ACK (0xFA). */
static bool dev_cmd(bool aux, uint8_t b)
{
	if (aux ? !command_arg(0xd4, b)
		: !(wait_write() && out8(io_data, DATA, b) == 0))
		return false;
	for (int i = 0; i < 4; i++) {
		int r = read_byte();
		if (r == 0xfa)
			return true;
		if (r < 0 || r == 0xfe || r == 0xfc)
			return false;
	}
	return false;
}

/* The IntelliMouse knock: sample rates 200, 100, 80, then the id is 3
 * if the mouse has a wheel (and now sends 4-byte packets). */
static bool mouse_wheel(void)
{
	static const uint8_t rates[] = {200, 100, 80};
	for (int i = 0; i < 3; i++)
		if (!dev_cmd(true, 0xf3) || !dev_cmd(true, rates[i]))
			return false;
	if (!dev_cmd(true, 0xf2))
		return false;
	return read_byte() == 3;
}

static int controller_init(void)
{
	command(0xad); /* keyboard port off */
	command(0xa7); /* mouse port off */
	flush_output();
	if (!command(0x20))
		return -1;
	int cfg = read_byte();
	if (cfg < 0)
		return -1;
	cfg &= ~(CFG_IRQ1 | CFG_IRQ12);
	cfg |= CFG_XLAT;
	if (!command_arg(0x60, (uint8_t)cfg))
		return -1;
	if (!command(0xaa) || read_byte() != 0x55) {
		printf("i8042: controller self-test failed\n");
		return -1;
	}
	command_arg(0x60, (uint8_t)cfg); /* the self-test may reset it */
	if (!command(0xab) || read_byte() != 0x00) {
		printf("i8042: keyboard port test failed\n");
		return -1;
	}
	have_mouse = command(0xa9) && read_byte() == 0x00;
	command(0xae);
	if (have_mouse)
		command(0xa8);
	/* The keyboard: its defaults, set 2 (translated to set 1), on. */
	if (!dev_cmd(false, 0xf6) || !dev_cmd(false, 0xf0) ||
	    !dev_cmd(false, 0x02) || !dev_cmd(false, 0xf4))
		printf("i8042: keyboard did not answer (none attached?)\n");
	if (have_mouse) {
		have_mouse = dev_cmd(true, 0xf6);
		wheel = have_mouse && mouse_wheel();
		have_mouse = have_mouse && dev_cmd(true, 0xf4);
	}
	ps2mouse_init(&mouse, wheel);
	flush_output();
	cfg |= CFG_IRQ1 | CFG_XLAT;
	cfg &= ~CFG_CLK1;
	if (have_mouse) {
		cfg |= CFG_IRQ12;
		cfg &= ~CFG_CLK2;
	}
	return command_arg(0x60, (uint8_t)cfg) ? 0 : -1;
}

/* ---- the hub ---- */

static long connect_dev(const char *name, uint32_t kind, handle_t *ep)
{
	struct input_dev_desc d;
	memset(&d, 0, sizeof(d));
	snprintf(d.name, sizeof(d.name), "%s", name);
	d.kind = kind;
	d.bus = INPUT_BUS_I8042;
	return input_dev_connect(dev_pub, &d, ep, NULL);
}

static long connect_hub(uint64_t deadline)
{
	if (dev_pub && dev_pub != hub_given)
		sys_handle_close(dev_pub);
	if (ep_kbd)
		sys_handle_close(ep_kbd);
	if (ep_mouse)
		sys_handle_close(ep_mouse);
	dev_pub = ep_kbd = ep_mouse = 0;
	dev_pub = hub_given ? hub_given
			    : input_lookup(INPUT_DEV_SVC_NAME, deadline);
	if (!dev_pub)
		return ERR_NOT_FOUND;
	long r = connect_dev("i8042 keyboard", INPUT_KIND_KEYBOARD, &ep_kbd);
	if (r == 0 && have_mouse)
		r = connect_dev(wheel ? "i8042 wheel mouse" : "i8042 mouse",
				INPUT_KIND_MOUSE, &ep_mouse);
	return r;
}

static void send(handle_t *ep, struct input_event *ev, uint32_t n)
{
	if (!n)
		return;
	long r = input_dev_send(*ep, ev, n, now() + SEND_TIMEOUT_NS);
	if (r == ERR_PEER_CLOSED) { /* the hub restarted: connect again */
		printf("i8042: the input hub went away; connecting again\n");
		if (connect_hub(now() + 2000000000ull) == 0)
			r = input_dev_send(*ep, ev, n, now() + SEND_TIMEOUT_NS);
	}
	if (r < (long)n)
		lost_events += r < 0 ? n : n - (uint32_t)r;
}

/* A quiet second: is the hub still there? A restarted hub has lost our
 * devices, and we would only learn it at the next key; a ping finds out
 * now, so the devices are back within a second (and listed). */
static void hub_check(void)
{
	static const char ping[] = "{\"cmd\":\"ping\"}";
	char ans[512];
	handle_t h[PORT_HANDLES_MAX];
	if (hub_given)
		return;
	struct port_msg m = {.data = ping, .len = sizeof(ping) - 1};
	struct port_rx rx = {.buf = ans,
			     .cap = sizeof(ans),
			     .handles = h,
			     .hcap = PORT_HANDLES_MAX};
	long r = sys_port_call(dev_pub, &m, &rx, now() + LIVENESS_NS);
	for (uint32_t i = 0; r == 0 && i < rx.nhandles; i++)
		sys_handle_close(h[i]);
	if (r == ERR_PEER_CLOSED || r == ERR_BAD_HANDLE) {
		printf("i8042: the input hub went away; connecting again\n");
		if ((r = connect_hub(now() + LIVENESS_NS)) < 0)
			printf("i8042: not yet: %s\n", err_name(r));
	}
}

/* Everything the controller holds, as two batches stamped t. */
static void drain(uint64_t t)
{
	static struct input_event kb[INPUT_BATCH_MAX], mb[INPUT_BATCH_MAX];
	uint32_t nk = 0, nm = 0;
	for (int i = 0; i < DRAIN_MAX; i++) {
		long s = status();
		if (s < 0 || !(s & ST_OBF))
			break;
		long b = in8(io_data, DATA);
		if (b < 0)
			break;
		if (s & ST_AUX) {
			struct input_event e[PS2_MOUSE_EVENTS_MAX];
			int n = ps2mouse_byte(&mouse, (uint8_t)b, e);
			if (nm + (uint32_t)n > INPUT_BATCH_MAX) {
				send(&ep_mouse, mb, nm);
				nm = 0;
			}
			for (int k = 0; k < n; k++) {
				e[k].time_ns = t;
				mb[nm++] = e[k];
			}
			continue;
		}
		uint16_t code;
		int32_t value;
		if (!ps2kbd_byte(&kbd, (uint8_t)b, &code, &value))
			continue;
		if (nk + 2 > INPUT_BATCH_MAX) {
			send(&ep_kbd, kb, nk);
			nk = 0;
		}
		kb[nk++] = (struct input_event){.time_ns = t,
						.type = INPUT_EV_KEY,
						.code = code,
						.value = value};
		kb[nk++] = (struct input_event){.time_ns = t,
						.type = INPUT_EV_SYN,
						.code = INPUT_SYN_REPORT};
	}
	send(&ep_kbd, kb, nk);
	if (have_mouse)
		send(&ep_mouse, mb, nm);
}

/* Input is real-time (SYSTEM.md): with a scheduling authority (iod may
 * give one) the thread runs RT 13, just above the hub, as virtio-input
 * does; else it keeps the class it was started in. */
#define RT_PRIO 13 /* just above inputd (RT 12), as virtio-input */
static void set_rt(void)
{
	handle_t auth = execrt_handle(START_H_SCHED);
	if (auth == HANDLE_INVALID)
		return;
	struct sched_params sp = {.cls = SCHED_CLASS_RT,
				  .priority = RT_PRIO,
				  .cpu = SCHED_CPU_KEEP};
	long r = sys_sched_set(auth, execrt_handle(START_H_SELF_THREAD), &sp);
	if (r < 0)
		printf("i8042: RT class refused: %s\n", err_name(r));
}

/* ---- authority ---- */

#ifdef HAVE_IOD
/* From iod: the device's GSIs and narrowed handles. */
static long from_iod(handle_t iod, handle_t *irq_auth, handle_t *irq_auth2)
{
	struct iod_req q = {.op = IOD_DEV_INFO};
	static _Alignas(8) uint8_t ans[PORT_MSG_MAX];
	handle_t h[PORT_HANDLES_MAX];
	struct port_msg m = {.data = &q, .len = sizeof(q)};
	struct port_rx rx = {.buf = ans,
			     .cap = sizeof(ans),
			     .handles = h,
			     .hcap = PORT_HANDLES_MAX};
	struct iod_resp r;
	struct iod_dev_info info;
	long e = sys_port_call(iod, &m, &rx, now() + 2000000000ull);
	if (e < 0)
		return e;
	memcpy(&r, ans, sizeof(r));
	if (r.err < 0 || rx.len < sizeof(r) + sizeof(info))
		return r.err < 0 ? r.err : ERR_BAD_STATE;
	memcpy(&info, ans + sizeof(r), sizeof(info));
	if (info.legacy_gsi != IOD_GSI_NONE)
		gsi_kbd = info.legacy_gsi;
	if (info.legacy_gsi2 != IOD_GSI_NONE)
		gsi_mouse = info.legacy_gsi2;
	q.op = IOD_DEV_HANDLES;
	rx.hcap = PORT_HANDLES_MAX;
	if ((e = sys_port_call(iod, &m, &rx, now() + 2000000000ull)) < 0)
		return e;
	memcpy(&r, ans, sizeof(r));
	handle_t hs[IOD_H_COUNT];
	iod_handles_unpack(r.val, h, rx.nhandles, hs);
	if (r.err < 0) {
		for (uint32_t i = 0; i < rx.nhandles; i++)
			sys_handle_close(h[i]);
		return r.err;
	}
	*irq_auth = hs[IOD_H_IRQ];
	*irq_auth2 = hs[IOD_H_IRQ2];
	io_data = hs[IOD_H_IOPORT];
	io_cmd = hs[IOD_H_IOPORT2];
	for (int i = 0; i < IOD_H_COUNT; i++)
		if (i != IOD_H_IRQ && i != IOD_H_IRQ2 && i != IOD_H_IOPORT &&
		    i != IOD_H_IOPORT2 && hs[i])
			sys_handle_close(hs[i]);
	return 0;
}
#endif

/* Without iod: the manifest's grants and the bootinfo routes. */
static void from_manifest(handle_t *irq_auth)
{
	static char text[16384];
	io_data = io_cmd = execrt_handle(START_H_IOPORT);
	*irq_auth = execrt_handle(START_H_IRQ);
	handle_t bi = execrt_handle(START_H_BOOTINFO);
	uint64_t size = 0;
	if (bi == HANDLE_INVALID || sys_vmo_get_size(bi, &size) < 0)
		return;
	if (size > sizeof(text) - 1)
		size = sizeof(text) - 1;
	if (sys_vmo_read(bi, text, 0, size) < 0)
		return;
	text[size] = 0;
	gsi_kbd = con_isa_gsi(text, strlen(text), 1, 1);
	gsi_mouse = con_isa_gsi(text, strlen(text), 12, 12);
}

int main(int argc, char **argv)
{
	handle_t irq_auth = 0, irq_auth2 = 0;
	const char *dev = "isa-i8042";
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--hub") && i + 1 < argc)
			hub_given = (handle_t)strtoul(argv[++i], NULL, 0);
		else
			dev = argv[i];
	}
	handle_t svc = execrt_handle(START_H_SERVICE);
	struct handle_info hi;
	bool iod = svc != HANDLE_INVALID && sys_handle_info(svc, &hi) == 0 &&
		   hi.type == OBJ_PORT_SEND;
	if (iod) {
#ifdef HAVE_IOD
		long e = from_iod(svc, &irq_auth, &irq_auth2);
		if (e < 0) {
			printf("i8042: %s: iod refused the device: %s\n", dev,
			       err_name(e));
			return 3;
		}
#else
		printf("i8042: built without iod_proto.h\n");
		return 3;
#endif
	} else {
		from_manifest(&irq_auth);
		irq_auth2 = irq_auth;
	}
	long s = status();
	if (s < 0) {
		printf("i8042: no I/O-port authority over 0x60/0x64: %s\n",
		       err_name(s));
		return 2;
	}
	if (s == 0xff) {
		printf("i8042: no controller at 0x64\n");
		return 4;
	}
	if (controller_init() < 0) {
		printf("i8042: controller init failed\n");
		return 4;
	}
	long r = sys_notif_create(&notif);
	if (r == 0)
		r = sys_irq_create(irq_auth, gsi_kbd, notif, BIT_KBD, &irq_kbd);
	if (r < 0) {
		printf("i8042: cannot route the keyboard's GSI %u: %s\n",
		       gsi_kbd, err_name(r));
		return 3;
	}
	if (have_mouse && (r = sys_irq_create(irq_auth2, gsi_mouse, notif,
					      BIT_MOUSE, &irq_mouse)) < 0) {
		/* Not ours to take: the keyboard alone, the mouse quiet. */
		printf("i8042: no mouse: cannot route GSI %u: %s\n", gsi_mouse,
		       err_name(r));
		have_mouse = false;
		command(0xa7);
		command(0x20);
		int cfg = read_byte();
		if (cfg >= 0)
			command_arg(0x60,
				    (uint8_t)((cfg & ~CFG_IRQ12) | CFG_CLK2));
	}
	/* The IRQ objects are all we need of those authorities. */
	sys_handle_close(irq_auth);
	if (irq_auth2 != irq_auth)
		sys_handle_close(irq_auth2);
	if ((r = connect_hub(now() + 10000000000ull)) < 0) {
		printf("i8042: cannot connect to %s: %ld\n", INPUT_DEV_SVC_NAME,
		       r);
		return 5;
	}
	printf("i8042: %s: keyboard on GSI %u", dev, gsi_kbd);
	if (have_mouse)
		printf(", mouse%s on GSI %u", wheel ? " with wheel" : "",
		       gsi_mouse);
	printf("\n");
	set_rt();
	drain(now()); /* whatever came before the interrupts were ours */
	for (;;) {
		uint64_t bits = 0;
		r = sys_notif_wait(notif, BIT_KBD | BIT_MOUSE,
				   now() + LIVENESS_NS, &bits);
		uint64_t t = now();
		if (r == ERR_TIMED_OUT) {
			hub_check();
			continue;
		}
		if (r < 0) {
			printf("i8042: wait: %s\n", err_name(r));
			return 1;
		}
		drain(t);
		/* Edge-triggered and masked until the ack: bytes that came
		 * in between raised no new edge, so drain once more. */
		if (bits & BIT_KBD)
			sys_irq_ack(irq_kbd);
		if (bits & BIT_MOUSE)
			sys_irq_ack(irq_mouse);
		drain(now());
	}
}
