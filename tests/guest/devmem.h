/* Shared by the device-memory guest tests (t_devmem*.c): a PCI memory BAR
 * to map (found through SYS_PCI_CFG_READ), the bootinfo
 * text and the ACPI tables object. */
#pragma once
#include <stdint.h>

#include <execrt/runtime.h>

/* The first display-class function on bus 0 (QEMU's std VGA or
 * virtio-gpu) with a 32/64-bit memory BAR 0: its base (size unknown, at
 * least 16 KiB on both). 0 when none. */
uint64_t dm_display_bar(void);
/* The bootinfo text (NUL-terminated, static), or NULL. */
const char *dm_bootinfo(void);
/* The first "key ..." line's value, NULL when absent. */
const char *dm_line(const char *text, const char *key);
/* The ACPI tables object read into a static buffer; *len its size. */
const uint8_t *dm_acpi(uint64_t *len);
/* The table with signature sig in that copy, NULL if absent. */
const uint8_t *dm_acpi_table(const uint8_t *t, uint64_t len, const char *sig);
/* A little-endian field of n bytes at p. */
uint64_t dm_le(const uint8_t *p, int n);
