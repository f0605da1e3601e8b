/* The input hub's protocol (servers/inputd, docs/input.md has the rules;
 * this file the wire format). Binary, little-endian; every struct has a
 * fixed size checked with _Static_assert. A message whose first byte is
 * '{' is a ports/v0 JSON request (`ping`, `status`) on either public name.
 *
 * Endpoints, all minted by inputd:
 *  - /drv/input (drivers): INPUT_DEV_CONNECT -> a device endpoint.
 *    Each device gets a port of its own in the hub, so one driver's flood
 *    cannot fill the queue another driver sends to.
 *  - a device endpoint: one-way INPUT_DEV_EVENTS messages (batches of
 *    struct input_event). Closing its last handle (or the driver dying)
 *    removes the device: the hub releases its held keys to subscribers and
 *    reports INPUT_SYN_DEV_REMOVED.
 *  - /svc/input (subscribers): INPUT_SUBSCRIBE -> a subscription endpoint;
 *    INPUT_DEVICES lists the devices.
 *  - a subscription endpoint: INPUT_READ calls return batches. The hub
 *    keeps a bounded queue per subscription (INPUT_SUB_QUEUE events); a
 *    read with nothing queued is answered when events come (or at once
 *    with INPUT_READ_NOWAIT). The hub never waits on a subscriber: when a
 *    queue is full, events are dropped and counted, and the stream gets one
 *    INPUT_EV_SYN / INPUT_SYN_DROPPED event (value = events lost) where the
 *    loss happened. Closing the last handle ends the subscription.
 *
 * Event types and codes are Linux evdev's (linux/input-event-codes.h):
 * buttons are INPUT_EV_KEY with BTN_* codes, the wheel INPUT_EV_REL with
 * REL_WHEEL / REL_HWHEEL. Drivers end each report with SYN_REPORT. */
#pragma once
#include <execrt/types.h>

#define INPUT_SVC_NAME	    "/svc/input"     /* subscribers */
#define INPUT_DEV_SVC_NAME  "/drv/input"     /* drivers */
#define INPUT_PROTO_VERSION 1u

/* Limits (the hub checks them all). */
#define INPUT_BATCH_MAX	    64u	 /* events per message, either way */
#define INPUT_DEVS_MAX	    16u	 /* devices in the hub: INPUT_ENOSPC */
#define INPUT_DEVS_PER_TASK 4u	 /* devices one driver task holds */
#define INPUT_SUBS_MAX	    16u	 /* subscriptions in the hub: INPUT_ENOSPC */
#define INPUT_SUBS_PER_TASK 4u	 /* subscriptions one task holds */
#define INPUT_SUB_QUEUE	    256u /* events queued per subscription */
#define INPUT_NAME_MAX	    32u	 /* device name bytes, NUL included */
#define INPUT_ABS_MAX	    4u	 /* absolute axes described per device */

/* Errors (input_resp.err): negative Linux errno values. */
#define INPUT_EPERM  1	/* a request on the wrong kind of endpoint */
#define INPUT_EAGAIN 11 /* INPUT_READ_NOWAIT and nothing queued */
#define INPUT_EBUSY  16 /* a held INPUT_READ replaced by a newer one */
#define INPUT_EINVAL 22 /* malformed request */
#define INPUT_ENOSPC 28 /* a limit above */
#define INPUT_EPROTO 71 /* a = not INPUT_PROTO_VERSION */

/* Operations (input_req.op). Never 0x7b ('{') in the low byte. */
enum input_op {
	/* /drv/input, a call: a = INPUT_PROTO_VERSION, payload = one
	 * struct input_dev_desc (id ignored). Answer: val = device id (never
	 * 0), handles[0] = the device endpoint (WRITE, TRANSFER, DUPLICATE). */
	INPUT_DEV_CONNECT = 1,
	/* device endpoint, one-way (a call is answered with val = events
	 * taken): count = events, payload = count struct input_event. The
	 * hub keeps time_ns, type, code, value; it sets device, keysym, mods
	 * and ch. A malformed batch is dropped whole and counted. */
	INPUT_DEV_EVENTS = 2,

	/* /svc/input, a call: a = INPUT_PROTO_VERSION. Answer: val =
	 * subscription id, handles[0] = the subscription endpoint (WRITE,
	 * TRANSFER, DUPLICATE). Events from the answer on are queued. */
	INPUT_SUBSCRIBE = 16,
	/* /svc/input or a subscription endpoint: answer val = devices,
	 * payload = that many struct input_dev_desc. */
	INPUT_DEVICES = 17,
	/* subscription endpoint: a = max events (1..INPUT_BATCH_MAX), flags =
	 * INPUT_READ_*. Answer: val = events, payload = that many struct
	 * input_event, oldest first. A read replaces one the hub holds for
	 * the same subscription (that one is answered INPUT_EBUSY). */
	INPUT_READ = 18,
};

#define INPUT_READ_NOWAIT 0x1u /* nothing queued: INPUT_EAGAIN at once */

