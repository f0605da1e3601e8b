/* Kernel log. Each record is one line "[sssss.uuuuuu] L message\n" written
 * to the console and appended to a byte ring. Readers track a byte sequence
 * number, so a reader that falls behind loses the oldest bytes (counted)
 * but never reads torn data written after its copy began. */
#include <kern/arch.h>
#include <kern/lib.h>
#include <kern/log.h>
#include <kern/spinlock.h>

#define LOG_RING_SIZE (64 * 1024) /* power of two */

static char ring[LOG_RING_SIZE];
static uint64_t head;    /* sequence number of the next byte */
static uint64_t dropped; /* bytes readers missed */
static spinlock_t log_lock = SPINLOCK_INIT;
static enum log_level console_level = LOG_INFO;
/* Set once a panic starts: locks are skipped so a CPU that faulted while
 * holding log_lock can still report. */
static volatile int panicking;

static const char level_char[] = {'E', 'W', 'I', 'D'};

static unsigned long lock_log(void)
{
	if (panicking)
		return arch_irq_save();
	return spin_lock_irqsave(&log_lock);
}

static void unlock_log(unsigned long flags)
{
	if (panicking)
		arch_irq_restore(flags);
	else
		spin_unlock_irqrestore(&log_lock, flags);
}

static void ring_put(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ring[(head + i) & (LOG_RING_SIZE - 1)] = s[i];
	head += n;
}

void log_set_console_level(enum log_level lvl)
{
	console_level = lvl;
}

static void vlog(enum log_level lvl, const char *fmt, va_list ap)
{
	char line[512];
	uint64_t us = arch_clock_ns() / 1000;
	int n = ksnprintf(line, sizeof(line), "[%5llu.%06llu] %c ",
			  (unsigned long long)(us / 1000000),
			  (unsigned long long)(us % 1000000),
			  level_char[lvl <= LOG_DEBUG ? lvl : LOG_DEBUG]);
	int m = kvsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	size_t len = (size_t)n + (size_t)m;
	if (len > sizeof(line) - 2)
		len = sizeof(line) - 2; /* truncated: keep the newline */
	if (len == 0 || line[len - 1] != '\n')
		line[len++] = '\n';

	unsigned long flags = lock_log();
	ring_put(line, len);
	if (lvl <= console_level)
		arch_console_write(line, len);
	unlock_log(flags);
}

void klog(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(lvl, fmt, ap);
	va_end(ap);
}

void kprintf(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int n = kvsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 1)
		n = sizeof(buf) - 1;
	unsigned long flags = lock_log();
	arch_console_write(buf, (size_t)n);
	unlock_log(flags);
}

size_t log_read(uint64_t *pos, char *buf, size_t len)
{
	unsigned long flags = lock_log();
	uint64_t oldest = head > LOG_RING_SIZE ? head - LOG_RING_SIZE : 0;
	if (*pos < oldest) {
		dropped += oldest - *pos;
		*pos = oldest;
	}
	if (*pos > head)
		*pos = head;
	size_t n = (size_t)MIN((uint64_t)len, head - *pos);
	for (size_t i = 0; i < n; i++)
		buf[i] = ring[(*pos + i) & (LOG_RING_SIZE - 1)];
	*pos += n;
	unlock_log(flags);
	return n;
}

uint64_t log_head(void)
{
	return READ_ONCE(head);
}

uint64_t log_dropped(void)
{
	return READ_ONCE(dropped);
}

void panic(const char *fmt, ...)
{
	static int depth;
	arch_irq_save();
	if (__atomic_fetch_add(&depth, 1, __ATOMIC_SEQ_CST) > 0) {
		/* A panic inside the panic report (or on another CPU): stop
		 * here, the first report is the useful one. */
		arch_exit(false);
	}
	panicking = 1;
	arch_stop_others();
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	kvsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	klog(LOG_ERR, "PANIC on cpu %u: %s", arch_cpu_id(), buf);
	arch_dump_stack();
	arch_dump_others();
	arch_exit(false);
}
