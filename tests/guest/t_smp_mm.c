/* Address spaces on several CPUs: unmap, protect and grant revoke of a page
 * while a thread of the task uses it on another CPU (it must fault right
 * after the call returns and never see the page's frame through a stale
 * translation), and TLB shootdowns reaching only the CPUs that run the
 * address space (per-CPU counters of SYS_SCHED_CPU_INFO).
 *
 * The racing thread runs in a child task made here, without a program:
 * a few instructions (below) are copied into a page of the child, so the
 * loop is known exactly. Its faults come to this task (fault handler),
 * which checks the address and resumes it once the page is back. */
#include <string.h>

#include "gtest.h"
#include "gutil.h"

#define WAIT_NS	   (5000 * MS)
#define PF_WRITE   (1u << 1)
#define PF_PRESENT 1u

/* The child's fixed layout. */
#define CODE_VA	  0x10000000ull
#define SHARED_VA 0x10010000ull
#define STACK_VA  0x10020000ull
#define DATA_VA	  0x10100000ull

#define TAG    0x7a61000000000000ull /* values written into the data page */
#define POISON 0x0bad000000000000ull /* written after the page is gone */

/* The child's loops; rdi = the shared page: [0] the data page's address,
 * [1] the last value read, [2] a counter of iterations (writer: also the
 * value written). */
extern const char smpmm_code[], smpmm_reader[], smpmm_writer[], smpmm_spin[],
	smpmm_reader_yield[], smpmm_yield[], smpmm_code_end[];
__asm__(".pushsection .rodata.smpmm,\"a\"\n"
	"smpmm_code:\n"
	"smpmm_reader:\n"
	"1: movq (%rdi), %rax\n"
	"   movq (%rax), %rcx\n" /* the racing read */
	"   movq %rcx, 8(%rdi)\n"
	"   incq 16(%rdi)\n"
	"   pause\n"
	"   jmp 1b\n"
	"smpmm_writer:\n"
	"2: movq (%rdi), %rax\n"
	"   movq 16(%rdi), %rcx\n"
	"   incq %rcx\n"
	"   movq %rcx, (%rax)\n" /* the racing write */
	"   movq %rcx, 16(%rdi)\n"
	"   pause\n"
	"   jmp 2b\n"
	"smpmm_spin:\n"
	"3: incq 16(%rdi)\n"
	"   pause\n"
	"   jmp 3b\n"
	/* The same reader and spinner, but yielding (SYS_YIELD = 5) after
	 * every pass: two of them on one CPU switch address spaces all the
	 * time. r12 survives the system call. */
	"smpmm_reader_yield:\n"
	"   movq %rdi, %r12\n"
	"4: movq (%r12), %rax\n"
	"   movq (%rax), %rcx\n"
	"   movq %rcx, 8(%r12)\n"
	"   incq 16(%r12)\n"
	"   movl $5, %eax\n"
	"   syscall\n"
	"   jmp 4b\n"
	"smpmm_yield:\n"
	"   movq %rdi, %r12\n"
	"5: incq 16(%r12)\n"
	"   movl $5, %eax\n"
	"   syscall\n"
	"   jmp 5b\n"
	"smpmm_code_end:\n"
	".popsection\n");

struct rig {
	handle_t task, th, vcode, vshared, vdata;
	volatile uint64_t *sh;	 /* this task's view of the shared page */
	volatile uint64_t *data; /* and of the data page */
	const char *entry;
	unsigned cpu;
};

static long map_req(handle_t task, handle_t vmo, uint64_t addr, uint64_t len,
		    uint32_t prot, uint32_t flags, uint64_t *out)
{
	struct vm_map_req req = {addr, len, 0, prot, flags};
	uint64_t got = 0;
	return sys_vm_map(task, vmo, &req, out ? out : &got);
}

static long map_here(handle_t vmo, volatile uint64_t **p)
{
	uint64_t a = 0;
	long r = map_req(g_self(), vmo, 0, PAGE, VM_PROT_READ | VM_PROT_WRITE,
			 0, &a);
	*p = (volatile uint64_t *)a;
	return r;
}

