/* The HDA device as drivers/audio's core sees it (audio_hw.h): the
 * controller, the first codec with an output path, and the stream format
 * rules. Pure code (host-tested with a modelled controller and codecs,
 * tests/host/test_hda_dev.c); hda_main.c adds the platform. */
#pragma once
#include "audio_hw.h"
#include "hda_codec.h"
#include "hda_ctrl.h"

#define HDA_PERIOD_MIN 32u   /* frames */
#define HDA_PERIOD_MAX 8192u /* frames */

struct hda_dev {
	struct hda_ctrl ctl;
	struct hda_codec codec;
	struct hda_path path;
	uint32_t rates;	      /* AUDIO_RATE_* the DAC plays */
	uint16_t chan_max;    /* 1 or 2 */
	struct audio_fmt fmt; /* the open stream's, as fitted */
	uint16_t fmt_word;
	bool open;
	int path_verbs; /* verbs sent to enable the path */
};

/* Resets the controller, probes every codec it saw, takes the first with
 * an output path and enables that path. 0 or ERR_* (ERR_NOT_FOUND: no
 * codec with an output). */
int hda_dev_init(struct hda_dev *d, const struct hda_io *io, void *mem,
		 uint64_t phys);
/* Stops everything (no DMA afterwards). */
void hda_dev_fini(struct hda_dev *d);

extern const struct audio_hw_ops hda_hw_ops;
