/* fsd's protocol handler, part one (fsd_srv.h): the tables of connections
 * and open files, admission (calls in flight per connection), notices,
 * FS_CONNECT, the path operations on a connection, and the ports/v0 JSON
 * `ping` / `status`. The open-file operations are in fsd_file.c. */
#include <stdio.h>
#include <string.h>

#include "fsd_srv.h"
#include "json.h"

static uint32_t kind_of(uint64_t badge)
{
	return (uint32_t)(badge >> 56);
}

static uint64_t make_badge(struct fsd_srv *s, uint32_t kind, uint32_t index)
{
	s->serial++;
	return ((uint64_t)kind << 56) |
	       ((s->serial & ((1ull << 40) - 1)) << 16) | index;
}

static struct fsd_conn *conn_of(struct fsd_srv *s, uint64_t badge)
{
	uint32_t i = badge & 0xffff;
	if (kind_of(badge) != FSD_KIND_CONN || i < 2 || i >= FSD_CONN_SLOTS ||
	    s->conns[i].badge != badge)
		return NULL;
	return &s->conns[i];
}

static struct fsd_file *file_of(struct fsd_srv *s, uint64_t badge)
{
	uint32_t i = badge & 0xffff;
	if (kind_of(badge) != FSD_KIND_FILE || i >= FSD_FILE_MAX ||
	    s->files[i].badge != badge)
		return NULL;
	return &s->files[i];
}

void fsd_srv_init(struct fsd_srv *s, const struct fsd_ops *ops)
{
	s->ops = *ops;
	memset(s->conns, 0, sizeof(s->conns));
	memset(s->files, 0, sizeof(s->files));
	memset(&s->st, 0, sizeof(s->st));
	s->serial = 0;
	s->bulk_total = 0;
	s->nfiles = 0;
	s->conns[0].badge = FSD_BADGE_PUBLIC;
	s->conns[1].badge = FSD_BADGE_DEVPUB;
	s->conns[0].alive = s->conns[1].alive = true;
}

static void drop_handle(void *ctx, uint32_t h)
{
	struct fsd_srv *s = ctx;
	s->ops.close(s->ops.ctx, h);
}

void fsd_srv_fini(struct fsd_srv *s)
{
	for (uint32_t i = 0; i < FSD_FILE_MAX; i++)
		if (s->files[i].badge)
			fsd_file_free(s, &s->files[i]);
	fsd_dev_drop(&s->fs, UINT64_MAX, drop_handle, s);
	fsd_fs_fini(&s->fs);
}

/* A dead connection goes once nothing refers to it. */
void fsd_conn_maybe_free(struct fsd_srv *s, uint16_t i)
{
	struct fsd_conn *c = &s->conns[i];
	if (i >= 2 && c->badge && !c->alive && !c->nopen && !c->inflight)
		memset(c, 0, sizeof(*c));
}

int fsd_admit(struct fsd_srv *s, uint64_t badge)
{
	int slot;
	uint32_t max = FS_INFLIGHT_MAX;
	switch (kind_of(badge)) {
	case FSD_KIND_PUBLIC:
	case FSD_KIND_DEVPUB:
		if (badge != FSD_BADGE_PUBLIC && badge != FSD_BADGE_DEVPUB)
			return FSD_NO_SLOT;
		slot = (int)kind_of(badge);
		max = FSD_PUBLIC_INFLIGHT;
		break;
	case FSD_KIND_CONN: {
		struct fsd_conn *c = conn_of(s, badge);
		if (!c)
			return FSD_NO_SLOT;
		slot = (int)(c - s->conns);
		break;
	}
	case FSD_KIND_FILE: {
		struct fsd_file *f = file_of(s, badge);
		if (!f)
			return FSD_NO_SLOT;
		slot = f->conn;
		break;
	}
	default:
		return FSD_NO_SLOT;
	}
	if (s->conns[slot].inflight >= max) {
		s->st.eagain++;
		return -FS_EAGAIN;
	}
	s->conns[slot].inflight++;
	return slot;
}

void fsd_done(struct fsd_srv *s, int slot)
{
	if (slot < 0 || slot >= FSD_CONN_SLOTS)
		return;
	s->conns[slot].inflight--;
	fsd_conn_maybe_free(s, (uint16_t)slot);
}

void fsd_notice(struct fsd_srv *s, uint64_t badge)
{
	s->st.notices++;
	struct fsd_file *f = file_of(s, badge);
	if (f) {
		fsd_file_free(s, f);
		return;
	}
	struct fsd_conn *c = conn_of(s, badge);
	if (c) {
		c->alive = false;
		/* A driver's nodes go with its connection. */
		fsd_dev_drop(&s->fs, badge, drop_handle, s);
		fsd_conn_maybe_free(s, (uint16_t)(c - s->conns));
	}
}