static long map_data(struct rig *r)
{
	return map_req(r->task, r->vdata, DATA_VA, PAGE,
		       VM_PROT_READ | VM_PROT_WRITE, VM_MAP_FIXED, NULL);
}

/* A child task with the code, shared and stack pages and (with_data) the
 * data page at DATA_VA, and a thread (not started) placed on cpu. */
static long rig_make(struct rig *r, const char *entry, unsigned cpu,
		     int with_data)
{
	memset(r, 0, sizeof(*r));
	r->entry = entry;
	r->cpu = cpu;
	r->task = r->th = r->vcode = r->vshared = r->vdata = HANDLE_INVALID;
	long e;
	uint64_t len = (uint64_t)(smpmm_code_end - smpmm_code);
	struct sched_params be = {.cls = SCHED_CLASS_BE, .cpu = (int32_t)cpu};
	if ((e = sys_task_create(g_self(), "smpmm", 5, 4ull << 20, &r->task)) ||
	    (e = sys_vmo_create(PAGE, &r->vcode)) ||
	    (e = sys_vmo_create(PAGE, &r->vshared)) ||
	    (e = sys_vmo_create(PAGE, &r->vdata)) ||
	    (e = sys_vmo_write(r->vcode, smpmm_code, 0, len)) ||
	    (e = map_req(r->task, r->vcode, CODE_VA, PAGE,
			 VM_PROT_READ | VM_PROT_EXEC, VM_MAP_FIXED, NULL)) ||
	    (e = map_req(r->task, r->vshared, SHARED_VA, PAGE,
			 VM_PROT_READ | VM_PROT_WRITE, VM_MAP_FIXED, NULL)) ||
	    (e = map_req(r->task, HANDLE_INVALID, STACK_VA, PAGE,
			 VM_PROT_READ | VM_PROT_WRITE, VM_MAP_FIXED, NULL)) ||
	    (with_data && (e = map_data(r))) ||
	    (e = map_here(r->vshared, &r->sh)) ||
	    (e = map_here(r->vdata, &r->data)) ||
	    (e = sys_task_set_fault_handler(r->task, 1)) ||
	    (e = sys_thread_create(r->task, "race", 4, &r->th)) ||
	    (e = sys_sched_set(g_sched(), r->th, &be)))
		return e;
	r->sh[0] = DATA_VA;
	return 0;
}

static long rig_start(struct rig *r)
{
	return sys_thread_start(r->th,
				CODE_VA + (uint64_t)(r->entry - smpmm_code),
				STACK_VA + PAGE, SHARED_VA);
}

static void rig_free(struct rig *r)
{
	if (r->task != HANDLE_INVALID) {
		sys_task_kill(r->task, 0);
		int64_t st;
		sys_object_wait(r->task, g_now() + WAIT_NS, &st);
	}
	if (r->sh)
		sys_vm_unmap(g_self(), (uint64_t)r->sh, PAGE);
	if (r->data)
		sys_vm_unmap(g_self(), (uint64_t)r->data, PAGE);
	handle_t hs[] = {r->th, r->task, r->vcode, r->vshared, r->vdata};
	for (unsigned i = 0; i < sizeof(hs) / sizeof(hs[0]); i++)
		if (hs[i] != HANDLE_INVALID)
			sys_handle_close(hs[i]);
	memset(r, 0, sizeof(*r));
}

/* Waits until *p == want (or, with at_least, *p >= want). */
static int wait_for(volatile uint64_t *p, uint64_t want, int at_least)
{
	uint64_t end = g_now() + WAIT_NS;
	while (at_least ? *p < want : *p != want) {
		if (g_now() > end)
			return 0;
		sys_yield();
	}
	return 1;
}

/* The CPU the racing thread goes on: another than this thread's when
 * there is one. */
static unsigned other_cpu(void)
{
	return g_ncpus() > 1 ? 1 : 0;
}

/* Rounds are bounded by count and time: one IPI can take milliseconds
 * under TCG on a loaded host. */
#define ROUNDS	   100
#define ROUND_TIME (3000 * MS)

struct tally {
	unsigned rounds, stale, bad_fault, errors, unseen;
};

