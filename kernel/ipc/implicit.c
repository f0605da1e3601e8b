/* Implicit replies (docs/ipc.md "Implicit reply"): a receiver that asks
 * for it with PORT_RX_IMPLICIT_REPLY keeps the call it received in its
 * thread (struct thread.ipc_implicit, a reference to the reply object)
 * instead of a new handle in its task's table, and names it with the
 * reserved value REPLY_IMPLICIT. No table work on the way in (install) or
 * out (take). The call lives until the thread answers it, converts it to
 * an ordinary reply handle, receives again, exits or closes
 * REPLY_IMPLICIT; the last three end it unanswered.
 *
 * Only the thread itself reads or writes its ipc_implicit (from its own
 * system calls and its exit), so no lock guards it; ending the call takes
 * the reply's own locks (reply_cancel). */
#include <execrt/errors.h>
#include <execrt/rights.h>
#include <kern/handle.h>
#include <kern/port.h>
#include <kern/syscall.h>
#include <kern/task.h>
#include <kern/thread.h>

_Static_assert((REPLY_IMPLICIT >> HANDLE_INDEX_BITS) == 0,
	       "REPLY_IMPLICIT has generation 0: never a live handle");

void ipc_implicit_set(struct reply *r)
{
	struct thread *me = thread_current();
	ipc_implicit_end(me); /* (ended by the receive already) */
	me->ipc_implicit = r;
}

struct reply *ipc_implicit_take(void)
{
	struct thread *me = thread_current();
	struct reply *r = me->ipc_implicit;
	me->ipc_implicit = NULL;
	return r;
}

void ipc_implicit_end(struct thread *t)
{
	struct reply *r = t->ipc_implicit;
	if (!r)
		return;
	t->ipc_implicit = NULL;
	reply_cancel(r); /* nothing if answered or given up already */
	reply_put(r);
}

int ipc_implicit_close(void)
{
	struct thread *me = thread_current();
	if (!me->ipc_implicit)
		return ERR_BAD_HANDLE;
	ipc_implicit_end(me);
	return 0;
}

int ipc_implicit_to_handle(uint32_t rights, handle_t *out)
{
	struct thread *me = thread_current();
	struct reply *r = me->ipc_implicit;
	if (!r)
		return ERR_BAD_HANDLE;
	if (rights == RIGHT_SAME)
		rights = RIGHTS_REPLY;
	if (rights & ~(uint32_t)RIGHTS_REPLY)
		return ERR_ACCESS_DENIED;
	/* The handle takes its own reference; closing it unanswered now
	 * cancels the call (reply.c, last_handle_closed). */
	int err = handle_alloc(&cur_task()->handles, reply_obj(r), rights, out);
	if (err)
		return err;
	me->ipc_implicit = NULL;
	reply_put(r);
	return 0;
}