static void json_answer(struct fsd_srv *s, const char *msg, uint32_t len,
			struct fsd_out *out)
{
	static struct json_doc d;
	char cmd[16] = "";
	char *b = (char *)out->buf;
	size_t cap = sizeof(out->buf);
	int n;
	if (json_parse(&d, msg, len) < 0 ||
	    json_get_str(&d, "cmd", cmd, sizeof(cmd)) < 0)
		n = snprintf(b, cap,
			     "{\"ok\":false,\"error\":{\"code\":\"BAD_JSON\","
			     "\"message\":\"not a request\"}}");
	else if (!strcmp(cmd, "ping"))
		n = snprintf(b, cap,
			     "{\"ok\":true,\"result\":{\"name\":\"fsd\","
			     "\"version\":\"0.1.0\",\"protocol\":\"ports/v0\","
			     "\"fs_proto\":%u}}",
			     FS_PROTO_VERSION);
	else if (!strcmp(cmd, "status")) {
		uint32_t nconn = 0;
		for (uint32_t i = 2; i < FSD_CONN_SLOTS; i++)
			nconn += s->conns[i].badge && !s->conns[i].orphan;
		n = snprintf(
			b, cap,
			"{\"ok\":true,\"result\":{\"name\":\"fsd\","
			"\"connections\":%u,\"files\":%u,\"dev_nodes\":%u,"
			"\"tmp_used\":%llu,\"tmp_limit\":%llu,"
			"\"bulk_bytes\":%llu,\"requests\":%llu,\"errors\":%llu,"
			"\"eagain\":%llu,\"notices\":%llu,\"connects\":%llu,"
			"\"opens\":%llu,\"reclaimed\":%llu}}",
			nconn, s->nfiles, s->fs.ndev,
			(unsigned long long)s->fs.tmp_used,
			(unsigned long long)s->fs.tmp_limit,
			(unsigned long long)s->bulk_total,
			(unsigned long long)s->st.requests,
			(unsigned long long)s->st.errors,
			(unsigned long long)s->st.eagain,
			(unsigned long long)s->st.notices,
			(unsigned long long)s->st.connects,
			(unsigned long long)s->st.opens,
			(unsigned long long)s->st.reclaimed);
	} else
		n = snprintf(b, cap,
			     "{\"ok\":false,\"error\":{\"code\":\"BAD_CMD\","
			     "\"message\":\"unknown cmd\"}}");
	out->len = n < 0 ? 0 : (uint32_t)n;
}

/* What task t holds: its connections, and the open files and bulk bytes
 * charged to it (a file's charge may have moved to another task than
 * its connection's, fsd_reclaim_files). */
static void task_use(struct fsd_srv *s, uint64_t t, uint32_t *conns,
		     uint32_t *files, uint64_t *bulk)
{
	*conns = *files = 0;
	*bulk = 0;
	if (!t)
		return;
	for (uint32_t i = 2; i < FSD_CONN_SLOTS; i++)
		*conns += s->conns[i].badge && s->conns[i].task == t;
	fsd_task_files(s, t, files, bulk);
}

void fsd_task_files(struct fsd_srv *s, uint64_t task, uint32_t *files,
		    uint64_t *bulk)
{
	*files = 0;
	*bulk = 0;
	for (uint32_t i = 0; i < FSD_FILE_MAX; i++) {
		const struct fsd_file *f = &s->files[i];
		if (!f->badge || f->task != task)
			continue;
		(*files)++;
		for (uint32_t k = 0; k < FS_BULK_SLOTS; k++)
			*bulk += f->bulk[k].size;
	}
}

bool fsd_task_bulk_ok(struct fsd_srv *s, uint64_t task, uint64_t more)
{
	uint32_t nf;
	uint64_t bulk;
	if (!task)
		return true;
	fsd_task_files(s, task, &nf, &bulk);
	return bulk + more <= FSD_BULK_PER_TASK;
}

/* Connections counted against FSD_CONN_MAX: those of live makers. */
static uint32_t live_conns(struct fsd_srv *s)
{
	uint32_t n = 0;
	for (uint32_t i = 2; i < FSD_CONN_SLOTS; i++)
		n += s->conns[i].badge && !s->conns[i].orphan;
	return n;
}

/* The table is full: connections whose maker has ended can be used by
 * nobody (only the maker may call on one), so they stop counting; one
 * whose files are still held stays as an orphan until they are closed.
 * Asked only when full: one question per connection. */
