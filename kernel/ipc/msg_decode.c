/* Port message checks that need nothing but the copied-in structures
 * (kern/msg_decode.h). sys_port.c runs them before looking up any handle
 * or allocating, so a malformed message costs nothing and changes nothing. */
#include <execrt/errors.h>
#include <kern/msg_decode.h>
#include <kern/uaccess.h>

int msg_check_header(const struct port_msg *pm)
{
	if (pm->len > PORT_MSG_MAX || pm->nhandles > PORT_HANDLES_MAX)
		return ERR_INVALID_ARGS;
	if (pm->len && !user_range_ok((uintptr_t)pm->data, pm->len))
		return ERR_FAULT;
	if (pm->nhandles &&
	    !user_range_ok((uintptr_t)pm->handles,
			   (size_t)pm->nhandles * sizeof(handle_t)))
		return ERR_FAULT;
	return 0;
}

int msg_check_handle_values(const handle_t *hv, uint32_t n)
{
	/* n <= PORT_HANDLES_MAX: quadratic is cheapest. */
	for (uint32_t i = 1; i < n; i++)
		for (uint32_t j = 0; j < i; j++)
			if (hv[i] == hv[j])
				return ERR_INVALID_ARGS;
	return 0;
}

int msg_check_rx(const struct port_rx *rx)
{
	if (rx->cap && !user_range_ok((uintptr_t)rx->buf, rx->cap))
		return ERR_FAULT;
	if (rx->hcap && !user_range_ok((uintptr_t)rx->handles,
				       (size_t)rx->hcap * sizeof(handle_t)))
		return ERR_FAULT;
	return 0;
}
