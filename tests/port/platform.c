/*
 * The minimal port's platform: every function hook of docs/porting.md,
 * and nothing mm/ does not ask for.  Built -ffreestanding -nostdlib: no C
 * library, no libgcc beyond what the compiler emits calls to (listed in
 * the document), the only contact with the host one write(2) and one
 * exit(2) system call (port_write, port_exit).
 *
 * Memory: the heap's pages are a static array (port_region) used at
 * their own addresses, as a kernel without translation, or libkheap over
 * Linux, would; frames are the numbers mm/frame.c hands out over a
 * made-up physical range.  The page table is an array of (state, frame)
 * pairs, one a page; mmu_set checks that no frame is mapped at two pages
 * at once, and fills a page whose frame goes with POISON, so a heap that
 * read a released page would see it.  One CPU, no interrupts, no faults
 * (MMU_EAGER): nothing here needs a lock.
 */
#include "tests/port/port.h"
#include "mm/pagestate.h"
#include "mm/trace.h"

uint8_t port_region[PORT_PAGES * PAGE_SIZE] __attribute__((aligned(4096)));
static struct { uint8_t state; pfn_t frame; } table[PORT_PAGES];
static uint16_t mapped_at[PORT_FRAMES_MAX];	/* page index + 1 holding the frame, 0: none */
unsigned port_misuses, port_trace_lines, port_errors, port_meta_pages;

/* --- the console: the port's two system calls ------------------------ */

void port_write(const char *s, size_t n)
{
	long ret;

	__asm__ volatile("syscall" : "=a"(ret) : "a"(1L), "D"(1L), "S"(s), "d"(n)
			 : "rcx", "r11", "memory");
	(void)ret;
}

__attribute__((noreturn)) void port_exit(int status)
{
	for (;;)
		__asm__ volatile("syscall" : : "a"(60L), "D"((long)status) : "rcx", "r11", "memory");
}

static void say(const char *prefix, const char *fmt, va_list ap)
{
	char line[256];
	int n = snprintf(line, sizeof(line), "%s", prefix);

	n += vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	port_write(line, (size_t)n);
}

/*
 * --- memory and strings ----------------------------------------------
 * The port's own, not src/lib.c's: that file defines more (memmove,
 * strcmp, strchr, ...), which would let mm/ link a call the document
 * does not list.  src/printf.c defines vsnprintf and snprintf alone.
 */

void *memset(void *dst, int c, size_t n)
{
	uint8_t *d = dst;

	while (n--)
		*d++ = (uint8_t)c;
	return dst;
}

