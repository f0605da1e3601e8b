/* A modelled HDA controller and codecs for the drivers/hda host tests:
 * written from the HDA specification (and, where it differs, QEMU's
 * intel-hda behaviour: the CORB stalls when RINTCNT responses are
 * pending, DMA waits while a buffer completion is unacknowledged). The
 * codec model keeps the state verbs set so tests can assert the path. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hda_ctrl.h"

#define HM_NODES 128

struct hm_node {
	bool present;
	uint32_t wcap, pincap, config, pcm, stream, amp_in, amp_out;
	uint32_t fg_type;  /* function group nodes */
	uint32_t nodes;	   /* HDA_P_NODES of a function group */
	uint32_t conn_len; /* HDA_P_CONN_LEN */
	uint16_t conn[64]; /* raw entries, range bit included */
	/* state set by verbs */
	uint8_t sel, pinctl, power, eapd, conv;
	uint16_t fmt;
	uint8_t out_gain[2];
	bool out_mute[2];
	uint8_t in_gain[16][2];
	bool in_mute[16][2];
};

struct hm_codec {
	uint32_t vendor;
	uint32_t root_nodes;
	struct hm_node n[HM_NODES];
	uint32_t verbs, unknown;
	bool silent; /* never answers */
};

/* Codecs: QEMU's hda-output (mixer: amps with 0x4a steps, else none),
 * hda-duplex; a desktop codec shaped like a Realtek ALC: line out, HP and
 * speaker pins through mixers with an analog loopback, an SPDIF DAC,
 * an unconnected pin; one with long-form lists and ranges and a selector
 * chain. */
void hm_codec_qemu_output(struct hm_codec *c, bool mixer);
void hm_codec_qemu_duplex(struct hm_codec *c);
void hm_codec_desktop(struct hm_codec *c);
void hm_codec_ranges(struct hm_codec *c);
/* Answers one verb (the 20 low bits of a command) to nid. */
uint32_t hm_codec_verb(struct hm_codec *c, uint32_t nid, uint32_t v);

struct hm_sd {
	uint32_t ctl; /* bits 0-23; sts apart */
	uint8_t sts;
	uint32_t lpib, cbl, bdpl, bdpu;
	uint16_t lvi, fmt;
	uint32_t be, bp; /* DMA: entry, offset in it */
	bool ran;
};

struct hm_ctrl {
	uint16_t gcap;
	uint32_t gctl, intctl, dplbase, dpubase;
	uint16_t statests;
	uint32_t corb_lbase, corb_ubase, rirb_lbase, rirb_ubase;
	uint16_t corbwp, corbrp, rirbwp, rintcnt;
	uint8_t corbctl, corbsize, rirbctl, rirbsts, rirbsize;
	uint32_t rirb_count;
	struct hm_sd sd[8];
	struct hm_codec *codec[15];
	/* memory the "device" reaches */
	uint8_t *mem;
	uint64_t mem_phys;
	size_t mem_len;
	uint8_t *ring;
	uint64_t ring_phys;
	size_t ring_len;
	uint64_t now;
	/* faults */
	bool crst_stuck, srst_reads_back;
	uint32_t unsol_before; /* unsolicited responses before each answer */
	uint32_t bad_access;   /* unknown offsets / widths */
	/* what the codecs were told: RUN rising/falling per stream tag (the
	 * only way they learn it; a controller reset tells them nothing) */
	uint16_t codec_running;
	/* what was played */
	uint8_t *out;
	size_t out_len, out_cap;
};

void hm_ctrl_init(struct hm_ctrl *m, uint8_t *mem, uint64_t mem_phys,
		  size_t mem_len);
void hm_ctrl_io(struct hm_ctrl *m, struct hda_io *io);
/* The output engine moves `bytes` from the ring as a codec would, stopping
 * early while a buffer completion waits for its acknowledgement (QEMU).
 * Returns the bytes moved. */
size_t hm_play(struct hm_ctrl *m, size_t bytes);
/* INTSTS as the spec derives it; the interrupt line is its bit 31. */
uint32_t hm_intsts(const struct hm_ctrl *m);
