/*
 * Log output.  Each call formats into a stack buffer and emits whole
 * lines with interrupts off, so lines from an interrupt handler never
 * land inside another line.
 */
#include "src/log.h"
#include "src/lib.h"
#include "arch/x86/cpu.h"
#include "arch/x86/irq.h"
#include "mm/trace.h"
#include "mm/spinlock.h"

#define DEBUGCON 0xE9
#define COM1	 0x3F8

static int log_level = LOG_INFO;
static bool log_serial;

void log_set_level(int level) { log_level = level; }

void log_set_serial(bool on)
{
	log_serial = on;
	if (!on)
		return;
	outb(COM1 + 1, 0x00);		/* no interrupts */
	outb(COM1 + 3, 0x80);		/* DLAB */
	outb(COM1 + 0, 0x01);		/* 115200 baud */
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03);		/* 8N1 */
	outb(COM1 + 2, 0xC7);		/* FIFO on */
}

void log_init(void) { }

static void serial_write(const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		while (!(inb(COM1 + 5) & 0x20))
			;
		outb(COM1, buf[i]);
	}
}

/* Whole lines from every CPU: one at a time to the ports. */
static struct spinlock log_spin = SPINLOCK_INIT(LOCK_LOG);

void log_write(const char *buf, size_t len)
{
	unsigned long f = spin_lock(&log_spin);

	outsb(DEBUGCON, buf, len);
	if (log_serial)
		serial_write(buf, len);
	spin_unlock(&log_spin, f);
}

/* mm/trace.h: trace lines share the debugcon port with the log. */
void trace_out(const char *line, size_t len)
{
	log_write(line, len);
}

static void log_vprintf(const char *prefix, const char *fmt, va_list ap)
{
	char line[512];
	size_t n = strlen(prefix);
	unsigned long flags;
	int len;

	memcpy(line, prefix, n);
	len = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	n += (size_t)len < sizeof(line) - n ? (size_t)len : sizeof(line) - n - 1;
	if (n && line[n - 1] != '\n') {
		if (n == sizeof(line) - 1)
			n--;		/* truncated: keep the line whole */
		line[n++] = '\n';
	}
	flags = irq_save();
	log_write(line, n);
	irq_restore(flags);
}

int kprintf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vprintf("", fmt, ap);
	va_end(ap);
	return 0;
}

void klog(int level, const char *fmt, ...)
{
	static const char *const prefix[] = {
		[LOG_ERROR] = "error: ", [LOG_WARN] = "warning: ",
		[LOG_INFO] = "", [LOG_DEBUG] = "debug: ",
	};
	va_list ap;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	log_vprintf(prefix[level], fmt, ap);
	va_end(ap);
}
