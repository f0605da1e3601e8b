/* The pure part of decoding port messages (kernel/ipc/msg_decode.c): checks
 * on structures already copied in from user space, with no user memory,
 * lock or object touched, so the host fuzzes them (tests/fuzz/host/). */
#pragma once
#include <execrt/ipc.h>
#include <kern/types.h>

/* An outgoing message's header: ERR_INVALID_ARGS if it carries more than
 * PORT_MSG_MAX bytes or PORT_HANDLES_MAX handles, ERR_FAULT if its bytes or
 * its handle array are not inside user space; else 0. */
int msg_check_header(const struct port_msg *pm);
/* ERR_INVALID_ARGS if a value appears twice in hv[0, n), else 0. */
int msg_check_handle_values(const handle_t *hv, uint32_t n);
/* A receive description: ERR_FAULT if its byte buffer or handle array
 * (as large as cap and hcap say) is not inside user space; else 0. */
int msg_check_rx(const struct port_rx *rx);
