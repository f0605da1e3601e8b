/* Interrupt vector plan. 0-31 are exceptions; the legacy PICs are remapped
 * to 0x20-0x2f and masked. Higher vectors have higher LAPIC priority. */
#pragma once

#define VEC_PIC_BASE        0x20
#define VEC_IRQ_BASE        0x30 /* first vector for IOAPIC/MSI lines */
#define VEC_IRQ_LAST        0xdf
#define VEC_LAPIC_TIMER     0xe0
#define VEC_IPI_RESCHED     0xf0
#define VEC_IPI_TLB         0xf1 /* TLB shootdown */
#define VEC_IPI_TEST        0xf3
#define VEC_LAPIC_ERROR     0xfe
#define VEC_SPURIOUS        0xff

#define IST_DOUBLE_FAULT 1
#define IST_NMI          2
#define IST_MCE          3
