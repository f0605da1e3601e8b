/* ps, mem and uptime: the pure half (no system calls; host-tested in
 * tests/host/test_sh_fmt.c). Formatters write into a caller buffer and
 * return the length the whole text would have had, like snprintf. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include <execrt/syscall.h>

#include "tl_format.h"

/* "512B", "4.0K", "12K", "1.5M", "64M", "2.0G". */
int ps_fmt_bytes(char *buf, size_t len, uint64_t b);

/* A task's CPU share between two samples (prev ascending by koid, as
 * SYS_TASK_STATS gives them), in tenths of a percent of one CPU. A task
 * not in prev counts all its runtime as the window's. */
uint32_t ps_task_permille(const struct task_stats *prev, size_t nprev,
			  const struct task_stats *cur, uint64_t dt_ns);

/* The same from the task's threads (deltas of SYS_SCHED_STATS, which
 * count a running thread's current slice; the task's own counter only
 * grows when a slice ends): the sum of their run time in the window. */
uint32_t ps_threads_permille(const struct tl_delta *d, size_t nd,
			     uint64_t task_koid, uint64_t dt_ns);

/* The fixed column titles, a task row and a thread row (indented, under
 * its task). */
int ps_fmt_header(char *buf, size_t len);
int ps_fmt_task(char *buf, size_t len, const struct task_stats *t,
		uint32_t permille);
int ps_fmt_thread(char *buf, size_t len, const struct tl_delta *d);

/* `mem`: the kernel's figures, several lines ending in '\n'. */
int ps_fmt_mem(char *buf, size_t len, const struct kernel_stats *k);

/* `uptime`: "up 0:01:02.345 (62345 ms)". */
int ps_fmt_uptime(char *buf, size_t len, uint64_t ns);
