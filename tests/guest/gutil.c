/* Helpers shared by the guest tests (gutil.h). */
#include <elf.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>

#include <execrt/cpio.h>
#include <execrt/elf_load.h>
#include <execrt/spawn.h>

#include "gutil.h"

const void *g_initrd_buf;
uint64_t g_initrd_len;

handle_t g_self(void)
{
	return execrt_handle(START_H_SELF_TASK);
}

handle_t g_console(void)
{
	return execrt_handle(START_H_CONSOLE);
}

handle_t g_sysinfo(void)
{
	return execrt_handle(START_H_SYSINFO);
}

unsigned g_ncpus(void)
{
	struct kernel_stats ks;
	return g_stats(&ks) < 0 ? 1 : (unsigned)ks.cpus_online;
}

handle_t g_sched(void)
{
	return execrt_handle(START_H_SCHED);
}

handle_t g_telemetry(void)
{
	return execrt_handle(START_H_TELEMETRY);
}

long g_set_be(handle_t th, uint32_t weight)
{
	struct sched_params p = {.cls = SCHED_CLASS_BE,
				 .weight = weight,
				 .cpu = SCHED_CPU_KEEP};
	return sys_sched_set(g_sched(), th, &p);
}

long g_set_rt(handle_t th, uint32_t prio, int rr, uint64_t quantum_ns)
{
	struct sched_params p = {.cls = SCHED_CLASS_RT,
				 .priority = prio,
				 .flags = rr ? SCHED_FLAG_RR : 0,
				 .quantum_ns = quantum_ns,
				 .cpu = SCHED_CPU_KEEP};
	return sys_sched_set(g_sched(), th, &p);
}

struct sched_params g_dl(uint64_t runtime, uint64_t deadline,
			 uint64_t period)
{
	return (struct sched_params){.cls = SCHED_CLASS_DL,
				     .runtime_ns = runtime,
				     .deadline_ns = deadline,
				     .period_ns = period,
				     .cpu = SCHED_CPU_KEEP};
}

long g_set_dl(handle_t th, uint64_t runtime, uint64_t deadline,
	      uint64_t period)
{
	struct sched_params p = g_dl(runtime, deadline, period);
	return sys_sched_set(g_sched(), th, &p);
}

long g_koid_stats(uint64_t koid, struct sched_thread_stats *out)
{
	long n = sys_sched_stats(g_telemetry(), koid - 1, out, 1);
	if (n < 0)
		return n;
	return n == 1 && out->koid == koid ? 0 : ERR_NOT_FOUND;
}

long g_thread_stats(handle_t th, struct sched_thread_stats *out)
{
	return g_koid_stats(g_koid(th), out);
}

void g_wait_blocked(handle_t th)
{
	uint64_t end = g_now() + 5000 * MS;
	struct sched_thread_stats s = {0};
	while (g_now() < end &&
	       (g_thread_stats(th, &s) || s.state != SCHED_TS_BLOCKED))
		sys_sleep_until(g_now() + MS);
}

int g_ipc_fastpath_on(void)
{
	static char text[4096];
	handle_t bi = execrt_handle(START_H_BOOTINFO);
	memset(text, 0, sizeof(text));
	if (sys_vmo_read(bi, text, 0, sizeof(text) - 1) < 0)
		return -1;
	return strstr(text, "ipc_fastpath=off") == NULL;
}

uint64_t g_ipc_fast_count(handle_t th)
{
	struct sched_thread_stats s;
	if (g_thread_stats(th, &s) < 0)
		return ~0ull;
	return s.ipc_fast;
}

uint64_t g_runtime(uint64_t koid)
{
	struct sched_thread_stats s;
	return g_koid_stats(koid, &s) < 0 ? 0 : s.runtime_ns;
}

void g_burn(uint64_t koid, uint64_t ns)
{
	uint64_t end = g_runtime(koid) + ns;
	while (g_runtime(koid) < end)
		;
}

void g_spin(uint64_t ns)
{
	uint64_t end = g_now() + ns;
	while (g_now() < end)
		;
}

handle_t g_initrd(void)
{
	return execrt_handle(START_H_INITRD);
}

long g_stats(struct kernel_stats *s)
{
	return sys_kernel_stats(g_sysinfo(), s);
}

uint64_t g_now(void)
{
	return (uint64_t)sys_clock_now();
}

void *g_map(uint64_t len)
{
	struct vm_map_req req = {.len = len,
				 .prot = VM_PROT_READ | VM_PROT_WRITE};
	uint64_t addr = 0;
	if (sys_vm_map(g_self(), HANDLE_INVALID, &req, &addr) < 0)
		return NULL;
	return (void *)addr;
}

void g_unmap(void *p, uint64_t len)
{
	if (p)
		sys_vm_unmap(g_self(), (uint64_t)p, len);
}

