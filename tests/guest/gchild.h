/* What the guest suite and its child programs agree on. */
#pragma once

/* child_fault "pfw": a read-only page here is written; the parent makes it
 * writable and resumes the thread, which then exits with the byte. */
#define PFW_ADDR 0x20000000ull
#define PFW_BYTE 0x5a
/* child_work "hold": how much it holds before spinning. */
#define HOLD_DUPS    100
#define HOLD_THREADS 4
#define HOLD_MEM     (1ull << 20)
/* child_work "bigcall": its message (a kernel allocation, charged). */
#define BIGCALL_LEN 4096
/* child_work "hog": mapping step. */
#define HOG_CHUNK (64ull << 10)
/* child_work "vmo:H": status bit when a write was refused. */
#define VMO_WRITE_DENIED 0x100
/* child_grant: what the parent writes at word 0 of the granted page, what
 * the child answers at word 1; in "wait" mode the child puts its mapping
 * address at word 2 and then touches the page until it faults. */
#define GRANT_MAGIC_P 0x706172656e74ull
#define GRANT_MAGIC_C 0x6368696c64ull
/* child_quota: status words (8 bytes each) in the memory object it gets,
 * and what "give" sends. */
#define QS_COUNT     0
#define QS_DONE      1
#define QS_ERR       2
#define QS_SPINNERS  8
#define QS_GIVE_SIZE (256ull << 10)
#define QS_MAGIC     0x71756f7461ull
/* child_fault "pgr H": maps the (pager-backed) memory object H read-only
 * here and exits with its first byte. "pgq H N": creates an N-page pager
 * object on the send endpoint H (key PGQ_KEY), sends a handle to it on H,
 * maps it and writes every page; exits 0 if it could (it should not: its
 * quota is smaller). */
#define PGR_ADDR 0x30000000ull
#define PGQ_KEY  0x7071ull
