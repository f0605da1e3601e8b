/* drivers/hda/hda_codec.c: verb words, connection lists (short, long,
 * ranges, truncation), the widget walk and output path search over
 * modelled codecs (QEMU's hda-output/hda-duplex, a desktop codec with
 * mixers, one with long-form ranges and a loop), the path verbs' effect on
 * the codec, and format words. */
#include "harness.h"
#include "hda_codec.h"
#include "hda_model.h"
#include "hda_regs.h"

#include <execrt/audio_proto.h>
#include <execrt/errors.h>

/* A verb transport straight into a modelled codec at address 0. */
struct direct {
	struct hm_codec *c;
	uint32_t sent;
};

static int direct_verb(void *ctx, uint32_t cmd, uint32_t *resp)
{
	struct direct *d = ctx;
	d->sent++;
	if (cmd >> 28 != 0 || d->c->silent)
		return ERR_TIMED_OUT;
	*resp = hm_codec_verb(d->c, (cmd >> 20) & 0x7f, cmd & 0xfffff);
	return 0;
}

static struct hm_codec model;
static struct hda_codec codec;

static int probe(void)
{
	struct direct d = {&model, 0};
	return hda_codec_probe(&codec, 0, direct_verb, &d);
}

/* Sends the path's verbs to the model. */
static int enable(const struct hda_path *p)
{
	uint32_t v[HDA_VERBS_MAX], r;
	int n = hda_path_verbs(&codec, p, v, HDA_VERBS_MAX);
	struct direct d = {&model, 0};
	for (int i = 0; i < n; i++)
		direct_verb(&d, v[i], &r);
	return n;
}

TEST(hda_verb_words_match_the_spec_layout)
{
	/* cad 31:28, nid 27:20, 12-bit verb + 8-bit payload */
	CHECK_EQ(hda_verb(2, 0x14, HDA_V_SET_PIN_CTL, 0x40), 0x21470740u);
	/* 4-bit verb + 16-bit payload */
	CHECK_EQ(hda_verb4(0, 3, HDA_V4_SET_AMP, 0xb04a), 0x0033b04au);
	CHECK_EQ(hda_verb(0, 0, HDA_V_GET_PARAM, HDA_P_VENDOR), 0x000f0000u);
	/* NID and cad fields cannot spill into each other */
	CHECK_EQ(hda_verb(0, 0xff, 0xf00, 0), 0x07ff0000u);
}

TEST(hda_format_words_and_rates)
{
	uint16_t w;
	CHECK_EQ(hda_fmt_word(48000, 16, 2, &w), 0);
	CHECK_EQ(w, 0x0011);
	CHECK_EQ(hda_fmt_word(44100, 16, 2, &w), 0);
	CHECK_EQ(w, 0x4011);
	CHECK_EQ(hda_fmt_word(96000, 24, 2, &w), 0);
	CHECK_EQ(w, 0x0831);
	CHECK_EQ(hda_fmt_word(8000, 16, 1, &w), 0);
	CHECK_EQ(w, 0x0510); /* 48k / 6 */
	CHECK_EQ(hda_fmt_word(32000, 16, 2, &w), 0);
	CHECK_EQ(w, 0x0a11); /* 48k * 2 / 3 */
	CHECK_EQ(hda_fmt_word(22050, 8, 1, &w), 0);
	CHECK_EQ(w, 0x4100);
	CHECK_EQ(hda_fmt_word(12345, 16, 2, &w), ERR_NOT_SUPPORTED);
	CHECK_EQ(hda_fmt_word(48000, 12, 2, &w), ERR_NOT_SUPPORTED);
	CHECK_EQ(hda_fmt_word(48000, 16, 0, &w), ERR_NOT_SUPPORTED);
	CHECK_EQ(hda_fmt_word(48000, 16, 17, &w), ERR_NOT_SUPPORTED);
	/* every supported rate comes back from its own word */
	static const uint32_t r[] = {8000,  11025, 16000, 22050,  32000, 44100,
				     48000, 88200, 96000, 176400, 192000};
	for (unsigned i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		CHECK_EQ(hda_fmt_word(r[i], 16, 2, &w), 0);
		CHECK_EQ(hda_fmt_rate(w), r[i]);
	}
	CHECK_EQ(hda_fmt_rate(0x8011), 0); /* non-PCM */
	/* QEMU's 0x1fc: 16k..96k; only those with an AUDIO_RATE_ bit */
	CHECK_EQ(hda_pcm_to_audio_rates(0x1fc),
		 AUDIO_RATE_16000 | AUDIO_RATE_22050 | AUDIO_RATE_32000 |
			 AUDIO_RATE_44100 | AUDIO_RATE_48000 |
			 AUDIO_RATE_96000);
}

