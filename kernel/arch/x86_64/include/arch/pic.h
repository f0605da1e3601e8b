/* Legacy 8259 pair: remapped to VEC_PIC_BASE and masked for good. */
#pragma once
#include <kern/types.h>

void pic_disable(void);
uint16_t pic_get_mask(void); /* IMR of both PICs (slave in bits 8-15) */