static void print_tally(const char *what, const struct tally *t)
{
	printf("    %s: %u rounds on %u CPUs, %u stale, %u bad faults, %u "
	       "errors\n",
	       what, t->rounds, g_ncpus(), t->stale, t->bad_fault, t->errors);
}

/* Rounds of: the reader sees the page's value, the page is unmapped, the
 * frame gets a new value; the reader must fault at the page and not have
 * read the new value. The page is mapped back and the reader resumed. */
static void unmap_rounds(struct rig *r, struct tally *t)
{
	uint64_t end = g_now() + ROUND_TIME;
	for (uint64_t i = 1; i <= ROUNDS && g_now() < end; i++) {
		r->data[0] = TAG | i;
		if (!wait_for(&r->sh[1], TAG | i, 0)) {
			t->unseen++;
			break;
		}
		/* The reader's CPU holds DATA_VA -> the frame. After the
		 * unmap returns, the frame gets a value no read may see. */
		long u = sys_vm_unmap(r->task, DATA_VA, PAGE);
		r->data[0] = POISON | i;
		struct fault_report rep;
		long w = sys_fault_wait(r->task, g_now() + WAIT_NS, &rep);
		t->stale += r->sh[1] == (POISON | i);
		t->errors += u != 0 || w != 0;
		if (w)
			break;
		t->bad_fault += rep.vector != 14 || rep.addr != DATA_VA ||
				(rep.error & PF_PRESENT);
		t->errors += map_data(r) != 0 ||
			     sys_fault_resume(r->task, rep.thread_koid) != 0;
		t->rounds++;
	}
}

GTEST(smp_mm_unmap_races_a_reader)
{
	gtest_allow_growth();
	struct rig r;
	struct tally t = {0};
	long e = rig_make(&r, smpmm_reader, other_cpu(), 1);
	if (!e)
		e = rig_start(&r);
	if (!e)
		unmap_rounds(&r, &t);
	print_tally("unmap", &t);
	rig_free(&r);
	GCHECK_OK(e);
	GCHECK_EQ(t.unseen, 0);
	GCHECK_EQ(t.errors, 0);
	GCHECK_EQ(t.stale, 0);
	GCHECK_EQ(t.bad_fault, 0);
	GCHECK(t.rounds >= 5);
}

/* The same while the reader's CPU keeps switching between this task and
 * another one (both yield after every pass): CPUs join and leave the
 * space's mask while shootdowns are in flight. */
GTEST(smp_mm_unmap_races_space_switches)
{
	gtest_allow_growth();
	struct rig r, b;
	struct tally t = {0};
	uint64_t switches = 0;
	long e = rig_make(&r, smpmm_reader_yield, other_cpu(), 1);
	long eb = rig_make(&b, smpmm_yield, other_cpu(), 0);
	if (!e && !eb && !(e = rig_start(&r)) && !(e = rig_start(&b))) {
		uint64_t b0 = b.sh[2];
		unmap_rounds(&r, &t);
		switches = b.sh[2] - b0; /* B's passes: switches away from A */
	}
	print_tally("unmap, switching", &t);
	printf("    the other task yielded %llu times meanwhile\n",
	       (unsigned long long)switches);
	rig_free(&r);
	rig_free(&b);
	GCHECK_OK(e);
	GCHECK_OK(eb);
	GCHECK_EQ(t.unseen, 0);
	GCHECK_EQ(t.errors, 0);
	GCHECK_EQ(t.stale, 0);
	GCHECK_EQ(t.bad_fault, 0);
	GCHECK(t.rounds >= 5);
	GCHECK(switches > 0);
}