void *memcpy(void *dst, const void *src, size_t n)
{
	uint8_t *d = dst;
	const uint8_t *s = src;

	while (n--)
		*d++ = *s++;
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const uint8_t *x = a, *y = b;

	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

/* --- the page table ---------------------------------------------------- */

static long page_of(uintptr_t va)
{
	uintptr_t base = (uintptr_t)port_region;

	return va >= base && va - base < sizeof(port_region) ? (long)((va - base) / PAGE_SIZE) : -1;
}

unsigned mmu_state(uintptr_t va)
{
	long i = page_of(va);

	return i < 0 ? PS_UNUSABLE : table[i].state;
}

pfn_t mmu_frame(uintptr_t va)
{
	long i = page_of(va);

	return i >= 0 && pagestate_has_frame(table[i].state) ? table[i].frame : PFN_NONE;
}

/* The frame comes off page i: its contents go. */
static void unmap(long i)
{
	mapped_at[table[i].frame] = 0;
	memset(port_region + (size_t)i * PAGE_SIZE, POISON, PAGE_SIZE);
}

static void map(long i, pfn_t f)
{
	if (f >= PORT_FRAMES_MAX || mapped_at[f])
		panic("port: frame %#lx mapped at page %ld and page %d", (unsigned long)f, i,
		      f < PORT_FRAMES_MAX ? mapped_at[f] - 1 : -1);
	mapped_at[f] = (uint16_t)(i + 1);
}

/*
 * A page keeps its frame (and its bytes) from PRESENT to KEPT and back;
 * any other change of frame unmaps the old one and maps the new.
 */
void mmu_set(uintptr_t va, unsigned state, pfn_t frame)
{
	long i = page_of(va);
	bool had, has, same;

	if (i < 0)
		panic("port: mmu_set outside the region at %#lx", (unsigned long)va);
	had = pagestate_has_frame(table[i].state);
	has = pagestate_has_frame(state);
	same = had && has && frame == table[i].frame;
	if (had && !same)
		unmap(i);
	if (has && !same)
		map(i, frame);
	table[i].state = (uint8_t)state;
	table[i].frame = frame;
}

/* Only the fault path calls them, and nothing faults here: say so if it does. */
bool mmu_set_if(uintptr_t va, unsigned from, unsigned to, pfn_t frame)
{
	panic("port: mmu_set_if(%#lx, %u, %u, %#lx) on a platform without faults", (unsigned long)va,
	      from, to, (unsigned long)frame);
}

void mmu_zero_page(uintptr_t va)
{
	panic("port: mmu_zero_page(%#lx) on a platform without faults", (unsigned long)va);
}

/* Only frame_zero_ahead calls them, and nothing here does: say so if it happens. */
bool mmu_zero_frame(pfn_t f)
{
	panic("port: mmu_zero_frame(%#lx) without frame_zero_ahead or a second CPU", (unsigned long)f);
}

bool mmu_frame_is_zero(pfn_t f)
{
	panic("port: mmu_frame_is_zero(%#lx) with no frame zeroed ahead", (unsigned long)f);
}

/* --- CPUs: one ------------------------------------------------------------ */

unsigned platform_cpus_online(void) { return 1; }
/* Only the fault path with several CPUs calls it: say so if it happens. */
void mmu_invalidate_local(uintptr_t va)
{
	panic("port: mmu_invalidate_local(%#lx) with one CPU and no faults", (unsigned long)va);
}
/* No other CPU holds a TLB entry: nothing to wait for. */
void platform_tlb_shootdown(void) { }
/* A spinlock poll: with one CPU a lock is never found held. */
void platform_spin_wait(void) { }

/* --- diagnostics --------------------------------------------------------- */

void klog(int level, const char *fmt, ...)
{
	va_list ap;

	if (level == LOG_ERROR)
		port_errors++;
	if (level > LOG_WARN)
		return;
	va_start(ap, fmt);
	say(level == LOG_ERROR ? "port: error: " : "port: warning: ", fmt, ap);
	va_end(ap);
}

int kprintf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say("port: ", fmt, ap);
	va_end(ap);
	return 0;
}

void panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say("port: PANIC: ", fmt, ap);
	va_end(ap);
	port_exit(2);
}

/*
 * The idle pass says these metadata bytes hold zeros: a port with nothing
 * to give back ignores them; this one zeroes them (a byte that was not
 * zero is lost, as it would be to an unmapping) and counts the pages.
 */
void platform_meta_release(void *addr, size_t len)
{
	memset(addr, 0, len);
	port_meta_pages += len / PAGE_SIZE;
}

/* The entries here are the port's MMU (AOW is not zero in them): they stay. */
void platform_state_release(uintptr_t va, size_t n)
{
	(void)va;
	(void)n;
}

/* The heap reported a misuse and is unchanged: count it, carry on. */
void platform_misuse(void) { port_misuses++; }

/* No symbol table here: the bare address. */
void ksym_format(uintptr_t addr, char *buf, size_t len)
{
	snprintf(buf, len, "%#lx", (unsigned long)addr);
}

static bool has_newline(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == '\n')
			return true;
	return false;
}

/* Trace lines are counted, and must each be one whole line. */
void trace_out(const char *line, size_t len)
{
	if (len == 0 || line[len - 1] != '\n' || has_newline(line, len - 1))
		panic("port: trace_out given %zu bytes that are not one line", len);
	port_trace_lines++;
}
