/* blitterd: the write right of a grant comes from the handle presented
 * in each request, not from the shared mapping (REVIEW-15 #2), and
 * public-endpoint surfaces and events stay on the public endpoint
 * (REVIEW-15 #6). Handles 1 and 2 name ONE grant (one koid): 1 has
 * RIGHT_WRITE, 2 is a read-only duplicate (as handed to a viewer). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "blit_proto.h"
#include "harness.h"

static struct {
	uint8_t *px;
	uint8_t *ro_base, *rw_base; /* where each kind of mapping sits */
	int mapped, maps;
	char ev[8][BLIT_EVENT_MAX];
	uint32_t ev_to[8];
	int nev;
	bool lost; /* the grant was revoked (scratch memory in its place) */
} rf;

static int r_ident(void *c, uint32_t h, uint64_t *koid, bool *cw)
{
	(void)c;
	if (h != 1 && h != 2)
		return -1;
	*koid = 4242;
	*cw = h == 1;
	return 0;
}
/* Like the kernel: mapping WRITE through handle 2 is refused, so it maps
 * read-only. The two kinds of mapping sit at different addresses (the
 * same pixels), so a surface left on the old one would be seen. */
static int r_map(void *c, uint32_t h, uint8_t **base, bool *wr)
{
	(void)c;
	*wr = h == 1;
	*base = *wr ? rf.rw_base : rf.ro_base;
	rf.mapped++;
	rf.maps++;
	return 0;
}
static bool r_fits(void *c, uint8_t *base, uint64_t bytes)
{
	(void)c;
	(void)base;
	return bytes <= 64 * 64 * 4;
}
static void r_unmap(void *c, uint8_t *base)
{
	(void)c;
	(void)base;
	rf.mapped--;
}
static int r_mint(void *c, uint64_t badge, uint32_t *h)
{
	(void)c;
	*h = 100 + (uint32_t)badge;
	return 0;
}
static int r_send(void *c, uint32_t h, const char *d, uint32_t len)
{
	(void)c;
	if (rf.nev < 8) {
		snprintf(rf.ev[rf.nev], BLIT_EVENT_MAX, "%.*s", (int)len, d);
		rf.ev_to[rf.nev++] = h;
	}
	return 0;
}
static void r_close(void *c, uint32_t h)
{
	(void)c;
	(void)h;
}
static uint64_t r_now(void *c)
{
	(void)c;
	return 0;
}

static bool r_lost(void *c, uint8_t *base)
{
	(void)c;
	(void)base;
	return rf.lost;
}

static const struct blit_plat rplat = {
	.ident = r_ident,
	.map = r_map,
	.fits = r_fits,
	.unmap = r_unmap,
	.mint = r_mint,
	.send = r_send,
	.close = r_close,
	.now = r_now,
	.lost = r_lost,
};
static struct blit_svc rsvc;
static struct blit_ans rans;

static void rsetup(void)
{
	static uint8_t px[64 * 64 * 4];
	memset(&rf, 0, sizeof(rf));
	memset(px, 0, sizeof(px));
	rf.px = rf.ro_base = rf.rw_base = px;
	blit_init(&rsvc, &blit_kern_scalar, &rplat);
}

static void rcall(const char *j, uint32_t hh, uint64_t badge)
{
	uint32_t h[1] = {hh};
	blit_handle(&rsvc, j, strlen(j), h, hh ? 1 : 0, badge, &rans);
}

#define SURF "{\"fd\":0,\"w\":64,\"h\":64,\"format\":\"RGBA8\",\"stride\":256}"
#define BIND                                                                   \
	"{\"cmd\":\"surface_bind\",\"fd\":0,\"w\":64,\"h\":64,\"format\":"     \
	"\"RGBA8\",\"stride\":256}"
#define FILL(dst)                                                              \
	"{\"cmd\":\"rect_fill\",\"dst\":" dst                                  \
	",\"rect\":{\"x\":0,\"y\":0,\"w\":4,\"h\":4},\"color\":{\"r\":9,"      \
	"\"g\":0,\"b\":0}}"
#define RERR(c) (!rans.ok && !strcmp(rans.code, c))

/* The owner binds its RW handle; another client presents only the
 * read-only handle of the same grant: DENIED, nothing written. */
TEST(blit_rights_readonly_handle_cannot_write_a_shared_mapping)
{
	rsetup();
	rcall(BIND, 1, 5);
	CHECK(rans.ok);
	CHECK(strstr(rans.result, "\"writable\":true"));
	rcall(FILL(SURF), 2, 6);
	CHECK(RERR("DENIED"));
	CHECK_EQ(rf.px[0], 0);
	/* as a copy source it is fine */
	rcall("{\"cmd\":\"rect_copy\",\"src\":" SURF ",\"dst\":{\"surface\":1},"
	      "\"src_rect\":{\"x\":0,\"y\":0,\"w\":1,\"h\":1},"
	      "\"dst_xy\":{\"x\":1,\"y\":0}}",
	      2, 5);
	CHECK(rans.ok);
	blit_session_closed(&rsvc, 5);
	CHECK_EQ(rf.mapped, 0);
	CHECK_EQ(blit_nmems(&rsvc), 0);
}

/* The reverse: a reader binds first (read-only mapping); a writer of the
 * same grant is not refused, and the reader's bound surface follows the
 * mapping to its new address but still may not write. */
