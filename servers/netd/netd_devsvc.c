/* /drv/netd (include/execrt/netdev_proto.h): network drivers attach
 * their devices here. This file is the system-call half: the region grant
 * mapped (and its size checked), the connection endpoint minted with a
 * no-senders notice, the doorbells, the parked NETDEV_HOLD; the rings and
 * the interface are netd_dev.c's.
 *
 * Lifetime: a device goes on NETDEV_DETACH, on the no-senders notice of
 * its connection (the driver died) or when it breaks the ring protocol
 * (netd_dev_broken); then its parked HOLD is answered ERR_BAD_STATE (the
 * driver attaches again with a fresh region), the region unmapped and the
 * handles closed. Each region is mapped at the start of its own 1 GiB
 * window, so the page after it is never mapped: SYS_VM_PROTECT of the
 * last page the geometry needs is ERR_NOT_FOUND exactly when the grant is
 * smaller than the driver claims.
 *
 * A driver owns its grant and may revoke it while netd uses it (it does
 * when a call ends badly): netd's next touch faults. netd is its own
 * fault handler through libs/grantguard (one guarded slot per 1 GiB
 * window, its extent the region): a page fault inside a live region gets
 * scratch memory mapped over the window of it that faulted and the main
 * thread resumes; the rings then read as nonsense, or the window is seen
 * lost (gg_lost), and the device is dropped like a broken one. Any other
 * fault ends netd as without a handler. The watcher is netd's only other
 * thread and the main thread is suspended while it runs, so the guard's
 * table is never touched by both at once. */
#include <stdio.h>
#include <string.h>

#include <execrt/errors.h>
#include <execrt/netdev_proto.h>
#include <execrt/rights.h>
#include <execrt/runtime.h>
#include <execrt/sys.h>

#include "grantguard/grantguard.h"
#include "netd.h"
#include "netd_dev.h"

#define BADGE_DEV_TAG  (0x4e44ull << 48) /* "ND" */
#define BADGE_DEV_MASK (0xffffull << 48)
#define MAP_BASE       0x500000000000ull
#define MAP_WINDOW     (1ull << 30)
#define REGION_MAX     (NETDEV_SLOTS_OFFSET + NETDEV_SLOTS_MAX * NETDEV_SLOT_SIZE)
#define SLOTS	       16	   /* index 1..15 */
#define SCRATCH	       (16u << 10) /* grantguard's window: 4 pages */

static struct devslot {
	struct netd_dev *dev;
	uint64_t badge;
	handle_t grant, drv_bell, hold;
	uint64_t at; /* the mapping: guard slot win_of(at) */
} slots[SLOTS];
static uint32_t gen;
/* Guard slot w is window w (MAP_BASE + w * MAP_WINDOW); 0 is never used. */
static struct gg_slot guarded[SLOTS];
static struct gg guard = {.base = MAP_BASE,
			  .size = MAP_WINDOW,
			  .window = SCRATCH,
			  .n = SLOTS,
			  .slot = guarded};

static handle_t self(void)
{
	return execrt_handle(START_H_SELF_TASK);
}

static uint32_t win_of(uint64_t at)
{
	return (uint32_t)((at - MAP_BASE) / MAP_WINDOW);
}

static void answer(handle_t reply, int32_t err, uint64_t val, const void *data,
		   uint32_t len, const handle_t *h, uint32_t nh)
{
	struct {
		struct netdev_resp r;
		uint8_t data[16];
	} a = {.r = {.err = err, .len = len, .val = val}};
	if (len > sizeof(a.data))
		len = 0;
	memcpy(a.data, data, len);
	struct port_msg m = {.data = &a,
			     .len = (uint32_t)sizeof(a.r) + len,
			     .nhandles = nh,
			     .handles = h};
	if (sys_port_reply(reply, &m) < 0) {
		sys_handle_close(reply);
		for (uint32_t i = 0; i < nh; i++)
			sys_handle_close(h[i]);
	}
}

bool netd_dev_owns_badge(uint64_t badge)
{
	return (badge & BADGE_DEV_MASK) == BADGE_DEV_TAG;
}