TEST(hda_conn_list_short_long_ranges_truncation)
{
	hm_codec_ranges(&model);
	struct direct d = {&model, 0};
	uint8_t out[HDA_CONN_MAX];
	bool trunc;
	/* long form: 0x10, then range 0x11..0x22 */
	int n = hda_conn_list(direct_verb, &d, 0, 5, model.n[5].conn_len, out,
			      &trunc);
	CHECK_EQ(n, 19);
	CHECK(!trunc);
	CHECK_EQ(out[0], 0x10);
	CHECK_EQ(out[1], 0x11);
	CHECK_EQ(out[18], 0x22);
	/* 0x02, then 0x03..0x2a: 41 entries, 32 kept */
	n = hda_conn_list(direct_verb, &d, 0, 6, model.n[6].conn_len, out,
			  &trunc);
	CHECK_EQ(n, (int)HDA_CONN_MAX);
	CHECK(trunc);
	CHECK_EQ(out[31], 0x21);
	/* short form over several responses (5 entries: 2 verbs) */
	hm_codec_desktop(&model);
	d.sent = 0;
	n = hda_conn_list(direct_verb, &d, 0, 0x0b, model.n[0x0b].conn_len, out,
			  &trunc);
	CHECK_EQ(n, 5);
	CHECK_EQ(d.sent, 2);
	CHECK_EQ(out[4], 0x15);
	/* A range first in the list, or backwards, or to NID 0 / >127:
	 * only the value itself, never a huge expansion. */
	model.n[0x0b].conn_len = 4 | 0x80;
	model.n[0x0b].conn[0] = 0x8030; /* range with nothing before */
	model.n[0x0b].conn[1] = 0x0040;
	model.n[0x0b].conn[2] = 0x8020; /* backwards */
	model.n[0x0b].conn[3] = 0x7fff; /* not a 7-bit NID */
	n = hda_conn_list(direct_verb, &d, 0, 0x0b, model.n[0x0b].conn_len, out,
			  &trunc);
	CHECK_EQ(n, 3);
	CHECK_EQ(out[0], 0x30);
	CHECK_EQ(out[1], 0x40);
	CHECK_EQ(out[2], 0x20);
	/* a failing transport fails the call */
	model.silent = true;
	CHECK_EQ(hda_conn_list(direct_verb, &d, 0, 0x0b, 4, out, &trunc),
		 ERR_TIMED_OUT);
}

