/* 8254 PIT: channel 2 as a busy-wait reference for calibration when there
 * is no HPET, channel 0 as a real ISA interrupt source for tests. */
#pragma once
#include <kern/types.h>

#define PIT_HZ 1193182u

/* Busy-waits `count` PIT ticks (1..65535) on channel 2 with the speaker
 * off; tsc_start/tsc_end (optional) get rdtsc() at the start and end. */
void pit_ch2_wait(uint16_t count, uint64_t *tsc_start, uint64_t *tsc_end);
/* Channel 0, mode 0: ISA IRQ0 rises once after `count` ticks. */
void pit_ch0_oneshot(uint16_t count);
