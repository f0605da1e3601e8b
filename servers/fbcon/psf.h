/* PC Screen Font (PSF1 and PSF2) parser for the screen console
 * (docs/console.md "Font"): the font comes from Debian's
 * console-setup-linux package, decompressed into the initrd at build time
 * as /boot/share/font.psf. The file is not trusted: every header field
 * and the unicode table are checked against the file's size, and a file
 * that does not hold what its header claims is refused. Pure code, no
 * system calls, host-tested (tests/host/test_fbcon_psf.c). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PSF_W_MAX      32
#define PSF_H_MAX      64
#define PSF_GLYPHS_MAX 4096
#define PSF_UNI_MAX    0x2600 /* code points mapped through the table */

#define PSF_OK	       0
#define PSF_ERR_MAGIC  (-1) /* neither PSF1 nor PSF2 */
#define PSF_ERR_HEADER (-2) /* a field out of range or inconsistent */
#define PSF_ERR_TRUNC  (-3) /* the file ends before the glyphs/table */

struct psf_font {
	const uint8_t *glyphs; /* points into the file */
	uint32_t nglyphs, width, height;
	uint32_t charsize, rowbytes;
	int version;  /* 1 or 2 */
	bool has_uni; /* uni[] came from the file's table */
	/* code point -> glyph index + 1 (0: none) */
	uint16_t uni[PSF_UNI_MAX];
};

/* Parses size bytes at data (which must outlive f): PSF_OK or PSF_ERR_*. */
int psf_parse(struct psf_font *f, const void *data, size_t size);
/* The bitmap of code point cp (rowbytes per row, height rows, MSB
 * leftmost), falling back to '?' and then to glyph 0. */
const uint8_t *psf_glyph(const struct psf_font *f, uint32_t cp);
