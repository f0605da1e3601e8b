/* Ports (kernel/ipc/port.c) and one-shot reply objects (kernel/ipc/reply.c):
 * the kernel side of docs/ipc.md. A port is its receive side (OBJ_PORT);
 * senders hold send endpoints (OBJ_PORT_SEND), separate objects that carry
 * the badge; a call travels with a reply object (OBJ_REPLY). */
#pragma once
#include <execrt/ipc.h>
#include <kern/handle.h>
#include <kern/list.h>
#include <kern/object.h>
#include <kern/wait.h>

struct thread;
struct reply;
struct port;

/* Messages up to this size use a per-thread buffer (struct ipc_slot)
 * instead of a kernel allocation; so does the fastpath. */
#define IPC_SLOT_MAX 256

/* A queued message: bytes copied in at send, handles already moved out of
 * the sender's table (in transit: each holds the reference and the handle
 * count handle_take_many() gave). */
struct kmsg {
	struct list_node node;
	uint64_t badge;
	uint64_t sender; /* koid of the sending thread's task (0: kernel) */
	uint64_t prio; /* sched_urgency() of the sender: queue order */
	uint32_t len, nhandles;
	bool closed_notice;  /* a no-senders notice: not in port.count */
	struct reply *reply; /* calls: the caller's reply object (a ref) */
	struct charge charge; /* to the sender's account (heap messages) */
	struct thread *owner; /* per-thread buffer: its thread (a ref) */
	uint8_t *data;
	uint32_t busy; /* per-thread buffer in use (atomic) */
	bool handed;   /* given by the fastpath (donation linked) */
	struct kobject *h[PORT_HANDLES_MAX];
	uint32_t rights[PORT_HANDLES_MAX];
};

/* NULL when out of memory or over the calling task's quota. */
struct kmsg *kmsg_alloc(uint32_t len);
/* A message of len bytes: slot (a per-thread buffer of `owner`) when it
 * fits and is free, else kmsg_alloc(). */
struct kmsg *kmsg_get(struct kmsg *slot, struct thread *owner, uint32_t len);
/* Closes the handles it carries, cancels its reply; frees it (a
 * per-thread buffer is given back to its thread). */
void kmsg_free(struct kmsg *m);

/* States of a call (struct reply.state). */
enum { REPLY_WAITING, REPLY_DONE, REPLY_CANCELLED };

/* A call's one-shot reply object (kernel/ipc/reply.c). Each thread has one
 * built in (struct ipc_slot), re-armed per call while no handle or
 * reference to its previous use is left; else one is allocated. */
struct reply {
	struct kobject obj;
	struct wait_queue wq; /* the caller waits here; lock guards state */
	int state;
	struct kmsg *answer;
	struct thread *caller; /* a reference */
	struct port *port;     /* the port the call went to (a ref) */
	/* Donation (the caller's donation lock, kernel/ipc/reply.c). */
	struct thread *server; /* a reference, or NULL */
	struct list_node donor_node; /* on server->donors */
	bool active; /* the call is open: it may lend */
	bool lent;   /* queued and lent to the port's server, not received */
	bool ended;  /* the call is over (port lock) */
	bool reg;    /* a register call: an answer may go straight into the
		      * caller's saved registers (reply_answer_regs) */
	uint32_t armed; /* built-in slot: in use (atomic) */
};

/* Per-thread IPC state that saves allocations on the common path. */
struct ipc_slot {
	struct reply reply;
	struct kmsg req, ans; /* outgoing message; the answer to a call */
	/* Register messages (kernel/syscall/sys_port_reg.c): blocked in a
	 * register receive (set by the thread itself), and the call the
	 * fastpath handed over with its message already in the thread's
	 * registers (a reference; the port's lock). */
	bool rx_reg;
	struct reply *handed_call;
	uint8_t req_buf[IPC_SLOT_MAX], ans_buf[IPC_SLOT_MAX];
};

/* The handles a sender attaches, as decoded: values and the objects they
 * named during the checks (pinned: a reference each). */
struct msg_handles {
	uint32_t n;
	handle_t hv[PORT_HANDLES_MAX + 1]; /* + a reply's own handle */
	struct kobject *pin[PORT_HANDLES_MAX + 1];
};
void msg_handles_unpin(struct msg_handles *a);
/* Moves the attached handles a->hv[0..n) out of table t into m, all at
 * once (each still naming its pinned object, with TRANSFER), or none.
 * dest is the port m goes to (NULL: an answer). The cycle rule: a port's
 * receive side may travel only to a port whose own receive side is not in
 * a message (ERR_BAD_STATE), never to itself (refused at decode). With
 * `self` (a reply's own handle, pinned as self_obj) that handle is taken
 * in the same step; its reference, in transit, is the caller's to drop
 * with handle_transit_done(). Takes the transit lock and t's lock, so
 * callable under a port's or a reply's lock. */
