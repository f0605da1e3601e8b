/* The kernel calls sh uses (SYS_OBJECT_NOTIFY, SYS_TASK_STATS) are in
 * syscall.h and sys.h now; this header only keeps the includes. */
#pragma once
#include <execrt/syscall.h>
#ifndef HOST_TEST
#include <execrt/sys.h>
#endif
