/* fsd's protocol handler, part two (fsd_srv.h): the operations on an open
 * file (its endpoint's badge names it): read and write inline or through
 * a bulk window, seek, fstat, readdir, ftruncate, close, bulk set-up. The
 * server keeps the offset, so every holder of the endpoint shares it. */
#include <string.h>

#include "fsd_srv.h"

void fsd_answer(struct fsd_out *out, int err, uint64_t val)
{
	struct fs_resp r = {.err = err, .flags = 0, .val = val};
	memcpy(out->buf, &r, sizeof(r));
	out->len = sizeof(r);
}

static void bulk_release(struct fsd_srv *s, struct fsd_file *f, uint32_t i)
{
	struct fsd_bulk *b = &f->bulk[i];
	s->ops.bulk_free(s->ops.ctx, b);
	s->conns[f->conn].bulk_bytes -= b->size;
	s->bulk_total -= b->size;
	memset(b, 0, sizeof(*b));
}

void fsd_file_free(struct fsd_srv *s, struct fsd_file *f)
{
	for (uint32_t i = 0; i < FS_BULK_SLOTS; i++)
		if (f->bulk[i].addr)
			bulk_release(s, f, i);
	fsd_release(&s->fs, f->node);
	uint16_t c = f->conn;
	s->conns[c].nopen--;
	s->nfiles--;
	memset(f, 0, sizeof(*f));
	fsd_conn_maybe_free(s, c);
}

/* fsd_reclaim_files' answers within one pass: each task asked once. */
#define RECLAIM_CACHE 128
struct reclaim {
	unsigned n;
	struct {
		uint64_t koid;
		bool gone;
		uint32_t files; /* charged to it (live tasks) */
		uint64_t bulk;
	} t[RECLAIM_CACHE];
};

/* koid's entry (asked now if new); -1 when the cache is full. */
static int task_entry(struct fsd_srv *s, struct reclaim *r, uint64_t koid)
{
	for (unsigned i = 0; i < r->n; i++)
		if (r->t[i].koid == koid)
			return (int)i;
	if (r->n == RECLAIM_CACHE)
		return -1;
	unsigned i = r->n++;
	r->t[i].koid = koid;
	r->t[i].gone = s->ops.task_gone(s->ops.ctx, koid);
	if (!r->t[i].gone)
		fsd_task_files(s, koid, &r->t[i].files, &r->t[i].bulk);
	return (int)i;
}

static bool task_gone(struct fsd_srv *s, struct reclaim *r, uint64_t koid)
{
	int i = task_entry(s, r, koid);
	return i < 0 ? s->ops.task_gone(s->ops.ctx, koid) : r->t[i].gone;
}

/* A file handed on by a task that has ended: it is the last user's now
 * if that task lives and has room (files and bulk share); else nobody
 * may keep it. Only when full, so holders pay nothing until then. */
void fsd_reclaim_files(struct fsd_srv *s, const struct fsd_file *keep)
{
	if (!s->ops.task_gone)
		return;
	static struct reclaim r;
	r.n = 0;
	for (uint32_t i = 0; i < FSD_FILE_MAX; i++) {
		struct fsd_file *f = &s->files[i];
		if (!f->badge || f == keep || !f->task ||
		    !task_gone(s, &r, f->task))
			continue;
		uint64_t bulk = 0;
		for (uint32_t k = 0; k < FS_BULK_SLOTS; k++)
			bulk += f->bulk[k].size;
		bool other = f->user && f->user != f->task;
		int u = other ? task_entry(s, &r, f->user) : -1;
		uint32_t nf = 0;
		uint64_t nb = 0;
		bool live = false;
		if (u >= 0) {
			live = !r.t[u].gone;
			nf = r.t[u].files;
			nb = r.t[u].bulk;
		} else if (other && !s->ops.task_gone(s->ops.ctx, f->user)) {
			live = true; /* many tasks: asked without the cache */
			fsd_task_files(s, f->user, &nf, &nb);
		}
		if (live && nf < FSD_FILES_PER_TASK &&
		    nb + bulk <= FSD_BULK_PER_TASK) {
			f->task = f->user;
			if (u >= 0) {
				r.t[u].files++;
				r.t[u].bulk += bulk;
			}
			continue;
		}
		s->st.reclaimed++;
		fsd_file_free(s, f); /* its next call: FS_EBADF */
	}
}

static void bulk_setup(struct fsd_srv *s, struct fsd_file *f, uint64_t size,
		       struct fsd_out *out)
{
	if (size < FS_BULK_MIN || size > FS_BULK_MAX)
		return fsd_answer(out, -FS_EINVAL, 0);
	size = (size + 4095) & ~4095ull;
	uint32_t i = 0;
	while (i < FS_BULK_SLOTS && f->bulk[i].addr)
		i++;
	if (i == FS_BULK_SLOTS)
		return fsd_answer(out, -FS_EBUSY, 0);
	struct fsd_conn *c = &s->conns[f->conn];
	if (s->bulk_total + size > FSD_BULK_TOTAL)
		fsd_reclaim_files(s, f);
	if (c->bulk_bytes + size > FSD_BULK_CONN ||
	    !fsd_task_bulk_ok(s, f->task, size) ||
	    s->bulk_total + size > FSD_BULK_TOTAL)
		return fsd_answer(out, -FS_ENOMEM, 0);
	uint32_t h;
	int err = s->ops.bulk_new(s->ops.ctx, (uint32_t)size, &f->bulk[i], &h);
	if (err) {
		memset(&f->bulk[i], 0, sizeof(f->bulk[i]));
		return fsd_answer(out, err, 0);
	}
	f->bulk[i].size = (uint32_t)size;
	c->bulk_bytes += size;
	s->bulk_total += size;
	if (s->bulk_total > s->st.bulk_bytes)
		s->st.bulk_bytes = s->bulk_total;
	out->handle = h;
	fsd_answer(out, 0, i);
}

