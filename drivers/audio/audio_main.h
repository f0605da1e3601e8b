/* The platform half of an audio driver (audio_main.c): the port and its
 * registration as /svc/audio through iod, the receive loop, the device's
 * interrupt, the ring as DMA memory and a grant. A device part (ac97,
 * hda) finds and resets its device, makes its IRQ object bound to
 * audio_notif() at bit AUDIO_BIT_DEV, and calls audio_run(). */
#pragma once
#include <execrt/iod_proto.h>
#include <execrt/sys.h>

#include "audio_hw.h"

/* Notification bits of the driver's one notification. */
#define AUDIO_BIT_PORT 0
#define AUDIO_BIT_DEV  8

/* The notification (made on first use), for the device's IRQ object. */
handle_t audio_notif(void);

/* Device-private DMA memory (descriptor lists, position buffers): size
 * bytes, physically contiguous, zeroed, mapped read-write uncached-safe
 * at *va. From the DMA authority of audio_dma_init. 0 or ERR_*. */
int audio_dma_init(handle_t dma_auth);
int audio_dma_alloc(uint64_t size, void **va, uint64_t *phys);

/* The device's one interrupt: MSI when the function has the capability
 * (programmed and enabled here, INTx disabled), else the INTx line iod
 * handed over (irq_auth = h[IOD_H_IRQ]); both signal audio_notif() bit
 * AUDIO_BIT_DEV. *kind = "msi" / "intx". 0 or ERR_*. */
int audio_irq_setup(handle_t pci, handle_t irq_auth,
		    const struct iod_dev_info *info, handle_t *irq,
		    const char **kind);

/* Serves /svc/audio for hw until a fatal error (returns its code).
 * irq: the device's IRQ object (acked here after ops->irq), name: the
 * device name iod gave (for status). */
int audio_run(const struct audio_hw *hw, handle_t irq, const char *devname);