TEST(hda_qemu_output_codec_path_dac_to_line_out)
{
	hm_codec_qemu_output(&model, true);
	CHECK_EQ(probe(), 0);
	CHECK_EQ(codec.vendor, 0x1af40012u);
	CHECK_EQ(codec.afg, 1);
	CHECK_EQ(codec.first, 2);
	CHECK_EQ(codec.last, 3);
	CHECK_EQ(codec.w[2].type, HDA_W_OUT);
	CHECK_EQ(codec.w[3].type, HDA_W_PIN);
	CHECK_EQ(codec.w[3].nconn, 1);
	CHECK_EQ(codec.w[3].conn[0], 2);
	CHECK_EQ(HDA_AMPCAP_OFFSET(codec.w[2].amp_out), 0x4a);
	struct hda_path p;
	CHECK_EQ(hda_find_output(&codec, &p), 0);
	CHECK_EQ(p.n, 2);
	CHECK_EQ(p.nid[0], 3);
	CHECK_EQ(p.nid[1], 2);
	CHECK(enable(&p) > 0);
	CHECK_EQ(model.unknown, 0);
	/* DAC amp at 0 dB (offset 0x4a = all steps), unmuted, both sides */
	CHECK_EQ(model.n[2].out_gain[0], 0x4a);
	CHECK_EQ(model.n[2].out_gain[1], 0x4a);
	CHECK(!model.n[2].out_mute[0] && !model.n[2].out_mute[1]);
	CHECK_EQ(model.n[3].pinctl, HDA_PINCTL_OUT);
	/* stream binding: tag in the high nibble, format word */
	uint32_t v[2];
	CHECK_EQ(hda_stream_verbs(&codec, &p, 1, 0x0011, v), 2);
	CHECK_EQ(v[0], hda_verb(0, 2, HDA_V_SET_CONV, 0x10));
	CHECK_EQ(v[1], hda_verb4(0, 2, HDA_V4_SET_FMT, 0x0011));
}

TEST(hda_qemu_without_mixer_and_duplex)
{
	hm_codec_qemu_output(&model, false);
	CHECK_EQ(probe(), 0);
	struct hda_path p;
	CHECK_EQ(hda_find_output(&codec, &p), 0);
	CHECK_EQ(p.nid[1], 2);
	enable(&p);
	CHECK_EQ(model.n[2].out_gain[0], 0); /* no steps: gain 0 */
	CHECK(!model.n[2].out_mute[0]);
	hm_codec_qemu_duplex(&model);
	CHECK_EQ(probe(), 0);
	CHECK_EQ(codec.last, 5);
	CHECK_EQ(codec.w[4].type, HDA_W_IN);
	CHECK_EQ(hda_find_output(&codec, &p), 0);
	CHECK_EQ(p.n, 2);
	CHECK_EQ(p.nid[0], 3); /* the line-in pin 5 is not an output */
	CHECK_EQ(p.nid[1], 2);
}

TEST(hda_desktop_codec_line_out_through_mixer)
{
	hm_codec_desktop(&model);
	CHECK_EQ(probe(), 0);
	CHECK_EQ(codec.w[6].caps & HDA_WCAP_DIGITAL, HDA_WCAP_DIGITAL);
	struct hda_path p;
	CHECK_EQ(hda_find_output(&codec, &p), 0);
	/* 0x17 (speaker) is "no connection", 0x1e is SPDIF: line out 0x14
	 * -> mixer 0x0c (index 0 of the pin) -> DAC 0x02 (index 0). */
	CHECK_EQ(p.n, 3);
	CHECK_EQ(p.nid[0], 0x14);
	CHECK_EQ(p.nid[1], 0x0c);
	CHECK_EQ(p.nid[2], 0x02);
	CHECK_EQ(p.sel[0], 0);
	CHECK_EQ(p.sel[1], 0);
	model.n[0x14].sel = 1; /* firmware left the other mixer selected */
	model.n[0x0c].in_mute[1][0] = false;
	CHECK(enable(&p) > 0);
	CHECK_EQ(model.unknown, 0);
	CHECK_EQ(model.n[0x14].sel, 0);
	/* mixer: the DAC input unmuted, the loopback input muted */
	CHECK(!model.n[0x0c].in_mute[0][0] && !model.n[0x0c].in_mute[0][1]);
	CHECK(model.n[0x0c].in_mute[1][0] && model.n[0x0c].in_mute[1][1]);
	/* DAC amp from the function group's caps: offset 0x40 */
	CHECK_EQ(model.n[2].out_gain[0], 0x40);
	CHECK(!model.n[0x14].out_mute[0]);
	CHECK_EQ(model.n[0x14].pinctl, HDA_PINCTL_OUT); /* line out: no HP */
	CHECK_EQ(model.n[0x14].eapd, HDA_EAPD_ENABLE);
	CHECK_EQ(model.n[1].power, 0);
	/* the other output mixer and DAC untouched */
	CHECK_EQ(model.n[3].out_gain[0], 0);
	CHECK(!model.n[0x0d].in_mute[1][0]);
}

