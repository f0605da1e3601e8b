/* The console's transmit queue (docs/console.md): a byte ring between the
 * clients' output and the UART. '\n' becomes CR LF on the way in. A piece
 * that does not fit is dropped whole and counted, so a flood costs its
 * own bytes and never blocks the console. Pure code, host-tested
 * (tests/host/test_console_txq.c). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TXQ_SIZE    32768
#define TXQ_RESERVE 4096 /* kept free of client output for the echo */

struct txq {
	char buf[TXQ_SIZE];
	size_t head, count; /* oldest byte, bytes queued */
	uint64_t dropped_msgs, dropped_bytes;
};

void txq_init(struct txq *q);
/* Queues s (n bytes, '\n' -> "\r\n") if it fits in the free space less
 * `reserve`; otherwise drops it whole and counts it. */
bool txq_put(struct txq *q, const char *s, size_t n, size_t reserve);
/* The oldest queued bytes that lie contiguous in the ring. */
size_t txq_peek(const struct txq *q, const char **p);
void txq_consume(struct txq *q, size_t n);
static inline size_t txq_used(const struct txq *q)
{
	return q->count;
}