static void reap_dead_makers(struct fsd_srv *s)
{
	if (!s->ops.task_gone)
		return;
	for (uint16_t i = 2; i < FSD_CONN_SLOTS; i++) {
		struct fsd_conn *c = &s->conns[i];
		if (!c->badge || c->orphan || !c->task ||
		    !s->ops.task_gone(s->ops.ctx, c->task))
			continue;
		c->orphan = true;
		c->alive = false;
		fsd_dev_drop(&s->fs, c->badge, drop_handle, s);
		fsd_conn_maybe_free(s, i);
	}
}

static void do_connect(struct fsd_srv *s, uint64_t badge,
		       const struct fs_req *q, struct fsd_out *out)
{
	if (q->a != FS_PROTO_VERSION)
		return fsd_answer(out, -FS_EPROTO, 0);
	uint32_t nc, nf;
	uint64_t bulk;
	task_use(s, s->sender, &nc, &nf, &bulk);
	if (nc >= FSD_CONN_PER_TASK)
		return fsd_answer(out, -FS_EMFILE, 0);
	if (live_conns(s) >= FSD_CONN_MAX)
		reap_dead_makers(s);
	if (live_conns(s) >= FSD_CONN_MAX)
		return fsd_answer(out, -FS_ENFILE, 0);
	uint16_t i = 2;
	while (i < FSD_CONN_SLOTS && s->conns[i].badge)
		i++;
	if (i == FSD_CONN_SLOTS)
		return fsd_answer(out, -FS_ENFILE, 0);
	uint64_t b = make_badge(s, FSD_KIND_CONN, i);
	uint32_t h;
	int err = s->ops.mint(s->ops.ctx, b, &h);
	if (err)
		return fsd_answer(out, err, 0);
	struct fsd_conn *c = &s->conns[i];
	memset(c, 0, sizeof(*c));
	c->badge = b;
	c->alive = true;
	c->dev = badge == FSD_BADGE_DEVPUB;
	c->task = s->sender;
	s->st.connects++;
	out->handle = h;
	fsd_answer(out, 0, b);
}

static void put_stat(struct fsd_srv *s, const struct fsd_node *n,
		     struct fsd_out *out)
{
	struct fs_stat st;
	fsd_stat(&s->fs, n, &st);
	memcpy(out->buf + out->len, &st, sizeof(st));
	out->len += sizeof(st);
}

static void do_open(struct fsd_srv *s, struct fsd_conn *c,
		    const struct fs_req *q, struct fsd_out *out)
{
	uint32_t nc, nf;
	uint64_t bulk;
	if (c->nopen >= FS_OPEN_MAX)
		return fsd_answer(out, -FS_EMFILE, 0);
	if (s->nfiles >= FSD_FILE_MAX) /* first: it may charge c's task */
		fsd_reclaim_files(s, NULL);
	task_use(s, c->task, &nc, &nf, &bulk);
	if (nf >= FSD_FILES_PER_TASK)
		return fsd_answer(out, -FS_EMFILE, 0);
	if (s->nfiles >= FSD_FILE_MAX)
		return fsd_answer(out, -FS_ENFILE, 0);
	struct fsd_node *n;
	int err = fsd_open(&s->fs, &s->p1, q->flags, (uint32_t)q->a, &n);
	if (err)
		return fsd_answer(out, err, 0);
	uint32_t h;
	if (n->type == FS_DT_CHR || n->type == FS_DT_BLK) {
		err = s->ops.dup(s->ops.ctx, n->dev_handle, &h);
		if (!err) {
			fsd_answer(out, 0, 0);
			out->handle = h;
			((struct fs_resp *)out->buf)->flags = FS_RESP_DEVICE;
			put_stat(s, n, out);
		} else {
			fsd_answer(out, err, 0);
		}
		fsd_release(&s->fs, n);
		return;
	}
	uint16_t i = 0;
	while (s->files[i].badge)
		i++; /* nfiles < FSD_FILE_MAX: there is one */
	uint64_t b = make_badge(s, FSD_KIND_FILE, i);
	if ((err = s->ops.mint(s->ops.ctx, b, &h))) {
		fsd_release(&s->fs, n);
		return fsd_answer(out, err, 0);
	}
	struct fsd_file *f = &s->files[i];
	memset(f, 0, sizeof(*f));
	f->badge = b;
	f->node = n;
	f->flags = q->flags;
	f->conn = (uint16_t)(c - s->conns);
	f->task = c->task;
	c->nopen++;
	s->nfiles++;
	s->st.opens++;
	out->handle = h;
	fsd_answer(out, 0, b);
	put_stat(s, n, out);
}