TEST(hda_desktop_codec_fallbacks)
{
	struct hda_path p;
	/* line out unplugged in the BIOS config: headphones, HP enabled */
	hm_codec_desktop(&model);
	model.n[0x14].config |= HDA_PORT_NONE << 30;
	CHECK_EQ(probe(), 0);
	CHECK_EQ(hda_find_output(&codec, &p), 0);
	CHECK_EQ(p.nid[0], 0x15);
	enable(&p);
	CHECK_EQ(model.n[0x15].pinctl, HDA_PINCTL_OUT | HDA_PINCTL_HP);
	CHECK_EQ(model.n[0x15].eapd, 0); /* not EAPD capable */
	/* line out wired to the second mixer only: the second DAC, and the
	 * pin's single connection needs no select verb */
	hm_codec_desktop(&model);
	model.n[0x14].conn_len = 1;
	model.n[0x14].conn[0] = 0x0d;
	model.n[0x14].sel = 7;
	CHECK_EQ(probe(), 0);
	CHECK_EQ(hda_find_output(&codec, &p), 0);
	CHECK_EQ(p.nid[0], 0x14);
	CHECK_EQ(p.nid[2], 0x03);
	enable(&p);
	CHECK_EQ(model.n[0x14].sel, 7);
	CHECK_EQ(model.n[3].out_gain[0], 0x40);
	/* no analog DAC at all: nothing */
	hm_codec_desktop(&model);
	model.n[2].wcap |= HDA_WCAP_DIGITAL;
	model.n[3].wcap |= HDA_WCAP_DIGITAL;
	CHECK_EQ(probe(), 0);
	CHECK_EQ(hda_find_output(&codec, &p), ERR_NOT_FOUND);
	/* a DAC without 48 kHz is not used */
	hm_codec_qemu_output(&model, true);
	model.n[2].pcm = HDA_PCM_16BIT | 0x20; /* 44.1k only */
	CHECK_EQ(probe(), 0);
	CHECK_EQ(hda_find_output(&codec, &p), ERR_NOT_FOUND);
}

TEST(hda_ranges_codec_loop_and_long_selector)
{
	hm_codec_ranges(&model);
	CHECK_EQ(probe(), 0);
	CHECK(codec.w[6].conn_truncated);
	struct hda_path p;
	/* line out 0x04 only reaches the 0x07 <-> 0x08 loop: the speaker
	 * wins, through selector 0x05's 19th entry to DAC 0x22 */
	CHECK_EQ(hda_find_output(&codec, &p), 0);
	CHECK_EQ(p.n, 3);
	CHECK_EQ(p.nid[0], 0x03);
	CHECK_EQ(p.nid[1], 0x05);
	CHECK_EQ(p.nid[2], 0x22);
	CHECK_EQ(p.sel[1], 18);
	enable(&p);
	CHECK_EQ(model.n[5].sel, 18);
	CHECK_EQ(model.n[3].pinctl, HDA_PINCTL_OUT);
}