GTEST(smp_mm_protect_races_a_writer)
{
	gtest_allow_growth();
	struct rig r;
	struct tally t = {0};
	long e = rig_make(&r, smpmm_writer, other_cpu(), 1);
	if (!e)
		e = rig_start(&r);
	uint64_t end = g_now() + ROUND_TIME;
	for (unsigned i = 1; !e && i <= ROUNDS && g_now() < end; i++) {
		if (!wait_for(&r.sh[2], r.sh[2] + 2, 1)) {
			t.unseen++;
			break;
		}
		/* Read-only from the return on: no write may land after. */
		long p = sys_vm_protect(r.task, DATA_VA, PAGE, VM_PROT_READ);
		uint64_t v1 = r.data[0];
		struct fault_report rep;
		long w = sys_fault_wait(r.task, g_now() + WAIT_NS, &rep);
		uint64_t v2 = r.data[0];
		t.stale += v1 != v2;
		t.errors += p != 0 || w != 0;
		if (w)
			break;
		t.bad_fault += rep.vector != 14 || rep.addr != DATA_VA ||
			       !(rep.error & PF_WRITE) ||
			       !(rep.error & PF_PRESENT);
		t.errors += sys_vm_protect(r.task, DATA_VA, PAGE,
					   VM_PROT_READ | VM_PROT_WRITE) != 0 ||
			    sys_fault_resume(r.task, rep.thread_koid) != 0;
		t.rounds++;
	}
	print_tally("protect", &t);
	rig_free(&r);
	GCHECK_OK(e);
	GCHECK_EQ(t.unseen, 0);
	GCHECK_EQ(t.errors, 0);
	GCHECK_EQ(t.stale, 0);
	GCHECK_EQ(t.bad_fault, 0);
	GCHECK(t.rounds >= 5);
}

/* Rounds of: a grant of this task's view of rs[0]'s data page is mapped
 * at DATA_VA in every child, each reader sees the value, the grant is
 * revoked and the frame gets a new value; every reader must fault there
 * and none may have read the new value. */
static long revoke_rounds(struct rig *rs, unsigned nr, struct tally *t)
{
	uint64_t end = g_now() + ROUND_TIME, suspended[2] = {0, 0};
	volatile uint64_t *data = rs[0].data;
	long e = 0;
	for (uint64_t i = 1; !e && i <= ROUNDS && g_now() < end; i++) {
		handle_t g = HANDLE_INVALID;
		if ((e = sys_grant_create(g_self(), (uint64_t)data, PAGE,
					  VM_PROT_READ | VM_PROT_WRITE, &g)))
			break;
		data[0] = TAG | i;
		for (unsigned k = 0; k < nr && !e; k++) {
			uint64_t at = 0;
			e = sys_grant_map(rs[k].task, g, VM_PROT_READ, DATA_VA,
					  &at);
			if (!e && at != DATA_VA)
				e = -1000;
			if (!e)
				e = suspended[k]
					    ? sys_fault_resume(rs[k].task,
							       suspended[k])
					    : rig_start(&rs[k]);
		}
		for (unsigned k = 0; k < nr && !e; k++)
			if (!wait_for(&rs[k].sh[1], TAG | i, 0))
				t->unseen++;
		long v = sys_grant_revoke(g);
		data[0] = POISON | i;
		sys_handle_close(g);
		t->errors += v != 0;
		for (unsigned k = 0; k < nr && !e && !t->unseen; k++) {
			struct fault_report rep;
			long w = sys_fault_wait(rs[k].task, g_now() + WAIT_NS,
						&rep);
			t->stale += rs[k].sh[1] == (POISON | i);
			t->errors += w != 0;
			if (w) {
				e = w;
				break;
			}
			t->bad_fault += rep.vector != 14 ||
					rep.addr != DATA_VA ||
					(rep.error & PF_PRESENT);
			suspended[k] = rep.thread_koid;
		}
		if (t->unseen)
			break;
		t->rounds += !e;
	}
	return e;
}

GTEST(smp_mm_revoke_races_a_reader)
{
	gtest_allow_growth();
	struct rig r;
	struct tally t = {0};
	long e = rig_make(&r, smpmm_reader, other_cpu(), 0);
	if (!e)
		e = revoke_rounds(&r, 1, &t);
	print_tally("revoke", &t);
	rig_free(&r);
	GCHECK_OK(e);
	GCHECK_EQ(t.unseen, 0);
	GCHECK_EQ(t.errors, 0);
	GCHECK_EQ(t.stale, 0);
	GCHECK_EQ(t.bad_fault, 0);
	GCHECK(t.rounds >= 5);
}

/* One revoke, two tasks using the grant, on two other CPUs when there
 * are: both must have stopped using the frame when it returns. */
