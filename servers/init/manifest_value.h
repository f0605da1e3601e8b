/* Value parsers the manifest parser uses (manifest_value.c); the public
 * ones (man_parse_u64/size/time, man_pattern_match) are in manifest.h.
 * Each returns 0 / true on a valid value. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "manifest.h"

/* A number and the unit after it ("5ms": 5, "ms"). */
int man_split_unit(const char *s, uint64_t *v, const char **unit);
/* "A-B" (inclusive) or "A+SIZE" (SIZE > 0), no wrap past 2^64. */
int man_parse_range(const char *s, struct man_range *r);
/* N/W: N failures within the time W. */
int man_parse_limit(const char *s, uint32_t *n, uint64_t *w);
/* Up to max times separated by '/'; how many were given, or -1. */
int man_parse_times(const char *s, uint64_t *t, int max);
/* A service name; a /svc/ name pattern (exact, prefix*, or *). */
bool man_valid_name(const char *s);
bool man_valid_pattern(const char *s);
/* "all" (every function), "B:D.F" or "B:D.F-B:D.F" (inclusive): a
 * range of PCI functions bdf = bus << 8 | dev << 3 | fn, bus and device
 * in hex (00-ff, 00-1f), function 0-7, as lspci prints them. */
int man_parse_pci(const char *s, struct man_range *r);