/* The path operations of a connection; s->p1 (and p2) are parsed. */
static void path_op(struct fsd_srv *s, struct fsd_conn *c,
		    const struct fs_req *q, uint32_t *handles, uint32_t nh,
		    struct fsd_out *out)
{
	struct fsd_node *n;
	uint32_t h = 0;
	int err = 0;
	switch (q->op) {
	case FS_OPEN:
		return do_open(s, c, q, out);
	case FS_STAT:
		if ((err = fsd_lookup(&s->fs, &s->p1, &n)))
			break;
		fsd_answer(out, 0, 0);
		return put_stat(s, n, out);
	case FS_MKDIR:
		err = fsd_mkdir(&s->fs, &s->p1, (uint32_t)q->a);
		break;
	case FS_RMDIR:
		err = fsd_rmdir(&s->fs, &s->p1);
		break;
	case FS_UNLINK:
		err = fsd_unlink(&s->fs, &s->p1, c->badge, &h);
		if (h)
			s->ops.close(s->ops.ctx, h);
		break;
	case FS_RENAME:
		err = fsd_rename(&s->fs, &s->p1, &s->p2);
		break;
	case FS_TRUNCATE:
		if (!(err = fsd_lookup(&s->fs, &s->p1, &n)))
			err = fsd_truncate(&s->fs, n, q->a);
		break;
	case FS_MKNOD: {
		uint32_t t = q->a == FS_MODE_CHR   ? FS_DT_CHR
			     : q->a == FS_MODE_BLK ? FS_DT_BLK
						   : 0;
		if (!c->dev)
			err = -FS_EPERM;
		else if (nh != 1 || !t ||
			 s->ops.check_send(s->ops.ctx, handles[0]))
			err = -FS_EINVAL;
		else if (!(err = fsd_mknod(&s->fs, &s->p1, t, handles[0],
					   c->badge)))
			handles[0] = 0; /* the node keeps it */
		break;
	}
	default:
		err = -FS_EBADF; /* an open-file op on a connection */
	}
	fsd_answer(out, err, 0);
}

static void serve(struct fsd_srv *s, uint64_t badge, const void *msg,
		  uint32_t len, uint32_t *handles, uint32_t nh,
		  struct fsd_out *out)
{
	if (len && ((const char *)msg)[0] == '{')
		return json_answer(s, msg, len, out);
	struct fs_req q;
	if (len < sizeof(q))
		return fsd_answer(out, -FS_EPROTO, 0);
	memcpy(&q, msg, sizeof(q));
	const uint8_t *p = (const uint8_t *)msg + sizeof(q);
	if ((uint64_t)sizeof(q) + q.path_len + q.path2_len + q.data_len != len)
		return fsd_answer(out, -FS_EPROTO, 0);
	if (q.op == FS_NOP)
		return fsd_answer(out, 0, FS_PROTO_VERSION);
	uint32_t kind = kind_of(badge);
	if (kind == FSD_KIND_PUBLIC || kind == FSD_KIND_DEVPUB) {
		if (q.op != FS_CONNECT)
			return fsd_answer(out, -FS_EBADF, 0);
		return do_connect(s, badge, &q, out);
	}
	if (kind == FSD_KIND_FILE) {
		struct fsd_file *f = file_of(s, badge);
		if (!f) /* closed, or reclaimed from an ended task */
			return fsd_answer(out, -FS_EBADF, 0);
		if (s->sender)
			f->user = s->sender; /* who it may be charged to */
		return fsd_file_op(s, f, &q, p + q.path_len + q.path2_len, out);
	}
	struct fsd_conn *c = conn_of(s, badge);
	if (!c || !c->alive || q.op < FS_OPEN || q.op > FS_MKNOD)
		return fsd_answer(out, -FS_EBADF, 0);
	/* A connection is its maker's alone (REVIEW-18 R3): one handed to
	 * another task is useless, so a dead maker's can be reaped. */
	if (c->task && s->sender && s->sender != c->task)
		return fsd_answer(out, -FS_EPERM, 0);
	int err = fsd_path_parse((const char *)p, q.path_len, &s->p1);
	if (!err && q.op == FS_RENAME)
		err = fsd_path_parse((const char *)p + q.path_len, q.path2_len,
				     &s->p2);
	if (err)
		return fsd_answer(out, err, 0);
	path_op(s, c, &q, handles, nh, out);
}

void fsd_request(struct fsd_srv *s, uint64_t badge, const void *msg,
		 uint32_t len, uint32_t *handles, uint32_t nh,
		 struct fsd_out *out)
{
	out->reply = true;
	out->len = 0;
	out->handle = 0;
	s->st.requests++;
	serve(s, badge, msg, len, handles, nh, out);
	struct fs_resp r;
	if (out->len >= sizeof(r) && out->buf[0] != '{') {
		memcpy(&r, out->buf, sizeof(r));
		s->st.errors += r.err != 0;
	}
}