TEST(blit_rights_writer_after_a_reader_is_not_denied)
{
	rsetup();
	static uint8_t other[1];
	rf.ro_base = other; /* a read-only mapping somewhere else */
	rcall(BIND, 2, 5);
	CHECK(rans.ok);
	CHECK(strstr(rans.result, "\"writable\":false"));
	rf.ro_base = rf.px;
	rf.rw_base = rf.px;
	rcall(FILL(SURF), 1, 6);
	CHECK(rans.ok);
	CHECK_EQ(rf.px[0], 9);
	CHECK_EQ(rf.mapped, 1); /* remapped read-write, the old one gone */
	/* the reader's surface was moved over (it points at px now) ... */
	CHECK(rsvc.surf[0].s.base == rf.px);
	/* ... and is still read-only for its owner */
	rcall(FILL("{\"surface\":1}"), 0, 5);
	CHECK(RERR("DENIED"));
	blit_session_closed(&rsvc, 5);
	CHECK_EQ(rf.mapped, 0);
}

/* A surface bound on the public endpoint is not usable from a session
 * that guesses its id, and a public subscriber hears only public jobs,
 * not another session's complete/error events (REVIEW-15 #6). */
TEST(blit_rights_public_surfaces_and_events_stay_public)
{
	rsetup();
	rcall(BIND, 1, 0); /* public, id 1 */
	CHECK(rans.ok);
	rcall(FILL("{\"surface\":1}"), 0, 7);
	CHECK(RERR("NOT_FOUND"));
	CHECK_EQ(rf.px[0], 0);
	rcall("{\"cmd\":\"surface_unbind\",\"surface\":1}", 0, 7);
	CHECK(RERR("NOT_FOUND"));
	/* a public subscriber (port handle 50) */
	uint32_t port[1] = {50};
	const char *sub = "{\"cmd\":\"subscribe\",\"events\":[\"complete\","
			  "\"error\"],\"port\":0}";
	blit_handle(&rsvc, sub, strlen(sub), port, 1, 0, &rans);
	CHECK(rans.ok);
	rcall(FILL(SURF), 1, 7); /* session 7's job: ok, no event heard */
	CHECK(rans.ok);
	rcall("{\"cmd\":\"convert\"}", 0, 7); /* session 7's failing job */
	CHECK(RERR("BAD_ARG"));
	CHECK_EQ(rf.nev, 0);
	rcall(FILL("{\"surface\":1}"), 0, 0); /* a public job: heard */
	CHECK(rans.ok);
	CHECK_EQ(rf.px[0], 9);
	CHECK_EQ(rf.nev, 1);
	CHECK_EQ(rf.ev_to[0], 50);
	CHECK(strstr(rf.ev[0], "\"complete\""));
	rcall("{\"cmd\":\"surface_unbind\",\"surface\":1}", 0, 0);
	CHECK(rans.ok);
	CHECK_EQ(rf.mapped, 0);
}

static void rfrom(const char *j, uint32_t hh, uint64_t badge, uint64_t who)
{
	uint32_t h[1] = {hh};
	blit_handle_from(&rsvc, j, strlen(j), h, hh ? 1 : 0, badge, who, &rans);
}

/* One task (port_rx.sender) cannot take every surface, subscriber or
 * session slot, whatever endpoints it uses; another task still can. */
TEST(blit_rights_per_task_limits)
{
	rsetup();
	for (int i = 0; i < BLIT_TASK_SURFACES; i++) {
		rfrom(BIND, 1, (uint64_t)(i & 1),
		      77); /* public and a session */
		CHECK(rans.ok);
	}
	rfrom(BIND, 1, 0, 77);
	CHECK(RERR("BUSY"));
	rfrom(BIND, 1, 0, 78);
	CHECK(rans.ok);
	const char *sub = "{\"cmd\":\"subscribe\",\"events\":[\"error\"],"
			  "\"port\":0}";
	for (int i = 0; i < BLIT_TASK_SUBS; i++) {
		rfrom(sub, 50 + (uint32_t)i, 0, 77);
		CHECK(rans.ok);
	}
	rfrom(sub, 60, 0, 77);
	CHECK(RERR("BUSY"));
	rfrom(sub, 61, 0, 78);
	CHECK(rans.ok);
	uint64_t first = 0;
	for (int i = 0; i < BLIT_TASK_SESSIONS; i++) {
		rfrom("{\"cmd\":\"connect\"}", 0, 0, 77);
		CHECK(rans.ok);
		if (!first)
			first = rans.handle - 100;
	}
	rfrom("{\"cmd\":\"connect\"}", 0, 0, 77);
	CHECK(RERR("BUSY"));
	blit_session_closed(&rsvc, first); /* one goes: room for one */
	rfrom("{\"cmd\":\"connect\"}", 0, 0, 77);
	CHECK(rans.ok);
	rfrom("{\"cmd\":\"connect\"}", 0, 0, 78);
	CHECK(rans.ok);
}

/* The client revoked a bound grant and the job ran on scratch memory
 * (REVIEW-15 #1): the job fails, the grant's surfaces are unbound and
 * its mapping goes; blitterd keeps serving. */
TEST(blit_rights_revoked_grant_fails_the_job_and_unbinds)
{
	rsetup();
	rcall(BIND, 1, 5);
	CHECK(rans.ok);
	rcall(BIND, 1, 5); /* a second surface on the same grant */
	CHECK(rans.ok);
	rf.lost = true;
	rcall(FILL("{\"surface\":1}"), 0, 5);
	CHECK(RERR("BAD_ARG"));
	CHECK(strstr(rans.message, "revoked"));
	CHECK_EQ(blit_nsurfaces(&rsvc), 0);
	CHECK_EQ(blit_nmems(&rsvc), 0);
	CHECK_EQ(rf.mapped, 0);
	rf.lost = false;
	rcall("{\"cmd\":\"ping\"}", 0, 5);
	CHECK(rans.ok);
}
