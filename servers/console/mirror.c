/* The screen terminal's mirror buffer (mirror.h). */
#include "mirror.h"

#include <string.h>

void mirror_put(struct con_mirror *m, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (m->len + (s[i] == '\n' ? 2 : 1) > MIRROR_BUF) {
			m->dropped += n - i;
			return;
		}
		if (s[i] == '\n')
			m->buf[m->len++] = '\r';
		m->buf[m->len++] = s[i];
	}
}

long mirror_flush(struct con_mirror *m, size_t max, mirror_send_fn send,
		  void *ctx)
{
	size_t off = 0;
	long r = 0;
	while (off < m->len && max) {
		size_t n = m->len - off < max ? m->len - off : max;
		r = send(ctx, m->buf + off, n);
		if (r == MIRROR_WAIT) {
			r = 0;
			break;
		}
		if (r < 0) {
			off = m->len;
			break;
		}
		m->sent += n;
		off += n;
	}
	memmove(m->buf, m->buf + off, m->len - off);
	m->len -= off;
	return r;
}
