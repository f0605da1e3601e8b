/* A client of the input hub (include/execrt/input_proto.h, docs/input.md)
 * for drivers and subscribers: thin wrappers around the binary calls.
 * Every call returns >= 0 on success, a kernel ERR_* (errors.h), or
 * INPUT_HUB_ERR(e) when the hub answered -e (e an INPUT_E* errno). */
#pragma once
#include <stdint.h>

#include <execrt/input_proto.h>
#include <execrt/types.h>

#define INPUT_HUB_ERR(e) (-1000 - (long)(e))

/* Looks name (INPUT_SVC_NAME or INPUT_DEV_SVC_NAME) up through the name
 * service, waiting until deadline: its endpoint, or 0. */
handle_t input_lookup(const char *name, uint64_t deadline);

/* Drivers: connect device d on the /drv/input endpoint: 0 with the
 * device endpoint in *ep and the hub's id in *id. */
long input_dev_connect(handle_t dev_pub, const struct input_dev_desc *d,
		       handle_t *ep, uint32_t *id);
/* Sends n events (any number: batches of INPUT_BATCH_MAX), one-way; a full
 * queue waits until deadline (DEADLINE_POLL: ERR_SHOULD_WAIT at once).
 * Returns the events sent before an error stopped it, or the error when
 * none went. */
long input_dev_send(handle_t ep, const struct input_event *ev, uint32_t n,
		    uint64_t deadline);
/* The same as one call (n <= INPUT_BATCH_MAX): returns once the hub has
 * taken the batch, with the number of events it took. */
long input_dev_call(handle_t ep, const struct input_event *ev, uint32_t n,
		    uint64_t deadline);

/* Subscribers: a subscription on the /svc/input endpoint: 0 with its
 * endpoint in *sub (and id). */
long input_subscribe(handle_t pub, handle_t *sub, uint32_t *id);
/* Up to max (1..INPUT_BATCH_MAX) events into ev: their number. Waits for
 * events until deadline (ERR_TIMED_OUT; the events stay queued in the
 * hub), or with INPUT_READ_NOWAIT gives INPUT_HUB_ERR(INPUT_EAGAIN). A
 * read from another thread of the same subscription takes over: this one
 * then gives INPUT_HUB_ERR(INPUT_EBUSY). */
long input_read(handle_t sub, struct input_event *ev, uint32_t max,
		uint32_t flags, uint64_t deadline);
/* The devices (on /svc/input or a subscription): their number. */
long input_devices(handle_t ep, struct input_dev_desc *out, uint32_t max);