int kmsg_take(struct kmsg *m, struct handle_table *t,
	      const struct msg_handles *a, struct port *dest, handle_t self,
	      struct kobject *self_obj);
/* The handles of m were installed in a table: m lets go of them. */
void kmsg_delivered(struct kmsg *m);

struct port {
	struct kobject obj;
	struct wait_queue wq;	   /* receivers; its lock guards the port */
	struct wait_queue senders; /* blocked on a full queue (wq.lock) */
	struct list_node queue; /* struct kmsg.node, by prio then FIFO */
	unsigned count;
	bool closed;		/* the last receive handle is gone */
	/* Donation for queued calls: the thread serving the call it last
	 * received from here (a ref; NULL once that call ended) and the
	 * call; bumped at each change of lender. */
	struct thread *lender;
	struct reply *lender_call;
	uint64_t lend_gen;
	struct notification *bound; /* signalled on every message (a ref) */
	uint64_t bound_bits;
	unsigned transit; /* its receive handles inside messages (transit lock) */
};

struct port_send {
	struct kobject obj;
	struct port *port; /* a reference */
	uint64_t badge;
	/* PORT_MINT_NOTIFY_CLOSED: the no-senders notice, allocated (and
	 * charged to the minter) at mint, queued on the port when the last
	 * handle to this endpoint is gone; else NULL. */
	struct kmsg *notice;
};

int port_create(struct port **recv, struct port_send **send);
int port_mint(struct port *p, uint64_t badge, struct port_send **out);
/* port_mint whose endpoint, once its last handle is gone, queues a
 * zero-length message with its badge and PORT_RX_CLOSED on p: ahead of
 * every ordinary message, outside the PORT_QUEUE_MAX count, allocated
 * now (so queuing it cannot fail); dropped if p is closed first. */
int port_mint_notify(struct port *p, uint64_t badge, struct port_send **out);
struct notification;
/* Every message queued from now on also signals `bits` on n (replacing an
 * earlier binding), so one thread can wait for messages and signals
 * together. */
void port_bind(struct port *p, struct notification *n, uint64_t bits);
/* Queues m (with m->badge set by the caller) after moving the handles a
 * from the current task (kmsg_take); blocks while the queue is full until
 * the deadline. Consumes m on success only; on an error the caller
 * kmsg_free()s it and the sender's table is as it was. */
int port_send(struct port *p, struct kmsg *m, const struct msg_handles *a,
	      uint64_t deadline_ns);
/* Takes the next message whose size fits (len <= cap, nhandles <= hcap);
 * otherwise ERR_BUFFER_TOO_SMALL with the sizes in *need_len/need_h and
 * the message left queued. IPC_HANDED_REGS (a register receive only):
 * ipc_reg_fast_call handed a call over in thread.ipc.handed_call. */
int port_recv(struct port *p, uint32_t cap, uint32_t hcap, uint64_t deadline_ns,
	      struct kmsg **out, uint32_t *need_len, uint32_t *need_h,
	      struct thread *handoff);
/* (handoff: a thread to switch to if this blocks, else woken; the
 * reference stays the caller's.) */

/* Reply objects: the caller's built-in one when free, else a new one. */
int reply_create(struct thread *caller, struct port *p, struct reply **out);
struct thread *reply_caller(struct reply *r);
/* The buffer the answer to r may use (NULL: none), of reply_caller(r). */
struct kmsg *reply_answer_slot(struct reply *r);
void reply_put(struct reply *r);
struct kobject *reply_obj(struct reply *r);
struct reply *reply_from_obj(struct kobject *o);
/* Ends a call without an answer: the caller wakes with ERR_PEER_CLOSED. */
void reply_cancel(struct reply *r);
/* With handoff non-NULL and the fastpath's conditions met, the waiting
 * caller is not woken but returned there (a reference), for the answering
 * thread to switch to when it blocks next (port_recv). */
/* Answers r with m, moving the attached handles a and r's own handle
 * self out of table t in one step (kmsg_take) while the caller is known
 * to wait. A caller that is gone: ERR_PEER_CLOSED, only self is consumed
 * (the attached handles stay). Any other error: nothing changed. m is
 * consumed in every case. */
int reply_answer(struct reply *r, struct kmsg *m, struct handle_table *t,
		 const struct msg_handles *a, handle_t self,
		 struct thread **handoff);