uint64_t g_unmapped_addr(void)
{
	void *p = g_map(PAGE);
	g_unmap(p, PAGE);
	return p ? (uint64_t)p : 0x0000700000000000ull;
}

handle_t g_dup(handle_t h, uint32_t rights)
{
	handle_t out = HANDLE_INVALID;
	if (sys_handle_dup(h, rights, &out) < 0)
		return HANDLE_INVALID;
	return out;
}

uint64_t g_koid(handle_t h)
{
	struct handle_info hi = {0};
	if (sys_handle_info(h, &hi) < 0)
		return 0;
	return hi.koid;
}

/* The initrd memory object copied into our memory once: the children's
 * images come from there. Kept for the whole run (before the baselines). */
long g_initrd_load(void)
{
	uint64_t size = 0;
	long r = sys_vmo_get_size(g_initrd(), &size);
	if (r < 0)
		return r;
	uint64_t len = (size + PAGE - 1) & ~(PAGE - 1);
	void *buf = g_map(len ? len : PAGE);
	if (!buf)
		return ERR_NO_MEMORY;
	r = sys_vmo_read(g_initrd(), buf, 0, size);
	if (r < 0)
		return r;
	g_initrd_buf = buf;
	g_initrd_len = size;
	return 0;
}

/* ---- threads ---- */

/* The program's TLS image (PT_TLS), found through the auxiliary vector. */
static struct {
	int known;
	uint64_t vaddr, filesz, memsz, align;
} tls;

static void find_tls(void)
{
	const Elf64_Phdr *ph = (const Elf64_Phdr *)getauxval(AT_PHDR);
	unsigned long n = getauxval(AT_PHNUM);
	tls.known = 1;
	tls.align = 1;
	for (unsigned long i = 0; ph && i < n; i++) {
		if (ph[i].p_type != PT_TLS)
			continue;
		tls.vaddr = ph[i].p_vaddr;
		tls.filesz = ph[i].p_filesz;
		tls.memsz = ph[i].p_memsz;
		tls.align = ph[i].p_align ? ph[i].p_align : 1;
	}
}

uint64_t g_tp(void)
{
	uint64_t tp;
	__asm__ __volatile__("mov %%fs:0, %0" : "=r"(tp));
	return tp;
}

struct gstart {
	int64_t (*fn)(uint64_t);
	uint64_t arg;
	uint64_t tp;
};

#define TCB_SIZE    256
#define GSTACK_SIZE (64 * 1024)
#define TCB_CANARY  0x28 /* where gcc's stack protector reads %fs */

/* First code of a new thread: no stack protector here, %fs is not set. */
__attribute__((no_stack_protector, noreturn)) static void
gthread_entry(struct gstart *s)
{
	sys_thread_set_tls(s->tp);
	sys_thread_exit(s->fn(s->arg));
}

long gthread_start(struct gthread *t, int64_t (*fn)(uint64_t), uint64_t arg)
{
	return gthread_start_sched(t, fn, arg, NULL);
}

long gthread_start_sched(struct gthread *t, int64_t (*fn)(uint64_t),
			 uint64_t arg, const struct sched_params *p)
{
	if (!tls.known)
		find_tls();
	/* Variant II (x86_64): the TLS block ends at the thread pointer,
	 * sized as musl sizes it; the TCB (self pointer, canary) follows. */
	uint64_t a = tls.align < 64 ? 64 : tls.align;
	uint64_t size =
		tls.memsz + ((-tls.memsz - tls.vaddr) & (tls.align - 1));
	uint64_t len =
		GSTACK_SIZE + ((size + a + TCB_SIZE + PAGE) & ~(PAGE - 1));
	uint8_t *m = g_map(len);
	if (!m)
		return ERR_NO_MEMORY;
	uint64_t tp = ((uint64_t)m + size + a - 1) & ~(a - 1);
	if (tls.filesz)
		memcpy((void *)(tp - size), (const void *)tls.vaddr,
		       tls.filesz);
	uint64_t canary;
	__asm__ __volatile__("mov %%fs:0x28, %0" : "=r"(canary));
	*(uint64_t *)tp = tp;
	*(uint64_t *)(tp + TCB_CANARY) = canary;

	uint64_t top = ((uint64_t)m + len) & ~15ull;
	struct gstart *s = (struct gstart *)(top - sizeof(*s) - 16);
	s = (struct gstart *)((uint64_t)s & ~15ull);
	*s = (struct gstart){fn, arg, tp};
	/* As after a call: rsp + 8 is 16-byte aligned at entry. */
	uint64_t rsp = (uint64_t)s - 8;

	t->map = (uint64_t)m;
	t->map_len = len;
	long r = sys_thread_create(g_self(), "gthread", 7, &t->h);
	if (r < 0)
		goto fail;
	t->koid = g_koid(t->h);
	if (p && (r = sys_sched_set(g_sched(), t->h, p)) < 0) {
		sys_handle_close(t->h);
		goto fail;
	}
	r = sys_thread_start(t->h, (uint64_t)gthread_entry, rsp, (uint64_t)s);
	if (r < 0) {
		sys_handle_close(t->h);
		goto fail;
	}
	return 0;
fail:
	g_unmap(m, len);
	t->h = HANDLE_INVALID;
	return r;
}

