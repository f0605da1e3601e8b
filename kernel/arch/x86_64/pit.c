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

void pit_ch2_wait(uint16_t count, uint64_t *tsc_start, uint64_t *tsc_end)
{
	uint8_t b = inb(PORT_B) & ~(PORTB_SPKR | PORTB_GATE2);
	outb(PORT_B, b); /* gate low: counting held */
	outb(PIT_CMD, CMD_CH2_MODE0);
	outb(PIT_CH2, count & 0xff);
	outb(PIT_CH2, count >> 8);
	/* Raising the gate starts the count; OUT2 goes high at zero. */
	outb(PORT_B, b | PORTB_GATE2);
	uint64_t t0 = rdtsc();
	while (!(inb(PORT_B) & PORTB_OUT2))
		arch_cpu_relax();
	uint64_t t1 = rdtsc();
	outb(PORT_B, b);
	if (tsc_start)
		*tsc_start = t0;
	if (tsc_end)
		*tsc_end = t1;
}

void pit_ch0_oneshot(uint16_t count)
{
	outb(PIT_CMD, CMD_CH0_MODE0);
	outb(PIT_CH0, count & 0xff);
	outb(PIT_CH0, count >> 8);
}
