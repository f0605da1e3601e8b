/* Weak fallbacks for panic/klog/kprintf in host builds that do not link
 * kernel/lib/log.c; the real ones win when present. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <kern/log.h>

__attribute__((weak)) void panic(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

__attribute__((weak)) void klog(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;
	(void)lvl;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

__attribute__((weak)) void kprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}
