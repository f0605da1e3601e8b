/* The reaper (kernel/task/reaper.c): task teardown and freeing, queued to
 * a kernel thread so that it never nests and never runs in the
 * scheduler's switch path. */
#pragma once

struct task;

/* Starts the reaper thread (kmain; before it, work runs inline). */
void reaper_start(void);
/* t's last reference is gone: free it (task_free_now) on the reaper. */
void reaper_free(struct task *t);
/* t may be a never-run task nobody can reach: end it there
 * (task_end_unreachable). Takes its own reference. */
void reaper_end(struct task *t);