TEST(hda_probe_refuses_hostile_codecs)
{
	struct hda_path p;
	/* no audio function group */
	hm_codec_qemu_output(&model, true);
	model.n[1].fg_type = 2; /* modem */
	CHECK_EQ(probe(), ERR_NOT_FOUND);
	/* node counts past 127 are clamped, count 0 is nothing */
	hm_codec_qemu_output(&model, true);
	model.n[1].nodes = 2u << 16 | 0xff;
	CHECK_EQ(probe(), 0);
	CHECK_EQ(codec.last, 127);
	CHECK_EQ(hda_find_output(&codec, &p), 0);
	model.n[1].nodes = 0x80u << 16 | 4;
	CHECK_EQ(probe(), ERR_NOT_FOUND);
	/* a connection to a NID outside the group is not followed */
	hm_codec_qemu_output(&model, true);
	model.n[3].conn[0] = 0x50;
	CHECK_EQ(probe(), 0);
	CHECK_EQ(hda_find_output(&codec, &p), ERR_NOT_FOUND);
	/* a silent codec: the probe fails, no hang */
	model.silent = true;
	CHECK_EQ(probe(), ERR_TIMED_OUT);
	/* every widget a pin connecting to itself and to every other: the
	 * search ends (each NID queued once) */
	hm_codec_desktop(&model);
	for (uint32_t nid = 2; nid < 0x20; nid++) {
		model.n[nid].wcap = (uint32_t)HDA_W_MIXER << 20 | HDA_WCAP_CONN;
		model.n[nid].conn_len = 0x80 | 2;
		model.n[nid].conn[0] = 2;
		model.n[nid].conn[1] = 0x801f;
	}
	model.n[0x14].wcap = (uint32_t)HDA_W_PIN << 20 | HDA_WCAP_CONN;
	CHECK_EQ(probe(), 0);
	CHECK_EQ(hda_find_output(&codec, &p), ERR_NOT_FOUND);
	uint32_t v[2];
	p.n = 0;
	CHECK_EQ(hda_path_verbs(&codec, &p, v, 2), ERR_INVALID_ARGS);
	hm_codec_desktop(&model);
	CHECK_EQ(probe(), 0);
	CHECK_EQ(hda_find_output(&codec, &p), 0);
	CHECK_EQ(hda_path_verbs(&codec, &p, v, 2), ERR_BUFFER_TOO_SMALL);
}

/* ---- random codecs against a reference search ---- */

static uint32_t rng = 12345;
static uint32_t rnd(uint32_t n)
{
	rng = rng * 1103515245u + 12345u;
	return (rng >> 16) % n;
}

/* Shortest path length (widgets, pin included) from pin to a usable DAC
 * in the model, by plain iterative deepening over the model's own lists
 * (independent of hda_codec.c); 0 if none. */
static bool model_dac(const struct hm_node *n)
{
	return n->present && HDA_WCAP_TYPE(n->wcap) == HDA_W_OUT &&
	       !(n->wcap & HDA_WCAP_DIGITAL);
}

static bool reach(uint32_t nid, uint32_t left, uint32_t first, uint32_t last,
		  bool start)
{
	const struct hm_node *n = &model.n[nid];
	if (!start && model_dac(n))
		return true;
	if (!left)
		return false;
	uint32_t t = HDA_WCAP_TYPE(n->wcap);
	if (!start && t != HDA_W_MIXER && t != HDA_W_SELECTOR)
		return false;
	if (!(n->wcap & HDA_WCAP_CONN))
		return false;
	for (uint32_t k = 0; k < (n->conn_len & 0x7f); k++) {
		uint32_t v = n->conn[k];
		if (v >= first && v <= last && model.n[v].present &&
		    reach(v, left - 1, first, last, false))
			return true;
	}
	return false;
}

static uint32_t ref_len(uint32_t pin, uint32_t first, uint32_t last)
{
	for (uint32_t len = 1; len < HDA_PATH_MAX; len++)
		if (reach(pin, len, first, last, true))
			return len + 1;
	return 0;
}

