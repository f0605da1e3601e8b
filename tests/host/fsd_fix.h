/* The fixture of the fsd tree tests (fsd_fix.c). */
#pragma once
#include <stdint.h>

#include "fsd_fs.h"

extern struct fsd_fs fx_fs;
extern long fx_live_allocs;		     /* allocations not freed */
extern unsigned fx_fail_every, fx_alloc_seq; /* every Nth fails (0: none) */
extern int fx_injected;			     /* failures made */
extern struct fsd_path fx_p, fx_p2;

/* A fresh tree with /tmp of tmp_limit bytes; counters reset. */
int fx_setup(uint64_t tmp_limit);
/* s parsed into fx_p (fx_p2); aborts on a bad path. */
struct fsd_path *fx_path(const char *s);
struct fsd_path *fx_path2(const char *s);
int fx_open(const char *s, uint32_t fl, struct fsd_node **n);
/* Opens (creating), writes, releases. */
int64_t fx_put(const char *s, uint64_t off, const void *d, uint64_t len);
int fx_rename(const char *a, const char *b);
/* The names readdir gives for dir in chunk-byte calls, joined with ' '
 * (without . and ..); "?" no such directory, "!" a readdir error. */
const char *fx_listing(const char *dir, uint32_t chunk);
