/* Kernel log: levels, microsecond timestamps since boot, and a ring buffer
 * that keeps recent records for later reading. */
#pragma once
#include <kern/types.h>

enum log_level { LOG_ERR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };

void klog(enum log_level lvl, const char *fmt, ...) __printf(2, 3);
#define pr_err(...)   klog(LOG_ERR, __VA_ARGS__)
#define pr_warn(...)  klog(LOG_WARN, __VA_ARGS__)
#define pr_info(...)  klog(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) klog(LOG_DEBUG, __VA_ARGS__)

/* Raw console output, no record (fault reports, test verdicts). */
void kprintf(const char *fmt, ...) __printf(1, 2);

/* Records below this level reach the ring buffer but not the console. */
void log_set_console_level(enum log_level lvl);

/* Copies log text starting at byte sequence number *pos into buf; returns
 * bytes copied and advances *pos. If *pos fell out of the ring, it jumps to
 * the oldest kept byte (lost bytes are counted in log_dropped()). */
size_t log_read(uint64_t *pos, char *buf, size_t len);
uint64_t log_head(void);    /* sequence number of the next byte written */
uint64_t log_dropped(void);

__noreturn void panic(const char *fmt, ...) __printf(1, 2);
#define BUG_ON(c) \
	do { if (unlikely(c)) panic("BUG_ON(%s) at %s:%d", #c, __FILE__, __LINE__); } while (0)