TEST(hda_random_codecs_path_matches_reference)
{
	uint32_t found = 0;
	for (int iter = 0; iter < 3000; iter++) {
		memset(&model, 0, sizeof(model));
		uint32_t first = 2, last = 2 + rnd(30);
		model.vendor = 1;
		model.root_nodes = 1u << 16 | 1;
		model.n[1].present = true;
		model.n[1].fg_type = HDA_FG_AUDIO;
		model.n[1].nodes = first << 16 | (last - first + 1);
		model.n[1].pcm = HDA_PCM_16BIT | 0x40;
		for (uint32_t nid = first; nid <= last; nid++) {
			struct hm_node *n = &model.n[nid];
			static const uint32_t types[] = {
				HDA_W_OUT,   HDA_W_MIXER, HDA_W_SELECTOR,
				HDA_W_PIN,   HDA_W_PIN,	  HDA_W_IN,
				HDA_W_VENDOR};
			n->present = true;
			n->wcap = types[rnd(7)] << 20 | HDA_WCAP_STEREO;
			if (rnd(6) == 0)
				n->wcap |= HDA_WCAP_DIGITAL;
			if (HDA_WCAP_TYPE(n->wcap) == HDA_W_PIN) {
				n->pincap = rnd(4) ? HDA_PINCAP_OUT : 0;
				n->config = rnd(3) << 30 | rnd(4) << 20 |
					    rnd(3) << 4 | rnd(3);
			}
			uint32_t nc = rnd(5);
			if (nc) {
				n->wcap |= HDA_WCAP_CONN;
				n->conn_len = nc;
				for (uint32_t k = 0; k < nc; k++)
					n->conn[k] = (uint16_t)(first +
								rnd(last -
								    first + 3));
			}
		}
		CHECK_EQ(probe(), 0);
		/* the reference choice: best rank with a path */
		int best = -1;
		uint32_t best_pin = 0, best_len = 0;
		for (uint32_t nid = first; nid <= last; nid++) {
			struct hm_node *n = &model.n[nid];
			uint32_t dev = HDA_CFG_DEVICE(n->config);
			if (HDA_WCAP_TYPE(n->wcap) != HDA_W_PIN ||
			    !(n->pincap & HDA_PINCAP_OUT) ||
			    HDA_CFG_PORT(n->config) == HDA_PORT_NONE || dev > 2)
				continue;
			int key =
				(int)(dev << 8 | HDA_CFG_ASSOC(n->config) << 4 |
				      HDA_CFG_SEQ(n->config));
			uint32_t len = ref_len(nid, first, last);
			if (len && (best < 0 || key < best)) {
				best = key;
				best_pin = nid;
				best_len = len;
			}
		}
		struct hda_path p;
		int r = hda_find_output(&codec, &p);
		if (best < 0) {
			CHECK_EQ(r, ERR_NOT_FOUND);
			continue;
		}
		found++;
		CHECK_EQ(r, 0);
		CHECK_EQ(p.nid[0], best_pin);
		CHECK_EQ(p.n, best_len);
		CHECK(model_dac(&model.n[p.nid[p.n - 1]]));
		for (uint32_t i = 0; i + 1 < p.n; i++) {
			/* each step is the connection the path names */
			CHECK_EQ(model.n[p.nid[i]].conn[p.sel[i]],
				 p.nid[i + 1]);
			if (i > 0) {
				uint32_t t =
					HDA_WCAP_TYPE(model.n[p.nid[i]].wcap);
				CHECK(t == HDA_W_MIXER || t == HDA_W_SELECTOR);
			}
			for (uint32_t k = 0; k < i; k++)
				CHECK(p.nid[k] != p.nid[i]);
		}
		/* the verbs fit and touch only the codec's widgets */
		uint32_t v[HDA_VERBS_MAX];
		int n = hda_path_verbs(&codec, &p, v, HDA_VERBS_MAX);
		CHECK(n > 0);
		for (int i = 0; i < n; i++) {
			uint32_t nid = (v[i] >> 20) & 0x7f;
			CHECK(nid == 1 || (nid >= first && nid <= last));
		}
	}
	CHECK(found > 300); /* the generator makes paths often enough */
}
