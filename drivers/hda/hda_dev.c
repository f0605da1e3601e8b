/* HDA device operations for drivers/audio's core (hda_dev.h). */
#include "hda_dev.h"

#include <string.h>

#include <execrt/errors.h>

#include "hda_regs.h"

int hda_dev_init(struct hda_dev *d, const struct hda_io *io, void *mem,
		 uint64_t phys)
{
	memset(d, 0, sizeof(*d));
	int r = hda_ctrl_init(&d->ctl, io, mem, phys);
	if (r < 0)
		return r;
	r = ERR_NOT_FOUND;
	for (uint8_t cad = 0; cad < 15 && r < 0; cad++) {
		if (!(d->ctl.codecs & (1u << cad)))
			continue;
		if (hda_codec_probe(&d->codec, cad, hda_ctrl_verb, &d->ctl) < 0)
			continue;
		r = hda_find_output(&d->codec, &d->path);
	}
	if (r < 0)
		return r;
	uint32_t v[HDA_VERBS_MAX], resp;
	int n = hda_path_verbs(&d->codec, &d->path, v, HDA_VERBS_MAX);
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++)
		if ((r = hda_ctrl_verb(&d->ctl, v[i], &resp)) < 0)
			return r;
	d->path_verbs = n;
	const struct hda_widget *dac = &d->codec.w[d->path.nid[d->path.n - 1]];
	d->rates = hda_pcm_to_audio_rates(dac->pcm);
	d->chan_max = (dac->caps & HDA_WCAP_STEREO) ? 2 : 1;
	return 0;
}

void hda_dev_fini(struct hda_dev *d)
{
	hda_ctrl_shutdown(&d->ctl);
	d->open = false;
}

static void op_info(void *dev, struct audio_info *out)
{
	struct hda_dev *d = dev;
	memset(out, 0, sizeof(*out));
	memcpy(out->name, "hda", 4);
	out->rates = d->rates;
	out->channels_max = d->chan_max;
	out->formats = 1u << AUDIO_FMT_S16LE;
	out->period_min = HDA_PERIOD_MIN;
	out->period_max = HDA_PERIOD_MAX;
}

/* AUDIO_RATE_* bit of rate, 0 if none. */
static uint32_t rate_bit(uint32_t rate)
{
	static const uint32_t r[] = {8000,  11025, 16000, 22050,
				     32000, 44100, 48000, 96000};
	for (uint32_t i = 0; i < sizeof(r) / sizeof(r[0]); i++)
		if (r[i] == rate)
			return 1u << i;
	return 0;
}

static int op_fit(void *dev, struct audio_fmt *f)
{
	struct hda_dev *d = dev;
	if (f->periods < AUDIO_PERIODS_MIN || f->periods > AUDIO_PERIODS_MAX ||
	    f->periods > HDA_BDL_MAX || f->period_frames == 0 ||
	    f->period_frames > HDA_PERIOD_MAX || f->channels == 0)
		return ERR_INVALID_ARGS;
	if (f->format != AUDIO_FMT_S16LE || f->channels > d->chan_max ||
	    !(rate_bit(f->rate) & d->rates))
		return ERR_NOT_SUPPORTED;
	/* Each period starts a BDL buffer: a multiple of 128 bytes. */
	uint32_t step = HDA_BUF_ALIGN / (2u * f->channels);
	uint32_t p = f->period_frames < HDA_PERIOD_MIN ? HDA_PERIOD_MIN
						       : f->period_frames;
	f->period_frames = (p + step - 1) / step * step;
	return 0;
}

static int op_open(void *dev, const struct audio_fmt *f,
		   const struct audio_hw_ring *ring)
{
	struct hda_dev *d = dev;
	struct audio_fmt g = *f;
	uint16_t w;
	if (op_fit(d, &g) < 0 || g.period_frames != f->period_frames)
		return ERR_INVALID_ARGS;
	uint32_t pb = f->period_frames * 2u * f->channels;
	if (ring->bytes != pb * f->periods)
		return ERR_INVALID_ARGS;
	int r = hda_fmt_word(f->rate, 16, f->channels, &w);
	if (r < 0)
		return r;
	if ((r = hda_stream_setup(&d->ctl, w, ring->phys, pb, f->periods)) < 0)
		return r;
	uint32_t v[2], resp;
	hda_stream_verbs(&d->codec, &d->path, d->ctl.tag, w, v);
	for (int i = 0; i < 2; i++) {
		if ((r = hda_ctrl_verb(&d->ctl, v[i], &resp)) < 0) {
			hda_stream_reset(&d->ctl);
			return r;
		}
	}
	d->fmt = *f;
	d->fmt_word = w;
	d->open = true;
	return 0;
}

static int op_start(void *dev)
{
	struct hda_dev *d = dev;
	return d->open ? hda_stream_run(&d->ctl, true) : ERR_BAD_STATE;
}

static void op_stop(void *dev)
{
	struct hda_dev *d = dev;
	hda_stream_run(&d->ctl, false);
}

static uint32_t op_position(void *dev)
{
	struct hda_dev *d = dev;
	return hda_stream_pos(&d->ctl);
}

static int op_irq(void *dev)
{
	struct hda_dev *d = dev;
	return hda_ctrl_irq(&d->ctl);
}

static void op_close(void *dev)
{
	struct hda_dev *d = dev;
	uint32_t resp;
	hda_stream_reset(&d->ctl);
	/* Unbind the converter (stream 0 = none). */
	uint8_t dac = d->path.nid[d->path.n - 1];
	hda_ctrl_verb(&d->ctl, hda_verb(d->codec.cad, dac, HDA_V_SET_CONV, 0),
		      &resp);
	d->open = false;
}

const struct audio_hw_ops hda_hw_ops = {
	.info = op_info,
	.fit = op_fit,
	.open = op_open,
	.start = op_start,
	.stop = op_stop,
	.position = op_position,
	.irq = op_irq,
	.close = op_close,
};
