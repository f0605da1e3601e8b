/* Handle rights. A handle carries a subset of these; duplicating can keep
 * or drop rights, never add them. Which rights matter depends on the
 * object (docs/objects-and-handles.md has the table). */
#pragma once

#define RIGHT_READ      (1u << 0)  /* read state / contents */
#define RIGHT_WRITE     (1u << 1)  /* change contents */
#define RIGHT_MAP       (1u << 2)  /* map a memory object (its READ/WRITE rights bound the mapping) */
#define RIGHT_EXECUTE   (1u << 3)  /* map a memory object executable */
#define RIGHT_TRANSFER  (1u << 4)  /* move the handle to another task (IPC) */
#define RIGHT_DUPLICATE (1u << 5)  /* make another handle to the same object */
#define RIGHT_MANAGE    (1u << 6)  /* control: kill, create threads in, map into, set quotas */
#define RIGHT_SIGNAL    (1u << 7)  /* raise signals / notification bits */
#define RIGHT_WAIT      (1u << 8)  /* wait for the object's end or signals */

#define RIGHTS_ALL      0x1ffu
#define RIGHTS_BASIC    (RIGHT_TRANSFER | RIGHT_DUPLICATE | RIGHT_WAIT)
#define RIGHT_SAME      0x80000000u /* handle_dup: keep the rights as they are */
