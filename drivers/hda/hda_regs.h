/* Intel High Definition Audio: controller registers (HDA spec 1.0a,
 * section 3.3) and codec verbs, parameters and their fields (section 7).
 * Offsets are from BAR 0; stream descriptors follow at 0x80, 0x20 each,
 * input streams first, then output, then bidirectional. */
#pragma once

/* Global registers. */
#define HDA_GCAP      0x00 /* 16: streams, 64-bit */
#define HDA_VMIN      0x02
#define HDA_VMAJ      0x03
#define HDA_GCTL      0x08 /* 32 */
#define HDA_WAKEEN    0x0c /* 16 */
#define HDA_STATESTS  0x0e /* 16: codec present/wake per SDIN line */
#define HDA_INTCTL    0x20 /* 32 */
#define HDA_INTSTS    0x24 /* 32 */
#define HDA_WALCLK    0x30 /* 32: 24 MHz wall clock */
#define HDA_CORBLBASE 0x40
#define HDA_CORBUBASE 0x44
#define HDA_CORBWP    0x48 /* 16 */
#define HDA_CORBRP    0x4a /* 16 */
#define HDA_CORBCTL   0x4c /* 8 */
#define HDA_CORBSTS   0x4d /* 8 */
#define HDA_CORBSIZE  0x4e /* 8 */
#define HDA_RIRBLBASE 0x50
#define HDA_RIRBUBASE 0x54
#define HDA_RIRBWP    0x58 /* 16 */
#define HDA_RINTCNT   0x5a /* 16 */
#define HDA_RIRBCTL   0x5c /* 8 */
#define HDA_RIRBSTS   0x5d /* 8 */
#define HDA_RIRBSIZE  0x5e /* 8 */
#define HDA_DPLBASE   0x70 /* position buffer, bit 0 = enable */
#define HDA_DPUBASE   0x74

#define HDA_GCAP_64OK	    (1u << 0)
#define HDA_GCAP_BSS(g)	    (((g) >> 3) & 0x1f)
#define HDA_GCAP_ISS(g)	    (((g) >> 8) & 0xf)
#define HDA_GCAP_OSS(g)	    (((g) >> 12) & 0xf)
#define HDA_GCTL_CRST	    (1u << 0)
#define HDA_INTCTL_GIE	    (1u << 31)
#define HDA_INTCTL_CIE	    (1u << 30)
#define HDA_INTSTS_GIS	    (1u << 31)
#define HDA_CORBRP_RST	    (1u << 15)
#define HDA_CORBCTL_RUN	    (1u << 1)
#define HDA_RIRBWP_RST	    (1u << 15)
#define HDA_RIRBCTL_INT	    (1u << 0) /* response interrupt control */
#define HDA_RIRBCTL_DMA	    (1u << 1)
#define HDA_RIRBSTS_INT	    (1u << 0)
#define HDA_RIRBSTS_OVR	    (1u << 2)
#define HDA_RINGSIZE_CAP(v) (((v) >> 4) & 0xf) /* bit 0: 2, 1: 16, 2: 256 */

/* Stream descriptor n. */
#define HDA_SD(n)	  (0x80u + 0x20u * (n))
#define HDA_SD_CTL	  0x00 /* 24 bits (32-bit access; STS is the top byte) */
#define HDA_SD_STS	  0x03 /* 8 */
#define HDA_SD_LPIB	  0x04 /* 32: link position in buffer */
#define HDA_SD_CBL	  0x08 /* 32: cyclic buffer length */
#define HDA_SD_LVI	  0x0c /* 16: last valid index */
#define HDA_SD_FIFOS	  0x10 /* 16 */
#define HDA_SD_FMT	  0x12 /* 16 */
#define HDA_SD_BDPL	  0x18
#define HDA_SD_BDPU	  0x1c
#define HDA_SD_CTL_SRST	  (1u << 0)
#define HDA_SD_CTL_RUN	  (1u << 1)
#define HDA_SD_CTL_IOCE	  (1u << 2)
#define HDA_SD_CTL_FEIE	  (1u << 3)
#define HDA_SD_CTL_DEIE	  (1u << 4)
#define HDA_SD_CTL_TAG(t) ((uint32_t)(t) << 20)
#define HDA_SD_STS_BCIS	  (1u << 2) /* buffer completion (IOC) */
#define HDA_SD_STS_FIFOE  (1u << 3)
#define HDA_SD_STS_DESE	  (1u << 4)
#define HDA_SD_STS_ALL	  (HDA_SD_STS_BCIS | HDA_SD_STS_FIFOE | HDA_SD_STS_DESE)

/* Buffer descriptor list entry: 16 bytes, list 128-byte aligned. */
#define HDA_BDL_ENTRY 16u
#define HDA_BDL_IOC   1u
#define HDA_BDL_ALIGN 128u
#define HDA_BUF_ALIGN 128u

