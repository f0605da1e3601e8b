/* 8254 PIT: channel 2 as a busy-wait reference for calibration when there
 * is no HPET, channel 0 as a real ISA interrupt source for tests. */
#pragma once
#include <kern/types.h>

#define PIT_HZ 1193182u

/* Channel 2 counts down from 0xffff (mode 0, speaker off); read it with
 * the latch command. Elapsed ticks are (start - now) mod 2^16, so an
 * interval must stay under 54.9 ms. */
void pit_ch2_start(void);
uint16_t pit_ch2_read(void);
/* Channel 2's output: high once the count has passed zero (more than
 * 0xffff ticks since pit_ch2_start(), so the elapsed count wrapped). */
bool pit_ch2_expired(void);
/* Channel 0, mode 0: ISA IRQ0 rises once after `count` ticks. */
void pit_ch0_oneshot(uint16_t count);
