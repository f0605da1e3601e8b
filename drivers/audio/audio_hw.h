/* The device half of an audio driver (docs/audio.md "Drivers"). The
 * shared part (drivers/audio: audio_core.c protocol and bookkeeping,
 * audio_main.c port, IRQ loop, ring memory) drives one output stream of a
 * device through these operations; drivers/ac97 and drivers/hda implement
 * them. All calls come from the driver's one server thread.
 *
 * Life of a stream: fit (check/round the format) -> the shared part
 * allocates the ring (physically contiguous DMA memory, zeroed) -> open
 * (program the stream over the ring: one descriptor per period, an
 * interrupt at the end of each) -> start / stop (any number of times;
 * start plays from ring offset 0) -> close. Between them the shared part
 * calls position (hardware read offset) whenever it needs the position,
 * and irq when the device's interrupt fired. */
#pragma once
#include <stdint.h>

#include <execrt/audio_proto.h>

/* The ring the shared part hands to open: va mapped in the driver,
 * phys its (contiguous) physical base, bytes = periods * period bytes. */
struct audio_hw_ring {
	uint8_t *va;
	uint64_t phys;
	uint32_t bytes;
};

#define AUDIO_HW_IRQ_PERIOD   1
#define AUDIO_HW_IRQ_UNDERRUN 2

struct audio_hw_ops {
	/* What the device can play (name "ac97" / "hda", rates, ...). */
	void (*info)(void *dev, struct audio_info *out);
	/* Checks fmt against the device and rounds it in place (e.g. the
	 * period to the DMA alignment); no effect on the device. 0,
	 * ERR_NOT_SUPPORTED (rate/format/channels), ERR_INVALID_ARGS. */
	int (*fit)(void *dev, struct audio_fmt *fmt);
	/* Programs the (stopped) stream for fmt (as fit left it) over ring:
	 * descriptor list with one entry per period, interrupt on each. */
	int (*open)(void *dev, const struct audio_fmt *fmt,
		    const struct audio_hw_ring *ring);
	/* Runs the DMA engine from ring offset 0. 0 or ERR_*. */
	int (*start)(void *dev);
	/* Halts it (returns once the engine is stopped). */
	void (*stop)(void *dev);
	/* Byte offset in the ring the device reads next (0..bytes-1). The
	 * shared part turns it into monotonic frames from the distance to
	 * the last offset read, so the device must never play a whole ring
	 * between two reads: each interrupt reads it, and a device that can
	 * stop itself is kept less than a ring ahead of the last interrupt
	 * served (AC97: the last valid index). */
	uint32_t (*position)(void *dev);
	/* The device's interrupt fired: acknowledge the device's status
	 * (the shared part then acks the IRQ object). Returns >0 if it was a
	 * period interrupt of the stream (AUDIO_HW_IRQ_UNDERRUN: and the
	 * engine had stopped, starved: counted), 0 if not ours / nothing to do,
	 * or ERR_* if the device reported an error (e.g. DMA/FIFO error: the
	 * shared part counts it). */
	int (*irq)(void *dev);
	/* Stops and forgets the stream; the ring is freed afterwards. */
	void (*close)(void *dev);
};

/* A device as the shared part sees it. */
struct audio_hw {
	const struct audio_hw_ops *ops;
	void *dev;
};