/* Verbs with an 8-bit payload (12-bit id). */
#define HDA_V_GET_PARAM	     0xf00
#define HDA_V_GET_CONN_SEL   0xf01
#define HDA_V_SET_CONN_SEL   0x701
#define HDA_V_GET_CONN_LIST  0xf02
#define HDA_V_GET_POWER	     0xf05
#define HDA_V_SET_POWER	     0x705
#define HDA_V_GET_CONV	     0xf06
#define HDA_V_SET_CONV	     0x706 /* stream << 4 | channel */
#define HDA_V_GET_PIN_CTL    0xf07
#define HDA_V_SET_PIN_CTL    0x707
#define HDA_V_GET_EAPD	     0xf0c
#define HDA_V_SET_EAPD	     0x70c
#define HDA_V_GET_CONFIG_DEF 0xf1c
#define HDA_V_RESET	     0x7ff
/* Verbs with a 16-bit payload (4-bit id). */
#define HDA_V4_SET_FMT 0x2
#define HDA_V4_SET_AMP 0x3
#define HDA_V4_GET_FMT 0xa
#define HDA_V4_GET_AMP 0xb

/* Parameters (HDA_V_GET_PARAM payload). */
#define HDA_P_VENDOR   0x00
#define HDA_P_REV      0x02
#define HDA_P_NODES    0x04 /* start << 16 | count */
#define HDA_P_FG_TYPE  0x05
#define HDA_P_AFG_CAP  0x08
#define HDA_P_WCAP     0x09
#define HDA_P_PCM      0x0a
#define HDA_P_STREAM   0x0b
#define HDA_P_PIN_CAP  0x0c
#define HDA_P_AMP_IN   0x0d
#define HDA_P_CONN_LEN 0x0e
#define HDA_P_POWER    0x0f
#define HDA_P_AMP_OUT  0x12

#define HDA_FG_AUDIO 0x01

/* Audio widget capabilities (HDA_P_WCAP). */
#define HDA_WCAP_TYPE(c)  (((c) >> 20) & 0xf)
#define HDA_WCAP_STEREO	  (1u << 0)
#define HDA_WCAP_IN_AMP	  (1u << 1)
#define HDA_WCAP_OUT_AMP  (1u << 2)
#define HDA_WCAP_AMP_OVRD (1u << 3)
#define HDA_WCAP_FMT_OVRD (1u << 4)
#define HDA_WCAP_CONN	  (1u << 8)
#define HDA_WCAP_DIGITAL  (1u << 9)
#define HDA_WCAP_POWER	  (1u << 10)
enum {
	HDA_W_OUT = 0, /* DAC */
	HDA_W_IN = 1,  /* ADC */
	HDA_W_MIXER = 2,
	HDA_W_SELECTOR = 3,
	HDA_W_PIN = 4,
	HDA_W_POWER = 5,
	HDA_W_KNOB = 6,
	HDA_W_BEEP = 7,
	HDA_W_VENDOR = 15,
};

/* Pin capabilities and control. */
#define HDA_PINCAP_HP	(1u << 3)
#define HDA_PINCAP_OUT	(1u << 4)
#define HDA_PINCAP_IN	(1u << 5)
#define HDA_PINCAP_EAPD (1u << 16)
#define HDA_PINCTL_OUT	(1u << 6)
#define HDA_PINCTL_HP	(1u << 7)
#define HDA_EAPD_ENABLE (1u << 1)

/* Configuration default (HDA_V_GET_CONFIG_DEF). */
#define HDA_CFG_PORT(c)	  ((c) >> 30) /* 0 jack, 1 none, 2 fixed, 3 both */
#define HDA_CFG_DEVICE(c) (((c) >> 20) & 0xf)
#define HDA_CFG_ASSOC(c)  (((c) >> 4) & 0xf)
#define HDA_CFG_SEQ(c)	  ((c)&0xf)
#define HDA_PORT_NONE	  1u
#define HDA_DEV_LINE_OUT  0x0
#define HDA_DEV_SPEAKER	  0x1
#define HDA_DEV_HP_OUT	  0x2

/* Amplifier capabilities and the set-amp payload. */
#define HDA_AMPCAP_OFFSET(a) ((a)&0x7f)
#define HDA_AMPCAP_STEPS(a)  (((a) >> 8) & 0x7f)
#define HDA_AMPCAP_MUTE	     (1u << 31)
#define HDA_AMP_SET_OUT	     (1u << 15)
#define HDA_AMP_SET_IN	     (1u << 14)
#define HDA_AMP_SET_LEFT     (1u << 13)
#define HDA_AMP_SET_RIGHT    (1u << 12)
#define HDA_AMP_SET_INDEX(i) ((uint32_t)(i) << 8)
#define HDA_AMP_MUTE	     (1u << 7)

/* Supported PCM (HDA_P_PCM): rate bits 0-11, sizes 16-20. */
#define HDA_PCM_16BIT  (1u << 17)
#define HDA_STREAM_PCM (1u << 0)

/* Response extension (the RIRB entry's second word). */
#define HDA_RESPEX_CAD(x) ((x)&0xf)
#define HDA_RESPEX_UNSOL  (1u << 4)
