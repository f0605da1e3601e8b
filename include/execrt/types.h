/* Basic ABI types shared by the kernel and user space. */
#pragma once
#include <stdint.h>

typedef uint32_t handle_t;     /* 0 is never a valid handle */
#define HANDLE_INVALID 0u

/* Deadlines are absolute monotonic times in nanoseconds (clock_now). */
#define DEADLINE_NONE  UINT64_MAX /* wait forever */
#define DEADLINE_POLL  0          /* do not block */

/* Object types, as reported by handle_info. */
enum obj_type {
	OBJ_NONE = 0,
	OBJ_TASK = 1,
	OBJ_THREAD = 2,
	OBJ_VMO = 3,        /* memory object */
	OBJ_RESOURCE = 4,   /* an authority: console, I/O ports, MMIO, IRQs */
	OBJ_PORT = 5,         /* a port's receive side */
	OBJ_NOTIFICATION = 6,
	OBJ_GRANT = 7,
	OBJ_IRQ = 8,
	OBJ_PORT_SEND = 9,    /* a send endpoint of a port (carries a badge) */
	OBJ_REPLY = 10,       /* one-shot reply capability of a call */
	OBJ_SCHED_AUTH = 11,  /* scheduling authority (sched.h) */
};

struct handle_info {
	uint32_t type;   /* enum obj_type */
	uint32_t rights;
	uint64_t koid;   /* kernel object id: equal for handles to one object */
};
