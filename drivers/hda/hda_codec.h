/* HDA codec side (docs/audio.md "HDA"): verb encoding, the walk of a
 * codec's audio function group into a widget table, the search of an
 * output path DAC -> (mixers/selectors) -> pin, the verbs that enable it,
 * and the stream format word. Pure code: every codec access goes through
 * a verb callback, so the host tests run it against modelled codecs
 * (tests/host/test_hda_codec.c). What the codec answers is not trusted:
 * node ranges, list lengths and NIDs are clamped or refused. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#define HDA_NID_MAX   128u /* NIDs 1..127: the verb's NID field is 7 bits */
#define HDA_CONN_MAX  32u  /* connection entries kept per widget */
#define HDA_PATH_MAX  8u   /* widgets on an output path, pin included */
#define HDA_VERBS_MAX 64u  /* verbs hda_path_verbs may produce */

/* Sends one verb (hda_verb()/hda_verb4() word) and waits for the
 * solicited response. 0 or ERR_* (ERR_TIMED_OUT: no answer). */
typedef int (*hda_verb_fn)(void *ctx, uint32_t cmd, uint32_t *resp);

static inline uint32_t hda_verb(uint32_t cad, uint32_t nid, uint32_t verb,
				uint32_t payload)
{
	return (cad & 0xf) << 28 | (nid & 0x7f) << 20 | (verb & 0xfff) << 8 |
	       (payload & 0xff);
}

static inline uint32_t hda_verb4(uint32_t cad, uint32_t nid, uint32_t verb,
				 uint32_t payload)
{
	return (cad & 0xf) << 28 | (nid & 0x7f) << 20 | (verb & 0xf) << 16 |
	       (payload & 0xffff);
}

struct hda_widget {
	bool present;
	uint8_t type; /* HDA_W_* */
	uint8_t nconn;
	bool conn_truncated; /* the list had more than HDA_CONN_MAX */
	uint32_t caps;	     /* HDA_P_WCAP */
	uint32_t pincap, config;
	uint32_t amp_in, amp_out; /* own, or the function group's */
	uint32_t pcm, stream;	  /* own, or the function group's */
	uint8_t conn[HDA_CONN_MAX];
};

struct hda_codec {
	uint8_t cad;	     /* codec address (SDIN line) */
	uint8_t afg;	     /* the audio function group's NID */
	uint8_t first, last; /* widget NIDs first..last (clamped to 1..127) */
	uint32_t vendor, revision;
	uint32_t verbs, errors; /* verbs sent, verbs that failed */
	struct hda_widget w[HDA_NID_MAX];
};

/* An output path: nid[0] is the pin, nid[n-1] the DAC; sel[i] is the
 * index in nid[i]'s connection list that leads to nid[i+1]. */
struct hda_path {
	uint8_t n;
	uint8_t nid[HDA_PATH_MAX];
	uint8_t sel[HDA_PATH_MAX];
};

/* Reads the codec at cad: root node, its first audio function group
 * (ERR_NOT_FOUND: none), every widget's capabilities, pin caps and
 * configuration, amplifier caps, connection list (short and long forms,
 * ranges expanded). */
int hda_codec_probe(struct hda_codec *c, uint8_t cad, hda_verb_fn fn,
		    void *ctx);

/* Expands a connection list: len entries (HDA_P_CONN_LEN & 0x7f), long
 * form or not, fetched through fn; out[] gets at most HDA_CONN_MAX NIDs.
 * Returns the count kept (*truncated when more existed) or ERR_*. */
int hda_conn_list(hda_verb_fn fn, void *ctx, uint8_t cad, uint8_t nid,
		  uint32_t lenparam, uint8_t out[HDA_CONN_MAX],
		  bool *truncated);

/* The preferred output pin and a shortest path from it to an analog DAC
 * that plays 16-bit PCM at 48 kHz: line out before speaker before
 * headphones, pins marked "no connection" skipped, then lower
 * association/sequence, then NID. 0 or ERR_NOT_FOUND. */
int hda_find_output(const struct hda_codec *c, struct hda_path *p);

/* The verbs that make p play: function group and widgets to D0, each
 * multi-input widget's connection select, output amplifiers to 0 dB
 * unmuted, the input amplifier of the path's input of every mixer on it
 * unmuted at 0 dB and its other inputs muted, the pin's output (and
 * headphone) enable and EAPD. Returns the count written to v (<= cap) or
 * ERR_BUFFER_TOO_SMALL. */
int hda_path_verbs(const struct hda_codec *c, const struct hda_path *p,
		   uint32_t *v, uint32_t cap);

/* The verbs that bind the path's DAC to stream tag (1..15) with format
 * word fmt: converter stream/channel and format. Returns the count (2). */
int hda_stream_verbs(const struct hda_codec *c, const struct hda_path *p,
		     uint32_t tag, uint16_t fmt, uint32_t *v);

/* The stream format word (SDnFMT, converter format) for PCM at rate Hz,
 * bits 8/16/20/24/32, channels 1..16. 0 or ERR_NOT_SUPPORTED. */
int hda_fmt_word(uint32_t rate, uint32_t bits, uint32_t channels,
		 uint16_t *out);
/* The rate in Hz a format word names (0 for non-PCM or a zero divisor). */
uint32_t hda_fmt_rate(uint16_t fmt);
/* HDA_P_PCM rate bits -> AUDIO_RATE_* bits (rates of both kinds only). */
uint32_t hda_pcm_to_audio_rates(uint32_t pcm);
/* The HDA_P_PCM bit for rate Hz, 0 when it has none. */
uint32_t hda_pcm_rate_bit(uint32_t rate);