GTEST(smp_mm_revoke_races_readers_in_two_tasks)
{
	gtest_allow_growth();
	unsigned n = g_ncpus();
	struct rig rs[2];
	struct tally t = {0};
	long e = rig_make(&rs[0], smpmm_reader, n > 1 ? 1 : 0, 0);
	long e1 = rig_make(&rs[1], smpmm_reader, n > 2 ? 2 : n - 1, 0);
	if (!e && !e1)
		e = revoke_rounds(rs, 2, &t);
	print_tally("revoke, two tasks", &t);
	rig_free(&rs[0]);
	rig_free(&rs[1]);
	GCHECK_OK(e);
	GCHECK_OK(e1);
	GCHECK_EQ(t.unseen, 0);
	GCHECK_EQ(t.errors, 0);
	GCHECK_EQ(t.stale, 0);
	GCHECK_EQ(t.bad_fault, 0);
	GCHECK(t.rounds >= 5);
}

static uint64_t user_ipis(unsigned cpu)
{
	struct sched_cpu_info ci;
	if (sys_sched_cpu_info(g_telemetry(), cpu, &ci) < 0)
		return ~0ull;
	return ci.tlb_ipis_user;
}

/* Task A's reader runs on one CPU, task B's spinner on another; A's page
 * is protected back and forth from here. Only A's CPU may be asked to
 * flush: B's CPU, idle CPUs and this one (which does not run A) get no
 * request. The old code interrupted every CPU for every change. */
GTEST(smp_mm_shootdown_skips_unrelated_cpus)
{
	gtest_allow_growth();
	unsigned n = g_ncpus();
	if (n < 2) {
		printf("    1 CPU: no other CPU to spare\n");
		return;
	}
	unsigned cpu_a = n >= 3 ? 1 : 0, cpu_b = n >= 3 ? 2 : 1;
	struct rig a, b;
	long e = rig_make(&a, smpmm_reader, cpu_a, 1);
	long eb = rig_make(&b, smpmm_spin, cpu_b, 0);
	if (!e)
		e = rig_start(&a);
	if (!eb)
		eb = rig_start(&b);
	int running = !e && !eb && wait_for(&a.sh[2], 100, 1) &&
		      wait_for(&b.sh[2], 100, 1);
	uint64_t before[64], after[64];
	for (unsigned i = 0; i < n && i < 64; i++)
		before[i] = user_ipis(i);
	uint64_t b0 = b.sh[2];
	unsigned changes = 0, errors = 0;
	for (unsigned i = 0; running && i < 50; i++) {
		errors += sys_vm_protect(a.task, DATA_VA, PAGE, VM_PROT_READ) !=
			  0;
		errors += sys_vm_protect(a.task, DATA_VA, PAGE,
					 VM_PROT_READ | VM_PROT_WRITE) != 0;
		changes += 2;
	}
	for (unsigned i = 0; i < n && i < 64; i++)
		after[i] = user_ipis(i);
	/* B kept running (under TCG a vCPU may not have run in a short
	 * window, so wait for it to move on). */
	int b_ran = wait_for(&b.sh[2], b0 + 1, 1);
	rig_free(&a);
	rig_free(&b);
	GCHECK_OK(e);
	GCHECK_OK(eb);
	GCHECK(running);
	GCHECK_EQ(errors, 0);
	GCHECK(b_ran);
	printf("    %u changes to A's page: user-space flush requests per "
	       "CPU:",
	       changes);
	for (unsigned i = 0; i < n && i < 64; i++)
		printf(" %llu", (unsigned long long)(after[i] - before[i]));
	printf(" (A on CPU %u, B on CPU %u)\n", cpu_a, cpu_b);
	for (unsigned i = 0; i < n && i < 64; i++) {
		GCHECK(after[i] != ~0ull && before[i] != ~0ull);
		if (i != cpu_a)
			GCHECK_EQ(after[i] - before[i], 0);
	}
	/* A's own CPU, when it is not this one, is asked (the counter
	 * sees requests at all). */
	if (cpu_a != 0)
		GCHECK(after[cpu_a] - before[cpu_a] >= 1);
}