/* Caller side: waits for the answer; returns it in *out. On timeout or
 * kill the reply is cancelled (a late answer gets ERR_PEER_CLOSED) and the
 * call, if still queued, withdrawn (port_withdraw).
 * handoff: a thread taken off a wait queue by the fastpath, to run in the
 * caller's place (woken in every case). */
int reply_wait(struct reply *r, uint64_t deadline_ns, struct kmsg **out,
	       struct thread *handoff);
/* Donation: t now serves the call (its priority follows the caller's). */
void reply_set_server(struct reply *r, struct thread *t);
/* The current thread calls through r, which t serves at once (the
 * fastpath): donate_set_calling(r) and reply_set_server(r, t) in one. */
void reply_call_served(struct reply *r, struct thread *t);
/* A queued call lends to s, the port's lender (unless that would close a
 * cycle of calls: then false, nothing lent); unlend takes a lend back. */
bool reply_lend(struct reply *r, struct thread *s);
void reply_unlend(struct reply *r);
/* Port side of the lending (port.c): r, sent to p, ended / was received
 * by t. */
void port_call_ended(struct port *p, struct reply *r);
void port_call_received(struct port *p, struct reply *r, struct thread *t);
/* r's caller gave up (timeout, kill): its call leaves p's queue if it is
 * still there (freed: handles closed, charges returned). */
void port_withdraw(struct port *p, struct reply *r);
/* After port_reply_recv's receive on p: t stays p's lender only if it
 * took a call. */
void port_lend_settle(struct port *p, struct thread *t);
/* The current thread is about to wait for r (donation chain), or is done. */
void donate_set_calling(struct reply *r);
/* t's own priority changed: pass it on along its call chain. */
void donate_propagate(struct thread *t);

/* The fastpath (kernel/ipc/fastpath.c, docs/ipc.md "Fastpath"). */
#define IPC_SLOW 1 /* not taken: go the slow way */
enum fast_kind { FAST_CALL, FAST_REPLY };
struct fast_args {
	enum fast_kind kind;
	uint32_t len, nhandles;
	uint64_t deadline;
	struct port *port;    /* call: the port (its lock held) */
	struct thread *peer;  /* the thread that would run next */
	bool slot_free;	      /* call: the caller's reply slot is free */
};
bool ipc_fastpath_enabled(void);
bool ipc_fast_ok(const struct fast_args *a);
int ipc_fast_call(struct port *p, struct kmsg *m, struct reply *r,
		  uint64_t deadline, struct kmsg **ans);
/* A call through s with m (the attached handles a, pinned: the caller
 * unpins them): the fastpath when it can, else queued; waits for the
 * answer (*ans). m is consumed in every case. */
int ipc_call(struct port_send *s, struct kmsg *m, const struct msg_handles *a,
	     bool reg, uint64_t deadline, struct kmsg **ans);
/* A register call on the fastpath to a thread blocked in a register
 * receive, the message written into its registers (no kmsg): IPC_SLOW
 * when it cannot be taken (nothing done), else the call's result (the
 * answer: *ans, or NULL when it was written into our registers). */
struct ipc_regs;
int ipc_reg_fast_call(struct port_send *s, const struct ipc_regs *msg,
		      uint64_t deadline, struct kmsg **ans);
/* port_recv found a call handed over by ipc_reg_fast_call. */
#define IPC_HANDED_REGS 2
/* Answers r, a register call (r->reg), with the message in o, written
 * into the caller's registers under r's lock while it waits (handoff:
 * as reply_answer). ERR_PEER_CLOSED if the call is over. */
int reply_answer_regs(struct reply *r, const struct ipc_regs *o,
		      struct thread **handoff);
bool reply_is_reg(struct reply *r);
struct port_rx;
/* Implicit replies (kernel/ipc/implicit.c): the current thread keeps r
 * (the reference passed) as its REPLY_IMPLICIT; takes it back to answer
 * (NULL: none); ends t's unanswered (the caller gets ERR_PEER_CLOSED);
 * handle_close(REPLY_IMPLICIT); handle_dup(REPLY_IMPLICIT): moves it into
 * an ordinary reply handle. */
void ipc_implicit_set(struct reply *r);
struct reply *ipc_implicit_take(void);
void ipc_implicit_end(struct thread *t);
int ipc_implicit_close(void);
int ipc_implicit_to_handle(uint32_t rights, handle_t *out);
/* sys_port.c: hands m to the current task through rx / urx. */
int ipc_deliver(struct kmsg *m, struct port_rx *rx, uint64_t urx);
