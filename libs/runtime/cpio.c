/* cpio "newc" reader: a 110-byte ASCII header ("070701" and 13 fields of 8
 * hex digits), the name (namesize bytes with its NUL) padded to 4 bytes
 * from the header start, then the data padded to 4 bytes. The archive ends
 * with an entry named "TRAILER!!!". */
#include <string.h>

#include <execrt/cpio.h>

#define HDR_LEN 110
enum {
	F_INO,
	F_MODE,
	F_UID,
	F_GID,
	F_NLINK,
	F_MTIME,
	F_FILESIZE,
	F_DEVMAJOR,
	F_DEVMINOR,
	F_RDEVMAJOR,
	F_RDEVMINOR,
	F_NAMESIZE,
	F_CHECK
};

static int hex8(const char *s, uint32_t *out)
{
	uint32_t v = 0;
	for (int i = 0; i < 8; i++) {
		char c = s[i];
		unsigned d;
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return CPIO_E_HEX;
		v = v << 4 | d;
	}
	*out = v;
	return CPIO_OK;
}

static size_t pad4(size_t x)
{
	return (x + 3) & ~(size_t)3;
}

int cpio_next(const void *buf, size_t len, size_t *pos, struct cpio_file *f)
{
	const char *b = buf;
	size_t p = *pos;
	if (!buf || p > len || len - p < HDR_LEN)
		return CPIO_E_TRUNCATED;
	const char *h = b + p;
	if (memcmp(h, "070701", 6) && memcmp(h, "070702", 6))
		return CPIO_E_MAGIC;
	uint32_t field[13];
	for (int i = 0; i < 13; i++)
		if (hex8(h + 6 + 8 * i, &field[i]))
			return CPIO_E_HEX;
	uint32_t nsize = field[F_NAMESIZE], fsize = field[F_FILESIZE];
	if (nsize == 0)
		return CPIO_E_NAME;
	/* All in size_t from an offset already <= len: no overflow, as
	 * nsize and fsize are below 2^32 and len fits in memory. */
	size_t rest = len - p - HDR_LEN;
	if (nsize > rest)
		return CPIO_E_TRUNCATED;
	const char *name = h + HDR_LEN;
	if (name[nsize - 1] != 0 || memchr(name, 0, nsize) != name + nsize - 1)
		return CPIO_E_NAME;
	size_t data_off = pad4(HDR_LEN + (size_t)nsize);
	if (data_off > len - p)
		return CPIO_E_TRUNCATED;
	if (!strcmp(name, "TRAILER!!!"))
		return CPIO_END;
	if (fsize > len - p - data_off)
		return CPIO_E_TRUNCATED;
	f->name = name;
	f->name_len = nsize - 1;
	f->data = h + data_off;
	f->size = fsize;
	f->mode = field[F_MODE];
	size_t next = data_off + pad4(fsize);
	/* The last entry's padding may be missing: clamp to the end. */
	*pos = next > len - p ? len : p + next;
	return CPIO_OK;
}

int cpio_find(const void *buf, size_t len, const char *name,
	      struct cpio_file *f)
{
	size_t pos = 0;
	for (;;) {
		struct cpio_file e;
		int r = cpio_next(buf, len, &pos, &e);
		if (r == CPIO_END)
			return CPIO_E_NOT_FOUND;
		if (r != CPIO_OK)
			return r;
		const char *n = e.name;
		if (n[0] == '.' && n[1] == '/')
			n += 2;
		if (!strcmp(n, name)) {
			*f = e;
			return CPIO_OK;
		}
	}
}

const char *cpio_strerror(int err)
{
	switch (err) {
	case CPIO_OK:
		return "ok";
	case CPIO_END:
		return "end of archive";
	case CPIO_E_TRUNCATED:
		return "truncated archive";
	case CPIO_E_MAGIC:
		return "bad cpio magic (not newc)";
	case CPIO_E_HEX:
		return "bad hex field in cpio header";
	case CPIO_E_NAME:
		return "bad file name in cpio header";
	case CPIO_E_NOT_FOUND:
		return "file not found";
	default:
		return "unknown cpio error";
	}
}
