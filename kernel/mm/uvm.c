/* User address spaces. Placeholder until the user-memory work lands: tasks
 * get no address space yet and everything runs on the kernel's tables. */
#include <execrt/errors.h>
#include <kern/uvm.h>

int uvm_create(struct task *task, struct uvm **out)
{
	(void)task;
	*out = NULL;
	return 0;
}

void uvm_release(struct uvm *u)
{
	(void)u;
}

void uvm_destroy(struct uvm *u)
{
	(void)u;
}

void uvm_activate(struct uvm *u)
{
	(void)u;
}
