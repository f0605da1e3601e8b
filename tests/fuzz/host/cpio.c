/* cpio "newc" reader (libs/runtime/cpio.c) on arbitrary bytes. The input
 * is the archive itself, in a buffer of exactly its size (ASan catches any
 * read past it). Checked: every entry the walk returns lies inside the
 * buffer with a NUL-terminated name of the length given, the walk always
 * moves forward, and cpio_find() agrees with the walk. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <execrt/cpio.h>

#define MAX_WALK 64 /* entries compared with cpio_find() */

volatile uint8_t sink; /* keeps the data reads */

static void check(int ok)
{
	if (!ok)
		abort();
}

static const char *strip(const char *n)
{
	return n[0] == '.' && n[1] == '/' ? n + 2 : n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *b = (const char *)data, *end = b + size;
	struct cpio_file seen[MAX_WALK];
	unsigned nseen = 0;
	size_t pos = 0;
	int r;
	for (;;) {
		struct cpio_file f;
		size_t before = pos;
		r = cpio_next(data, size, &pos, &f);
		check(cpio_strerror(r) != NULL);
		if (r != CPIO_OK) {
			check(pos == before); /* errors leave *pos alone */
			break;
		}
		check(pos > before && pos <= size);
		check(f.name >= b + before && f.name + f.name_len < end);
		check(f.name[f.name_len] == 0 && strlen(f.name) == f.name_len);
		const char *d = f.data;
		check(d >= f.name + f.name_len + 1 && d <= end);
		check(f.size <= (size_t)(end - d));
		check(d + f.size <= b + pos);
		for (size_t i = 0; i < f.size; i++) /* touch every data byte */
			sink ^= (uint8_t)d[i];
		if (nseen < MAX_WALK)
			seen[nseen++] = f;
	}
	/* cpio_find() gives the first entry of that (stripped) name, or the
	 * error that stopped the walk if it comes first. */
	for (unsigned i = 0; i < nseen; i++) {
		const char *want = strip(seen[i].name);
		unsigned first = i;
		for (unsigned j = 0; j < i; j++)
			if (!strcmp(strip(seen[j].name), want)) {
				first = j;
				break;
			}
		struct cpio_file f;
		check(cpio_find(data, size, want, &f) == CPIO_OK);
		check(f.name == seen[first].name &&
		      f.data == seen[first].data && f.size == seen[first].size);
	}
	if (nseen < MAX_WALK) {
		struct cpio_file f;
		int fr = cpio_find(data, size, "\x01no such file", &f);
		check(fr == (r == CPIO_END ? CPIO_E_NOT_FOUND : r));
	}
	return 0;
}
