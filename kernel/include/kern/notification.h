/* Notifications: a kernel object holding a 64-bit word of pending bits.
 * signal(bits) ORs bits in and hands them straight to a blocked waiter
 * whose mask matches (O(1) with one waiter); wait(mask) returns the pending
 * bits of mask and clears exactly those. Signalling is safe from interrupt
 * context (IRQ objects, kern/irq.h) and from other subsystems (a port bound
 * to a notification signals it when a message arrives). */
#pragma once
#include <kern/object.h>
#include <kern/wait.h>

struct notification {
	struct kobject obj;
	struct wait_queue wq; /* its lock also guards pending */
	uint64_t pending;
};

int notification_create(struct notification **out);
/* ORs bits into the word and wakes matching waiters. Any context,
 * including interrupt handlers; bits 0 is a no-op. */
void notification_signal(struct notification *n, uint64_t bits);
/* Waits until a bit of mask (!= 0) is pending; returns those bits in *bits
 * and clears them. DEADLINE_POLL: ERR_SHOULD_WAIT when none is pending;
 * ERR_TIMED_OUT when the deadline passes; ERR_BAD_STATE when killed. */
int notification_wait(struct notification *n, uint64_t mask,
		      uint64_t deadline_ns, uint64_t *bits);

/* For a port bound to a notification: signals n (same as
 * notification_signal; 0 always). */
static inline int notif_bind_signal(struct notification *n, uint64_t bits)
{
	notification_signal(n, bits);
	return 0;
}
