/* Log rings and console lines (logring.h). */
#include <stdio.h>
#include <string.h>

#include "logring.h"

void log_init(struct log_ring *r, char *buf, uint32_t size)
{
	memset(r, 0, sizeof(*r));
	r->buf = buf;
	r->size = size;
	r->tokens = LOG_BURST;
}

void log_write(struct log_ring *r, const void *data, size_t len)
{
	const char *p = data;
	if (!r->size)
		return;
	if (len > r->size) { /* only the tail can stay */
		r->dropped += len - r->size;
		r->head += len - r->size;
		p += len - r->size;
		len = r->size;
	}
	uint64_t held = r->head < r->size ? r->head : r->size;
	if (held + len > r->size)
		r->dropped += held + len - r->size;
	uint32_t at = (uint32_t)(r->head % r->size);
	size_t first = r->size - at < len ? r->size - at : len;
	memcpy(r->buf + at, p, first);
	memcpy(r->buf, p + first, len - first);
	r->head += len;
}

size_t log_tail(const struct log_ring *r, char *out, size_t max)
{
	uint64_t held = r->head < r->size ? r->head : r->size;
	size_t n = held < max ? (size_t)held : max;
	for (size_t i = 0; i < n; i++)
		out[i] = r->buf[(r->head - n + i) % r->size];
	return n;
}

size_t log_prefix(char *out, size_t cap, uint64_t now_ns, const char *name)
{
	int n = snprintf(out, cap, "[%4llu.%06llu] [%s] ",
			 (unsigned long long)(now_ns / 1000000000),
			 (unsigned long long)(now_ns / 1000 % 1000000), name);
	return n < 0 ? 0 : (size_t)n >= cap ? cap - 1 : (size_t)n;
}

/* Token bucket: LOG_RATE lines per second, at most LOG_BURST saved. */
static int allow(struct log_ring *r, uint64_t now)
{
	if (now > r->tokens_ns) {
		uint64_t add = (now - r->tokens_ns) * LOG_RATE / 1000000000;
		if (add) {
			r->tokens =
				add >= LOG_BURST || r->tokens + add > LOG_BURST
					? LOG_BURST
					: r->tokens + (uint32_t)add;
			r->tokens_ns += add * 1000000000 / LOG_RATE;
		}
	}
	if (!r->tokens)
		return 0;
	r->tokens--;
	return 1;
}

static void emit_line(struct log_ring *r, uint64_t now, const char *name,
		      log_emit_fn emit, void *ctx)
{
	char out[LOG_OUT_MAX];
	r->lines++;
	if (!allow(r, now)) {
		r->suppressed++;
		r->quiet++;
		r->linelen = 0;
		return;
	}
	size_t n;
	if (r->quiet) { /* say what the console missed */
		n = log_prefix(out, sizeof(out), now, name);
		n += (size_t)snprintf(out + n, sizeof(out) - n,
				      "(%llu lines not shown: rate limit; "
				      "the log has them)\n",
				      (unsigned long long)r->quiet);
		emit(ctx, out, n);
		r->quiet = 0;
	}
	n = log_prefix(out, sizeof(out), now, name);
	for (uint32_t i = 0; i < r->linelen; i++) {
		char c = r->line[i];
		out[n++] = (c < ' ' && c != '\t') || c == 0x7f ? '?' : c;
	}
	out[n++] = '\n';
	emit(ctx, out, n);
	r->linelen = 0;
}

void log_lines(struct log_ring *r, const char *data, size_t len,
	       uint64_t now_ns, const char *name, log_emit_fn emit, void *ctx)
{
	for (size_t i = 0; i < len; i++) {
		if (data[i] == '\n') {
			emit_line(r, now_ns, name, emit, ctx);
			continue;
		}
		if (data[i] == '\r')
			continue;
		r->line[r->linelen++] = data[i];
		if (r->linelen == LOG_LINE_MAX)
			emit_line(r, now_ns, name, emit, ctx);
	}
}
