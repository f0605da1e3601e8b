/* AC97 (Intel ICH AC'97 controller + codec) as a struct audio_hw: the
 * mixer (NAM, BAR0) and bus-master (NABM, BAR1) registers, PCM out with
 * its 32-entry buffer descriptor list in DMA memory. Register access goes
 * through struct ac97_io (port I/O on exec-rt, a model in the host test
 * tests/host/test_ac97.c), so this file makes no system call. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "audio_hw.h"

/* NAM: the codec's mixer registers (16-bit). */
#define AC97_RESET	    0x00
#define AC97_MASTER_VOL	    0x02
#define AC97_PCM_OUT_VOL    0x18
#define AC97_POWERDOWN	    0x26 /* low 4 bits: ADC, DAC, analog, Vref ready */
#define AC97_EXT_AUDIO_ID   0x28 /* bit 0: variable rate (VRA) */
#define AC97_EXT_AUDIO_CTL  0x2a /* bit 0: VRA on */
#define AC97_PCM_FRONT_RATE 0x2c
#define AC97_VOL_MUTE	    0x8000u
#define AC97_PCM_UNITY	    0x0000u /* unmuted; unity gain in QEMU's model */

/* NABM: the PCM-out box at 0x10 and the global registers. */
#define AC97_PO_BDBAR 0x10 /* 32: descriptor list base */
#define AC97_PO_CIV   0x14 /* 8: current index */
#define AC97_PO_LVI   0x15 /* 8: last valid index */
#define AC97_PO_SR    0x16 /* 16: status */
#define AC97_PO_PICB  0x18 /* 16: samples left in the current buffer */
#define AC97_PO_CR    0x1b /* 8: control */
#define AC97_GLOB_CNT 0x2c /* 32 */
#define AC97_GLOB_STA 0x30 /* 32 */

#define AC97_SR_DCH   0x01u /* DMA halted */
#define AC97_SR_CELV  0x02u /* current = last valid */
#define AC97_SR_LVBCI 0x04u /* last valid buffer done (W1C) */
#define AC97_SR_BCIS  0x08u /* buffer done, IOC set (W1C) */
#define AC97_SR_FIFOE 0x10u /* FIFO error (W1C) */
#define AC97_CR_RPBM  0x01u /* run */
#define AC97_CR_RR    0x02u /* reset the box's registers */
#define AC97_CR_LVBIE 0x04u
#define AC97_CR_FEIE  0x08u
#define AC97_CR_IOCE  0x10u
#define AC97_GC_COLD  0x02u  /* cold reset# (1: out of reset) */
#define AC97_GS_PCR   0x100u /* primary codec ready */

#define AC97_BDL_N	32u
#define AC97_BD_IOC	0x8000u
#define AC97_PERIOD_MIN 32u
#define AC97_PERIOD_MAX 8192u

struct ac97_bd {
	uint32_t addr;
	uint16_t samples; /* 16-bit samples (frames * 2 for stereo) */
	uint16_t flags;
};

struct ac97_io {
	uint32_t (*nam_r16)(void *ctx, uint32_t reg);
	void (*nam_w16)(void *ctx, uint32_t reg, uint32_t v);
	/* width 1, 2 or 4 */
	uint32_t (*nabm_r)(void *ctx, uint32_t reg, uint32_t width);
	void (*nabm_w)(void *ctx, uint32_t reg, uint32_t width, uint32_t v);
	void (*delay_us)(void *ctx, uint32_t us);
};

struct ac97 {
	const struct ac97_io *io;
	void *ctx;
	struct ac97_bd *bdl; /* AC97_BDL_N entries in DMA memory */
	uint64_t bdl_phys;
	bool vra; /* the codec does variable rates */
	struct audio_fmt fmt;
	struct audio_hw_ring ring;
	uint32_t period_bytes;
	bool open;
	uint64_t fifo_errors;
	uint64_t halts; /* the engine reached the last valid entry */
};

extern const struct audio_hw_ops ac97_ops;

/* Cold reset of the link, codec reset, outputs unmuted at 0 dB, the PCM
 * out box reset and pointed at the descriptor list (bdl: 8-byte aligned
 * DMA memory below 4 GiB). 0, ERR_TIMED_OUT (no codec),
 * ERR_OUT_OF_RANGE (descriptor list above 4 GiB). */
int ac97_init(struct ac97 *a, const struct ac97_io *io, void *ctx,
	      struct ac97_bd *bdl, uint64_t bdl_phys);