struct input_req {
	uint32_t op;	/* enum input_op */
	uint32_t flags; /* INPUT_READ_* */
	uint32_t a;
	uint32_t count; /* INPUT_DEV_EVENTS: events that follow */
};
_Static_assert(sizeof(struct input_req) == 16, "input_req is wire format");

struct input_resp {
	int32_t err; /* 0 or a negative INPUT_E* */
	uint32_t flags;
	uint64_t val;
};
_Static_assert(sizeof(struct input_resp) == 16, "input_resp is wire format");

/* Device kinds: one per device (a driver with a keyboard and a mouse
 * connects twice). */
enum input_kind {
	INPUT_KIND_KEYBOARD = 1,
	INPUT_KIND_MOUSE = 2,  /* relative axes, buttons, wheel */
	INPUT_KIND_TABLET = 3, /* absolute axes (abs[]), buttons, wheel */
};

/* Buses (Linux BUS_* values). */
#define INPUT_BUS_PCI	  0x01u /* virtio-input */
#define INPUT_BUS_VIRTUAL 0x06u /* test drivers */
#define INPUT_BUS_I8042	  0x11u

struct input_absinfo {
	uint16_t code; /* ABS_X, ABS_Y, ... */
	uint16_t pad;
	int32_t min, max;
	int32_t res; /* units per mm, 0 unknown */
};
_Static_assert(sizeof(struct input_absinfo) == 16, "wire format");

struct input_dev_desc {
	char name[INPUT_NAME_MAX]; /* NUL-terminated, printable ASCII */
	uint32_t kind;		   /* enum input_kind */
	uint32_t id;		   /* set by the hub */
	uint16_t bus;		   /* INPUT_BUS_* */
	uint16_t nabs;		   /* valid entries of abs[] */
	uint32_t pad;
	struct input_absinfo abs[INPUT_ABS_MAX];
};
_Static_assert(sizeof(struct input_dev_desc) == 112, "wire format");

/* One event. time_ns: when the driver saw it (sys_clock_now, ideally at
 * the interrupt). The hub sets device, and for keyboards mods (the
 * device's INPUT_MOD_* state after this event, on every event of a
 * keyboard; 0 for other devices). For keys it adds keysym (X11 keysym
 * values, US layout, shift and caps lock applied: 'a' 0x61, 'A' 0x41,
 * Return 0xff0d; docs/input.md has the table) and ch (the character a
 * terminal would get on a press or repeat: 'A', Ctrl+A 0x01, Return
 * '\r', BackSpace 0x7f; 0 for releases and keys that type nothing).
 * Other events have keysym and ch 0. */
struct input_event {
	uint64_t time_ns;
	uint16_t type; /* INPUT_EV_* */
	uint16_t code; /* evdev code: KEY_A 30, BTN_LEFT 0x110, REL_X 0 */
	int32_t value; /* keys: 0 up, 1 down, 2 repeat; axes: delta/position */
	uint32_t keysym;
	uint32_t device; /* input_dev_desc.id (0: the hub itself) */
	uint32_t mods;
	uint32_t ch;
};
_Static_assert(sizeof(struct input_event) == 32, "input_event is wire format");

/* Largest messages: a full batch either way. */
#define INPUT_MSG_MAX (16u + INPUT_BATCH_MAX * 32u)

/* Event types (evdev EV_*). */
#define INPUT_EV_SYN 0x00u
#define INPUT_EV_KEY 0x01u
#define INPUT_EV_REL 0x02u
#define INPUT_EV_ABS 0x03u

/* SYN codes: evdev's, plus the hub's own device notices (device = the
 * device concerned, value = its kind). */
#define INPUT_SYN_REPORT      0x00u
#define INPUT_SYN_DROPPED     0x03u /* value = events lost here */
#define INPUT_SYN_DEV_ADDED   0x10u
#define INPUT_SYN_DEV_REMOVED 0x11u

/* Relative and absolute axes (evdev). */
#define INPUT_REL_X	 0x00u
#define INPUT_REL_Y	 0x01u
#define INPUT_REL_HWHEEL 0x06u
#define INPUT_REL_WHEEL	 0x08u
#define INPUT_ABS_X	 0x00u
#define INPUT_ABS_Y	 0x01u

/* Buttons (evdev BTN_*, type INPUT_EV_KEY). */
#define INPUT_BTN_LEFT	 0x110u
#define INPUT_BTN_RIGHT	 0x111u
#define INPUT_BTN_MIDDLE 0x112u
#define INPUT_BTN_SIDE	 0x113u
#define INPUT_BTN_EXTRA	 0x114u
#define INPUT_BTN_TOUCH	 0x14au

/* Key codes go up to this (evdev KEY_MAX). */
#define INPUT_KEY_MAX 0x2ffu

/* Modifier state (input_event.mods). */
#define INPUT_MOD_SHIFT 0x01u
#define INPUT_MOD_CTRL	0x02u
#define INPUT_MOD_ALT	0x04u
#define INPUT_MOD_META	0x08u
#define INPUT_MOD_CAPS	0x10u /* caps lock on */
#define INPUT_MOD_ALTGR 0x20u
