/* The console's transmit queue (txq.h). */
#include "txq.h"

#include <string.h>

void txq_init(struct txq *q)
{
	memset(q, 0, sizeof(*q));
}

static void push(struct txq *q, char c)
{
	q->buf[(q->head + q->count) % TXQ_SIZE] = c;
	q->count++;
}

bool txq_put(struct txq *q, const char *s, size_t n, size_t reserve)
{
	size_t need = n;
	for (size_t i = 0; i < n; i++)
		need += s[i] == '\n';
	size_t room = TXQ_SIZE - q->count;
	if (need > room || room - need < reserve) {
		q->dropped_msgs++;
		q->dropped_bytes += n;
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			push(q, '\r');
		push(q, s[i]);
	}
	return true;
}

size_t txq_peek(const struct txq *q, const char **p)
{
	size_t run = TXQ_SIZE - q->head;
	*p = q->buf + q->head;
	return q->count < run ? q->count : run;
}

void txq_consume(struct txq *q, size_t n)
{
	if (n > q->count)
		n = q->count;
	q->head = (q->head + n) % TXQ_SIZE;
	q->count -= n;
	if (!q->count)
		q->head = 0;
}
