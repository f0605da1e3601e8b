/* Freestanding C library bits for the kernel. */
#pragma once
#include <stdarg.h>
#include <kern/types.h>

void *memset(void *d, int c, size_t n);
void *memcpy(void *restrict d, const void *restrict s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
char *strstr(const char *hay, const char *needle);
void *memchr(const void *s, int c, size_t n);
size_t strlcpy(char *d, const char *s, size_t n);
/* Ascending, in place. */
void sort_u64(uint64_t *v, size_t n);

/* printf family: %d %i %u %x %X %o %p %s %c %%, flags "-0+ #", width,
 * precision, length modifiers hh h l ll z t j. */
int kvsnprintf(char *buf, size_t n, const char *fmt, va_list ap);
int ksnprintf(char *buf, size_t n, const char *fmt, ...) __printf(3, 4);
/* Unsigned decimal parse; returns false on junk or overflow. */
bool kstrtou64(const char *s, int base, uint64_t *out);
