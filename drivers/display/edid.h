/* EDID 1.3/1.4 parser (VESA E-EDID): the monitor's identity, size and
 * modes (detailed timings, established and standard timings, the detailed
 * timings of CTA-861 extension blocks). Pure code, host-tested
 * (tests/host/test_display_edid.c); the input is the device's, so every
 * length and checksum is checked and nothing is trusted. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include <execrt/display_proto.h>

#define EDID_BLOCK 128u

struct edid_info {
	char vendor[4]; /* three letters, "QEM" */
	uint16_t product;
	uint32_t serial;
	uint8_t version, revision;
	char name[14]; /* monitor name descriptor, "" when none */
	uint32_t width_mm, height_mm;
	uint32_t nmodes; /* preferred first, then larger areas, then faster */
	struct disp_mode modes[DISP_MODES_MAX];
	uint32_t ext_bad; /* extension blocks skipped (checksum, tag) */
};

#define EDID_ERR_SHORT	  (-1) /* fewer than 128 bytes */
#define EDID_ERR_HEADER	  (-2) /* not 00 ff ff ff ff ff ff 00 */
#define EDID_ERR_CHECKSUM (-3) /* the base block's bytes do not sum to 0 */

/* Parses len bytes (the base block and any extension blocks present).
 * 0, or EDID_ERR_*; modes beyond DISP_MODES_MAX and modes wider or taller
 * than DISP_DIM_MAX are left out. */
int edid_parse(const uint8_t *buf, size_t len, struct edid_info *out);