static struct devslot *by_badge(uint64_t badge)
{
	uint32_t i = badge & 0xff;
	if (!netd_dev_owns_badge(badge) || i >= SLOTS || !slots[i].dev ||
	    slots[i].badge != badge)
		return NULL;
	return &slots[i];
}

/* The region is unmapped before the HOLD (or a DETACH) is answered: the
 * driver revokes its grant as soon as its call ends. */
static void drop(struct devslot *s, const char *why)
{
	printf("netd: %s detached (%s)\n", netd_dev_name(s->dev), why);
	netd_dev_close(s->dev);
	if (s->at)
		gg_release(&guard, win_of(s->at));
	if (s->hold)
		answer(s->hold, ERR_BAD_STATE, 0, NULL, 0, NULL, 0);
	if (s->grant)
		sys_handle_close(s->grant);
	if (s->drv_bell)
		sys_handle_close(s->drv_bell);
	memset(s, 0, sizeof(*s));
}

/* Maps the grant in window w; 0, or an error (the size checked). */
static long map_region(handle_t g, uint32_t w, uint32_t size, uint64_t *at)
{
	uint64_t hint = MAP_BASE + (uint64_t)w * MAP_WINDOW;
	long r = sys_grant_map(self(), g, VM_PROT_READ | VM_PROT_WRITE, hint,
			       at);
	if (r < 0)
		return r;
	if (*at != hint) { /* not our window alone: no size check */
		sys_grant_unmap(self(), *at);
		return ERR_NO_RESOURCES;
	}
	uint64_t last = (size + PAGE_SIZE_USER - 1) & ~(PAGE_SIZE_USER - 1);
	r = sys_vm_protect(self(), *at + last - PAGE_SIZE_USER, PAGE_SIZE_USER,
			   VM_PROT_READ | VM_PROT_WRITE);
	if (r != 0 && r != ERR_INVALID_ARGS) { /* past the grant */
		sys_grant_unmap(self(), *at);
		return ERR_INVALID_ARGS;
	}
	return 0;
}

static bool window_used(uint32_t w)
{
	return guarded[w].extent != 0;
}

static long attach(handle_t reply, const struct netdev_req *q,
		   const struct netdev_attach *a, handle_t *h, uint32_t nh)
{
	if (q->a != NETDEV_PROTO_VERSION)
		return ERR_NOT_SUPPORTED;
	if (nh != 2 || a->region_size > REGION_MAX ||
	    a->region_size < NETDEV_SLOTS_OFFSET)
		return ERR_INVALID_ARGS;
	uint32_t w = 1; /* a window no device maps */
	while (w < SLOTS && window_used(w))
		w++;
	if (w == SLOTS)
		return ERR_NO_RESOURCES;
	uint64_t at = 0;
	long r = map_region(h[0], w, a->region_size, &at);
	if (r < 0)
		return r;
	int e = 0;
	struct netd_dev *d = netd_dev_open((void *)at, a->region_size, a, &e);
	if (!d) {
		sys_grant_unmap(self(), at);
		return e == -2 ? ERR_NO_RESOURCES : ERR_INVALID_ARGS;
	}
	uint32_t i = netd_dev_index(d);
	struct devslot *s = &slots[i];
	uint64_t badge = BADGE_DEV_TAG | ((uint64_t)++gen << 8) | i;
	handle_t give[2] = {0, 0};
	r = sys_port_mint_ex(netd_port(), badge, PORT_MINT_NOTIFY_CLOSED,
			     &give[0]);
	if (r == 0)
		r = sys_handle_dup(netd_bell(), RIGHT_SIGNAL | RIGHT_TRANSFER,
				   &give[1]);
	if (r < 0) {
		if (give[0])
			sys_handle_close(give[0]);
		netd_dev_close(d);
		sys_grant_unmap(self(), at);
		return r;
	}
	*s = (struct devslot){.dev = d,
			      .badge = badge,
			      .grant = h[0],
			      .drv_bell = h[1],
			      .at = at};
	gg_use(&guard, w, a->region_size, VM_PROT_READ | VM_PROT_WRITE);
	h[0] = h[1] = 0;
	struct netdev_attach_ans ans = {.bell = 1ull << i};
	printf("netd: %s: %.16s at %.16s, %u slots, mac "
	       "%02x:%02x:%02x:%02x:%02x:%02x\n",
	       netd_dev_name(d), a->name, a->where, a->nslots, a->mac[0],
	       a->mac[1], a->mac[2], a->mac[3], a->mac[4], a->mac[5]);
	answer(reply, 0, i, &ans, sizeof(ans), give, 2);
	/* Frames may be waiting already. */
	sys_notif_signal(netd_bell(), 1ull << i);
	return 0;
}

