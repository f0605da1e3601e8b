/* Task endings and freeing that never nest (kernel/task/reaper.c): done
 * flat by the thread that finds them, or by the reaper kernel thread when
 * found with interrupts off (the scheduler's switch path). */
#pragma once

struct task;

/* Starts the reaper thread (kmain; before it, work runs inline). */
void reaper_start(void);
/* t's last reference is gone: free it (task_free_now). */
void reaper_free(struct task *t);
/* t may be a never-run task nobody can reach: end it
 * (task_end_unreachable). Takes its own reference. */
void reaper_end(struct task *t);
/* Kernel stacks wait to be unmapped: the reaper thread runs
 * arch_kstack_reap(). Any context. */
void reaper_kick(void);
