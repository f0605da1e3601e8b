/* Pure parsers shared with user space (libs/runtime: cpio, ELF) include
 * <string.h>; in the kernel these are the kernel's own functions
 * (kernel/lib/string.c). Declared here without kernel headers so the shared
 * code sees no kernel macros. */
#pragma once
#include <stddef.h>

void *memset(void *d, int c, size_t n);
void *memcpy(void *restrict d, const void *restrict s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
void *memchr(const void *s, int c, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