/* Where the bytes of a read or write are: inline (the answer's or the
 * request's) or the bulk window b names. */
static int io_buffer(struct fsd_file *f, const struct fs_req *q, uint8_t **win,
		     uint64_t *len)
{
	if (q->flags & ~FS_IO_BULK)
		return -FS_EINVAL;
	if (!(q->flags & FS_IO_BULK)) {
		*win = NULL;
		return 0;
	}
	if (q->b >= FS_BULK_SLOTS || !f->bulk[q->b].addr)
		return -FS_EBADF; /* not a window of this open file */
	if (*len > f->bulk[q->b].size)
		return -FS_EINVAL;
	*win = f->bulk[q->b].addr;
	return 0;
}

static void do_read(struct fsd_srv *s, struct fsd_file *f,
		    const struct fs_req *q, struct fsd_out *out)
{
	if (!(f->flags & FS_O_READ))
		return fsd_answer(out, -FS_EBADF, 0);
	uint64_t len = q->c;
	uint8_t *win;
	int err = io_buffer(f, q, &win, &len);
	if (err)
		return fsd_answer(out, err, 0);
	if (!win && len > FS_INLINE_MAX)
		len = FS_INLINE_MAX;
	uint64_t off = q->op == FS_PREAD ? q->a : f->off;
	uint8_t *dst = win ? win : out->buf + sizeof(struct fs_resp);
	int64_t n = fsd_read(&s->fs, f->node, off, dst, len);
	if (n < 0)
		return fsd_answer(out, (int)n, 0);
	if (q->op == FS_READ)
		f->off = off + (uint64_t)n;
	fsd_answer(out, 0, (uint64_t)n);
	if (!win)
		out->len += (uint32_t)n;
}

static void do_write(struct fsd_srv *s, struct fsd_file *f,
		     const struct fs_req *q, const uint8_t *data,
		     struct fsd_out *out)
{
	if (!(f->flags & FS_O_WRITE))
		return fsd_answer(out, -FS_EBADF, 0);
	uint64_t len = (q->flags & FS_IO_BULK) ? q->c : q->data_len;
	uint8_t *win;
	int err = io_buffer(f, q, &win, &len);
	if (err)
		return fsd_answer(out, err, 0);
	uint64_t off = q->op == FS_PWRITE	  ? q->a
		       : (f->flags & FS_O_APPEND) ? f->node->size
						  : f->off;
	int64_t n = fsd_write(&s->fs, f->node, off, win ? win : data, len);
	if (n < 0)
		return fsd_answer(out, (int)n, 0);
	if (q->op == FS_WRITE)
		f->off = off + (uint64_t)n;
	fsd_answer(out, 0, (uint64_t)n);
}

static void do_seek(struct fsd_file *f, const struct fs_req *q,
		    struct fsd_out *out)
{
	int64_t base;
	switch (q->b) {
	case FS_SEEK_SET:
		base = 0;
		break;
	case FS_SEEK_CUR:
		base = (int64_t)f->off;
		break;
	case FS_SEEK_END:
		base = f->node->type == FS_DT_DIR ? 0 : (int64_t)f->node->size;
		break;
	default:
		return fsd_answer(out, -FS_EINVAL, 0);
	}
	int64_t d = (int64_t)q->a, to;
	if (__builtin_add_overflow(base, d, &to))
		return fsd_answer(out, -FS_EOVERFLOW, 0);
	if (to < 0)
		return fsd_answer(out, -FS_EINVAL, 0);
	f->off = (uint64_t)to;
	fsd_answer(out, 0, f->off);
}

void fsd_file_op(struct fsd_srv *s, struct fsd_file *f, const struct fs_req *q,
		 const uint8_t *data, struct fsd_out *out)
{
	struct fs_stat st;
	int64_t n;
	switch (q->op) {
	case FS_READ:
	case FS_PREAD:
		return do_read(s, f, q, out);
	case FS_WRITE:
	case FS_PWRITE:
		return do_write(s, f, q, data, out);
	case FS_SEEK:
		return do_seek(f, q, out);
	case FS_FSTAT:
		fsd_stat(&s->fs, f->node, &st);
		fsd_answer(out, 0, 0);
		memcpy(out->buf + out->len, &st, sizeof(st));
		out->len += sizeof(st);
		return;
	case FS_READDIR: {
		uint64_t cap = q->c;
		if (cap > FS_RESP_DATA_MAX)
			cap = FS_RESP_DATA_MAX;
		n = fsd_readdir(&s->fs, f->node, &f->off,
				out->buf + sizeof(struct fs_resp),
				(uint32_t)cap);
		if (n < 0)
			return fsd_answer(out, (int)n, 0);
		fsd_answer(out, 0, (uint64_t)n);
		out->len += (uint32_t)n;
		return;
	}
	case FS_FTRUNCATE:
		if (!(f->flags & FS_O_WRITE))
			return fsd_answer(out, -FS_EBADF, 0);
		return fsd_answer(out, fsd_truncate(&s->fs, f->node, q->a), 0);
	case FS_CLOSE:
		fsd_file_free(s, f);
		return fsd_answer(out, 0, 0);
	case FS_BULK_SETUP:
		return bulk_setup(s, f, q->c, out);
	case FS_BULK_FREE:
		if (q->b >= FS_BULK_SLOTS || !f->bulk[q->b].addr)
			return fsd_answer(out, -FS_EBADF, 0);
		bulk_release(s, f, (uint32_t)q->b);
		return fsd_answer(out, 0, 0);
	default:
		return fsd_answer(out, -FS_EBADF, 0); /* a path op on a file */
	}
}
