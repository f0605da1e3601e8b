/* 8254 PIT helpers. Port 0x61 bit 0 gates channel 2, bit 1 drives the
 * speaker (kept off), bit 5 reads channel 2's output. */
#include <arch/cpu.h>
#include <arch/pit.h>
#include <kern/arch.h>

#define PIT_CH0	    0x40
#define PIT_CH2	    0x42
#define PIT_CMD	    0x43
#define PORT_B	    0x61
#define PORTB_GATE2 0x01
#define PORTB_SPKR  0x02
#define PORTB_OUT2  0x20

/* Mode 0 (interrupt on terminal count), lobyte/hibyte access. */
#define CMD_CH0_MODE0 0x30
#define CMD_CH2_MODE0 0xb0
#define CMD_CH2_LATCH 0x80 /* counter latch, channel 2 */

void pit_ch2_start(void)
{
	uint8_t b = inb(PORT_B) & ~PORTB_SPKR;
	outb(PORT_B, b | PORTB_GATE2);
	outb(PIT_CMD, CMD_CH2_MODE0);
	outb(PIT_CH2, 0xff);
	outb(PIT_CH2, 0xff);
}

uint16_t pit_ch2_read(void)
{
	outb(PIT_CMD, CMD_CH2_LATCH);
	uint8_t lo = inb(PIT_CH2);
	uint8_t hi = inb(PIT_CH2);
	return (uint16_t)(lo | (hi << 8));
}

bool pit_ch2_expired(void)
{
	return inb(PORT_B) & PORTB_OUT2;
}

void pit_ch0_oneshot(uint16_t count)
{
	outb(PIT_CMD, CMD_CH0_MODE0);
	outb(PIT_CH0, count & 0xff);
	outb(PIT_CH0, count >> 8);
}
