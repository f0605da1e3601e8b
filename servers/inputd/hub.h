/* The input hub's state (docs/input.md): devices, subscriptions and their
 * bounded queues, key state per keyboard. Pure code: no system calls; the
 * receive loop (main.c) does the IPC. Host-tested under ASan+UBSan
 * (tests/host/test_input_hub.c, with random operations against a model).
 *
 * Every device event is stamped (device id, key repeat, modifiers,
 * keysym, character) and appended to every subscription's queue. A queue
 * never blocks the hub: with one slot left, the next event becomes an
 * INPUT_SYN_DROPPED marker and later ones only count in its value until
 * the subscriber reads, so a loss is reported exactly where it happened
 * and never silently. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <execrt/input_proto.h>

#define HUB_KEYBITS ((INPUT_KEY_MAX + 1 + 7) / 8)

struct hub_dev {
	bool used;
	uint32_t id;   /* never 0, never reused */
	uint64_t task; /* the driver task's koid (limits) */
	struct input_dev_desc desc;
	uint32_t mods;		   /* INPUT_MOD_* (keyboards) */
	uint8_t down[HUB_KEYBITS]; /* keys and buttons held */
	uint64_t events, bad_events, bad_batches;
};

struct hub_sub {
	bool used;
	bool marker; /* the newest queued event is our DROPPED marker */
	bool held;   /* a read waits for events (kept by the caller) */
	uint32_t id;
	uint64_t task;
	uint32_t head, count;
	uint64_t delivered, lost;
	struct input_event q[INPUT_SUB_QUEUE];
};

struct hub_stats {
	uint64_t events_in, events_out, lost, bad_events, bad_batches;
	uint64_t dev_connects, dev_removes, sub_adds, sub_removes, refused;
};

struct hub {
	struct hub_dev dev[INPUT_DEVS_MAX];
	struct hub_sub sub[INPUT_SUBS_MAX];
	uint32_t next_dev_id, next_sub_id;
	struct hub_stats st;
};

void hub_init(struct hub *h);

/* A driver task connects a device: 0 and *slot, or -INPUT_EINVAL (a bad
 * kind, name, axis count or range), -INPUT_ENOSPC (INPUT_DEVS_MAX, or
 * INPUT_DEVS_PER_TASK for this task). Subscribers get
 * INPUT_SYN_DEV_ADDED. */
int hub_dev_add(struct hub *h, const struct input_dev_desc *d, uint64_t task,
		uint64_t now, int *slot);
/* The device is gone: keys and buttons still held are released to the
 * subscribers (then SYN_REPORT), then INPUT_SYN_DEV_REMOVED. */
void hub_dev_remove(struct hub *h, int slot, uint64_t now);
/* A batch from device slot: `n` events. Each event is checked (type up
 * to 0x1f, key codes up to INPUT_KEY_MAX with values 0-2, no hub-only SYN
 * codes); a bad one is dropped and counted. Returns the events taken. */
uint32_t hub_dev_events(struct hub *h, int slot, const struct input_event *ev,
			uint32_t n);

/* A whole INPUT_DEV_EVENTS message (len bytes, from an endpoint of device
 * slot): the events taken, or -INPUT_EINVAL for a malformed one (another
 * op, a count of 0 or over INPUT_BATCH_MAX, a length that is not the
 * header plus count events), dropped whole and counted. */
int hub_dev_msg(struct hub *h, int slot, const void *msg, uint32_t len);

/* A task subscribes: 0 and *slot, or -INPUT_ENOSPC. */
int hub_sub_add(struct hub *h, uint64_t task, int *slot);
void hub_sub_remove(struct hub *h, int slot);
/* Copies up to max queued events (oldest first) without taking them. */
uint32_t hub_sub_peek(const struct hub *h, int slot, struct input_event *out,
		      uint32_t max);
/* Takes n events (after they were delivered). */
void hub_sub_consume(struct hub *h, int slot, uint32_t n);
static inline uint32_t hub_sub_queued(const struct hub *h, int slot)
{
	return h->sub[slot].count;
}

/* The slot of device / subscription id, or -1. */
int hub_dev_slot(const struct hub *h, uint32_t id);
int hub_sub_slot(const struct hub *h, uint32_t id);
/* The devices, in slot order: their number (at most max). */
uint32_t hub_devices(const struct hub *h, struct input_dev_desc *out,
		     uint32_t max);
/* The ports/v0 `status` result object (JSON); its length or < 0. */
int hub_status_json(const struct hub *h, char *buf, size_t cap);
