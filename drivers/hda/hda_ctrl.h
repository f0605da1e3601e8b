/* HDA controller (docs/audio.md "HDA"): reset, the CORB/RIRB command
 * rings, one output stream (buffer descriptor list, DMA position buffer,
 * an interrupt per period). Pure code: registers through struct hda_io,
 * DMA memory handed in, so the host tests run it against a modelled
 * controller (tests/host/test_hda_ctrl.c).
 *
 * The driver's private DMA page (HDA_MEM_BYTES, physically contiguous):
 *   0x000 CORB     256 x 4 bytes
 *   0x400 RIRB     256 x 8 bytes
 *   0xc00 position buffer, 8 bytes per stream descriptor (<= 30)
 *   0xd00 BDL      HDA_BDL_MAX x 16 bytes
 * every part 128-byte aligned as the spec asks. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#define HDA_MEM_BYTES 4096u
#define HDA_MEM_CORB  0x000u
#define HDA_MEM_RIRB  0x400u
#define HDA_MEM_POS   0xc00u
#define HDA_MEM_BDL   0xd00u
#define HDA_BDL_MAX   32u

struct hda_io {
	uint32_t (*rd)(void *ctx, uint32_t off, uint32_t width); /* 1/2/4 */
	void (*wr)(void *ctx, uint32_t off, uint32_t width, uint32_t v);
	uint64_t (*now_ns)(void *ctx);
	void (*pause_us)(void *ctx, uint32_t us);
	void *ctx;
};

struct hda_ctrl {
	struct hda_io io;
	uint8_t *mem; /* HDA_MEM_BYTES of DMA memory, mapped */
	uint64_t phys;
	uint16_t gcap;
	uint32_t iss, oss, bss;
	uint16_t codecs; /* STATESTS after reset: bit per codec address */
	uint32_t corb_n, rirb_n, corb_wp, rirb_rp;
	uint64_t verbs, unsol, timeouts;
	/* The output stream. */
	uint32_t sd;  /* descriptor index */
	uint32_t tag; /* stream tag, 1 */
	bool bidir;   /* sd is a bidirectional engine (DIR set) */
	uint32_t ring_bytes;
	bool running;
	uint64_t ioc, errors, spurious;
};

/* Resets the controller (CRST low then high, codecs given time to
 * announce themselves), starts the CORB and RIRB and picks the output
 * stream. mem/phys: HDA_MEM_BYTES of DMA memory (phys 128-byte aligned).
 * 0, ERR_TIMED_OUT (reset never completed), ERR_NOT_FOUND (no output
 * stream or no codec), ERR_INVALID_ARGS. */
int hda_ctrl_init(struct hda_ctrl *c, const struct hda_io *io, void *mem,
		  uint64_t phys);

/* One verb through the CORB, its solicited response from the RIRB
 * (unsolicited ones counted and dropped). A hda_verb_fn on a struct
 * hda_ctrl. 0 or ERR_TIMED_OUT. */
int hda_ctrl_verb(void *ctrl, uint32_t cmd, uint32_t *resp);

/* Fills a BDL: periods entries of period_bytes each over the ring at
 * ring_phys, every one with IOC. ERR_INVALID_ARGS unless 2 <= periods <=
 * HDA_BDL_MAX and the ring and period are 128-byte aligned. */
int hda_bdl_fill(uint8_t *bdl, uint64_t ring_phys, uint32_t period_bytes,
		 uint32_t periods);

/* Programs the (stopped, reset) output stream: BDL over the ring, cyclic
 * length, last valid index, format, tag, interrupt on completion (and on
 * FIFO/descriptor errors), the position buffer and the stream's
 * interrupt enable. 0 or ERR_*. */
int hda_stream_setup(struct hda_ctrl *c, uint16_t fmt, uint64_t ring_phys,
		     uint32_t period_bytes, uint32_t periods);
/* RUN on / off (off waits until the engine reads stopped). */
int hda_stream_run(struct hda_ctrl *c, bool on);
/* Stops and resets the stream and turns its interrupt off. */
void hda_stream_reset(struct hda_ctrl *c);
/* Byte offset in the ring the DMA reads next, from the position buffer. */
uint32_t hda_stream_pos(const struct hda_ctrl *c);
/* The interrupt: acknowledges the stream's status and the controller's.
 * 1 a period completed, 0 nothing of ours, ERR_BAD_STATE a FIFO or
 * descriptor error, ERR_PEER_CLOSED the device reads all ones (gone). */
int hda_ctrl_irq(struct hda_ctrl *c);
/* Stream off, CORB/RIRB DMA off, interrupts and position buffer off: no
 * DMA after this returns. */
void hda_ctrl_shutdown(struct hda_ctrl *c);
