/* virtio-input's portable half (vinput.c): what kind of device the
 * configuration space describes, and the batching of its events for the
 * input hub. No system calls: tests/host/test_virtio_input.c runs it
 * against QEMU-like configurations. */
#pragma once
#include <execrt/input_proto.h>
#include <stdbool.h>
#include <stdint.h>

/* virtio-input configuration (virtio 1.x 5.8.4): select, subsel, size at
 * offsets 0, 1, 2; the answer (size bytes) at offset 8. */
#define VINPUT_CFG_SELECT    0
#define VINPUT_CFG_SUBSEL    1
#define VINPUT_CFG_SIZE	     2
#define VINPUT_CFG_DATA	     8
#define VINPUT_CFG_ID_NAME   0x01
#define VINPUT_CFG_ID_DEVIDS 0x03
#define VINPUT_CFG_EV_BITS   0x11
#define VINPUT_CFG_ABS_INFO  0x12

/* Queue numbers and the event the device writes into each eventq buffer. */
#define VINPUT_EVENTQ  0
#define VINPUT_STATUSQ 1
struct vinput_event {
	uint16_t type;
	uint16_t code;
	uint32_t value;
};

/* Ask the device: write select/subsel, read size and up to 128 bytes
 * into buf; returns size (0: nothing there) or a negative error. */
typedef int (*vinput_query_fn)(void *ctx, uint8_t select, uint8_t subsel,
			       uint8_t buf[128]);

/* Fill desc (name, kind, bus, absolute axes) from the device's answers.
 * Absolute X and Y: a tablet; relative X and Y: a mouse; keys: a
 * keyboard. ERR_NOT_SUPPORTED when it is none of them. */
int vinput_describe(vinput_query_fn q, void *ctx, struct input_dev_desc *desc);

/* Events of one report, sent to the hub at SYN_REPORT. */
struct vinput_batch {
	struct input_event ev[INPUT_BATCH_MAX];
	unsigned n;
	uint64_t ignored; /* event types the hub does not take (EV_MSC,
			     EV_LED...) */
};

/* Add one device event seen at time t. True when the batch must go now:
 * it ends a report (SYN_REPORT) or it is full. */
bool vinput_feed(struct vinput_batch *b, const struct vinput_event *e,
		 uint64_t t);