long gthread_join(struct gthread *t, uint64_t deadline, int64_t *status)
{
	int64_t st = 0;
	long r = sys_object_wait(t->h, deadline, &st);
	if (r < 0)
		return r;
	if (status)
		*status = st;
	sys_handle_close(t->h);
	g_unmap((void *)t->map, t->map_len);
	t->h = HANDLE_INVALID;
	return 0;
}

/* ---- child tasks ---- */

handle_t g_spawn_names = HANDLE_INVALID;
handle_t g_spawn_telemetry = HANDLE_INVALID;
handle_t g_spawn_sysinfo = HANDLE_INVALID;

long g_spawn(const char *prog, const char *args, uint64_t quota,
	     int fault_handler, struct child *c)
{
	return g_spawn_ex(prog, args, quota, fault_handler, HANDLE_INVALID, 0,
			  c);
}

/* args with "@" replaced by the value v. */
static void expand(char *out, size_t len, const char *prog, const char *args,
		   handle_t v)
{
	size_t n = (size_t)snprintf(out, len, "%s ", prog);
	for (const char *p = args; *p && n + 12 < len; p++) {
		if (*p == '@')
			n += (size_t)snprintf(out + n, len - n, "%u", v);
		else
			out[n++] = *p;
	}
	out[n < len ? n : len - 1] = 0;
}

long g_spawn_ex(const char *prog, const char *args, uint64_t quota,
		int fault_handler, handle_t extra, uint32_t rights,
		struct child *c)
{
	struct cpio_file f;
	char path[64];
	memset(c, 0, sizeof(*c));
	snprintf(path, sizeof(path), "bin/%s", prog);
	if (!g_initrd_buf ||
	    cpio_find(g_initrd_buf, g_initrd_len, path, &f) != CPIO_OK)
		return ERR_NOT_FOUND;
	struct execrt_child ch;
	long r = execrt_spawn_create(prog, quota, &ch);
	if (r < 0)
		return r;
	handle_t xv = HANDLE_INVALID;
	if (extra != HANDLE_INVALID &&
	    (r = sys_task_give_handle(ch.task, extra, rights, &xv)) < 0)
		goto fail;
	char cmdline[sizeof(((struct start_info *)0)->cmdline)];
	expand(cmdline, sizeof(cmdline), prog, args, xv);
	struct execrt_spawn_args a = {.image = f.data,
				      .image_len = f.size,
				      .cmdline = cmdline,
				      .quota = quota,
				      .fault_handler = fault_handler};
	a.give[START_H_CONSOLE] = g_console();
	a.give[START_H_NAMES] = g_spawn_names;
	a.give[START_H_TELEMETRY] = g_spawn_telemetry;
	a.give[START_H_SYSINFO] = g_spawn_sysinfo;
	int perr = 0;
	r = execrt_spawn_start(&ch, &a, &perr);
	if (r < 0) {
		printf("    spawn(%s): %s %s\n", prog, err_name(r),
		       perr ? elf_strerror(perr) : "");
		goto fail;
	}
	c->task = ch.task;
	c->thread = ch.thread;
	c->thread_koid = g_koid(c->thread);
	return 0;
fail:
	execrt_spawn_abort(&ch);
	return r;
}

long g_reap(struct child *c, uint64_t timeout_ns, int64_t *status)
{
	int64_t st = 0;
	long r = sys_object_wait(c->task, g_now() + timeout_ns, &st);
	if (r == ERR_TIMED_OUT) {
		sys_task_kill(c->task, -1);
		sys_object_wait(c->task, DEADLINE_NONE, &st);
	}
	if (status)
		*status = st;
	sys_handle_close(c->thread);
	sys_handle_close(c->task);
	memset(c, 0, sizeof(*c));
	return r;
}

uint32_t g_my_cpu(void)
{
	struct sched_params p;
	if (sys_sched_get(execrt_handle(START_H_SELF_THREAD), &p))
		return 0;
	return (uint32_t)p.cpu;
}

uint64_t g_all_cpus(void)
{
	unsigned n = g_ncpus();
	return n >= 64 ? ~0ull : (1ull << n) - 1;
}

long g_pin_self(void)
{
	return sys_sched_affinity(g_sched(), execrt_handle(START_H_SELF_THREAD),
				  1);
}
