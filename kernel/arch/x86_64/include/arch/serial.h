#pragma once
#include <kern/types.h>

void serial_init(void);
void serial_write(const char *s, size_t n);
int serial_getc(void); /* -1 when nothing is waiting */