void netd_dev_request(uint64_t badge, handle_t reply, const void *msg,
		      uint32_t len, handle_t *h, uint32_t nh)
{
	struct netdev_req q;
	long r = ERR_INVALID_ARGS;
	struct devslot *s = by_badge(badge);
	if (len < sizeof(q) || !reply) {
		netd_stats_refused();
		goto out;
	}
	memcpy(&q, msg, sizeof(q));
	if (q.len != len - sizeof(q)) {
		netd_stats_refused();
		goto out;
	}
	if (!netd_dev_owns_badge(badge)) { /* /drv/netd */
		struct netdev_attach a;
		if (q.op != NETDEV_ATTACH || q.len != sizeof(a)) {
			netd_stats_refused();
			goto out;
		}
		memcpy(&a, (const uint8_t *)msg + sizeof(q), sizeof(a));
		r = attach(reply, &q, &a, h, nh);
		if (r == 0) {
			netd_stats_attached();
			reply = 0;
		} else {
			netd_stats_refused();
		}
		goto out;
	}
	if (!s) {
		r = ERR_BAD_STATE;
		goto out;
	}
	if (q.op == NETDEV_HOLD) {
		if (s->hold) {
			r = ERR_ALREADY_EXISTS;
			goto out;
		}
		s->hold = reply; /* answered when the device goes */
		reply = 0;
	} else if (q.op == NETDEV_DETACH) {
		drop(s, "the driver let go");
		netd_stats_detached();
		r = 0;
	}
out:
	for (uint32_t i = 0; i < nh; i++)
		if (h[i])
			sys_handle_close(h[i]);
	if (reply)
		answer(reply, (int32_t)r, 0, NULL, 0, NULL, 0);
}

void netd_dev_closed(uint64_t badge)
{
	struct devslot *s = by_badge(badge);
	if (s) {
		drop(s, "its driver is gone");
		netd_stats_detached();
	}
}

static void serve(uint32_t i, uint64_t *more)
{
	struct devslot *s = &slots[i];
	if (!s->dev)
		return;
	uint32_t w = win_of(s->at);
	if (!gg_lost(&guard, w) && netd_dev_service(s->dev))
		*more |= 1ull << i;
	bool lost = gg_lost(&guard, w);
	if (lost || netd_dev_broken(s->dev)) {
		drop(s, lost ? "its region was revoked"
			     : "it broke the ring protocol");
		netd_stats_detached();
	}
}

void netd_dev_on_bells(uint64_t bits)
{
	uint64_t more = 0;
	for (uint32_t i = 1; i < SLOTS; i++)
		if (bits & (1ull << i))
			serve(i, &more);
	if (more) /* the rest next pass */
		sys_notif_signal(netd_bell(), more);
}

uint64_t netd_dev_poll_all(void)
{
	uint64_t more = 0;
	for (uint32_t i = 1; i < SLOTS; i++)
		serve(i, &more);
	return more;
}

void netd_dev_kick_all(void)
{
	for (uint32_t i = 1; i < SLOTS; i++) {
		struct devslot *s = &slots[i];
		if (s->dev && netd_dev_kick(s->dev))
			sys_notif_signal(s->drv_bell, NETDEV_BELL_TX);
	}
}

long netd_dev_fault_handler(void)
{
	return gg_start(&guard, 0, NULL); /* the watcher stays BE */
}
