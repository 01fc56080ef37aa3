/*
 * Fatal diagnostics.  Output (one field per line, key=value where a
 * script reads it; docs/faults.md):
 *
 *   FATAL: page fault
 *     address=0x... error=0x2 (not-present write supervisor)
 *     what: write to MMIO area 'framebuffer' at offset 0x1000
 *                                        (the owner of the address, mm/owner.h;
 *                                         of the EIP for other exceptions)
 *     why: ...                           (when the caller knows)
 *     eip=0x... <function+0xoff>
 *     page=0x... state=UNUSABLE pde=0x... pte=0x...   (#PF and #DF)
 *     eax=... ebx=... ecx=... edx=...
 *     esi=... edi=... ebp=... esp=...
 *     eflags=... cs=... vector=... error=...
 *   backtrace:
 *     #0 0x... function+0xoff            (the faulting EIP, then callers)
 *
 * Nothing here allocates; reading a bad frame pointer is avoided by
 * checking that the stack page is mapped before each step.
 */
#include "fault/diag.h"
#include "fault/fault.h"
#include "arch/x86/layout.h"
#include "arch/x86/mmu.h"
#include "mm/pagestate.h"
#include "mm/owner.h"
#include "src/lib.h"
#include "src/log.h"
#include "src/power.h"
#include "src/ksyms.h"

extern char __text_start[], __text_end[];

void diag_decode_pf_error(uint32_t err, char *buf, size_t len)
{
	snprintf(buf, len, "%s %s %s%s%s",
		 err & PF_P ? "protection" : "not-present",
		 err & PF_I ? "fetch" : err & PF_W ? "write" : "read",
		 err & PF_U ? "user" : "supervisor",
		 err & PF_RSVD ? " reserved-bit" : "",
		 "");
}

static bool readable(uintptr_t va)
{
	return mmu_kernel_mapped(va);
}

static bool in_text(uintptr_t a)
{
	return a >= (uintptr_t)__text_start && a < (uintptr_t)__text_end;
}

/* Walk the frame-pointer chain from ebp, numbering from n. */
static void walk(uintptr_t ebp, int n)
{
	uintptr_t last = 0;
	int repeats = 0;
	char sym[96];

	for (int steps = 0; steps < 64 && ebp; steps++) {
		uintptr_t *frame = (uintptr_t *)ebp;
		uintptr_t ret;

		if ((ebp & 3) || !readable(ebp) || !readable(ebp + 4)) {
			kprintf("  (frame pointer %#lx is not on a mapped kernel stack)",
				(unsigned long)ebp);
			return;
		}
		ret = frame[1];
		if (!ret)
			break;
		if (ret == last) {
			repeats++;
		} else {
			if (repeats)
				kprintf("  ... %d more frames at the same address", repeats);
			repeats = 0;
			ksym_format(ret, sym, sizeof(sym));
			kprintf("  #%d %#lx %s", n++, (unsigned long)ret, sym);
		}
		last = ret;
		if (frame[0] && frame[0] <= ebp) {
			kprintf("  (frame chain does not go up the stack: %#lx)",
				(unsigned long)frame[0]);
			return;
		}
		ebp = frame[0];
	}
	if (repeats)
		kprintf("  ... %d more frames at the same address", repeats);
}

void diag_backtrace(uintptr_t ebp)
{
	kprintf("backtrace:");
	walk(ebp, 0);
}

/*
 * From a trap frame: the faulting EIP first, then, when the word on top
 * of the stack is a code address the frame chain does not start with,
 * that word marked '?' (gcc gives leaf functions no frame, so their
 * caller is only found there), then the chain.
 */
static void backtrace_tf(const struct trapframe *tf, uintptr_t esp)
{
	char sym[96];
	int n = 1;

	kprintf("backtrace:");
	ksym_format(tf->eip, sym, sizeof(sym));
	kprintf("  #0 %#lx %s", (unsigned long)tf->eip, sym);
	if (readable(esp) && readable(tf->ebp + 4)) {
		uintptr_t top = *(uintptr_t *)esp;

		if (in_text(top) && top != ((uintptr_t *)tf->ebp)[1]) {
			ksym_format(top, sym, sizeof(sym));
			kprintf("  #%d %#lx %s ?", n++, (unsigned long)top, sym);
		}
	}
	walk(tf->ebp, n);
}

static void dump(const struct trapframe *tf, uintptr_t esp)
{
	char sym[96];
	uintptr_t page = tf->cr2 & ~(uintptr_t)(PAGE_SIZE - 1);

	ksym_format(tf->eip, sym, sizeof(sym));
	kprintf("  eip=0x%08lx <%s>", (unsigned long)tf->eip, sym);
	if (tf->vector == T_PAGE || tf->vector == T_DOUBLE)
		kprintf("  page=0x%08lx state=%s pde=0x%08lx pte=0x%08lx",
			(unsigned long)page, pagestate_name(mmu_state(page)),
			(unsigned long)mmu_pde(page), (unsigned long)mmu_pte(page));
	kprintf("  eax=%08lx ebx=%08lx ecx=%08lx edx=%08lx",
		(unsigned long)tf->eax, (unsigned long)tf->ebx,
		(unsigned long)tf->ecx, (unsigned long)tf->edx);
	kprintf("  esi=%08lx edi=%08lx ebp=%08lx esp=%08lx",
		(unsigned long)tf->esi, (unsigned long)tf->edi,
		(unsigned long)tf->ebp, (unsigned long)esp);
	kprintf("  eflags=%08lx cs=%04lx vector=%lu error=%#lx",
		(unsigned long)tf->eflags, (unsigned long)tf->cs,
		(unsigned long)tf->vector, (unsigned long)tf->err);
}

bool diag_pf_is_fetch(const struct trapframe *tf)
{
	return (tf->err & PF_I) || tf->cr2 == tf->eip;
}

/* The access a fault made. */
static enum owner_access pf_access(const struct trapframe *tf)
{
	if (diag_pf_is_fetch(tf))
		return OA_EXEC;
	return tf->err & PF_W ? OA_WRITE : OA_READ;
}

/* "what:": who owns the faulting address (#PF) or the faulting instruction. */
static void print_owner(const struct trapframe *tf)
{
	char what[160];

	if (tf->vector == T_PAGE)
		owner_describe(tf->cr2, pf_access(tf), what, sizeof(what));
	else
		owner_describe(tf->eip, OA_EXEC, what, sizeof(what));
	kprintf("  what: %s", what);
}

void diag_fatal(const struct trapframe *tf, const char *why)
{
	static int reporting;

	if (reporting++) {
		kprintf("FATAL: %s while reporting a fatal fault (eip=%#lx cr2=%#lx); stopping",
			trap_name(tf->vector), (unsigned long)tf->eip, (unsigned long)tf->cr2);
		poweroff(1);
	}
	kprintf("FATAL: %s", trap_name(tf->vector));
	if (tf->vector == T_PAGE) {
		char err[64];

		diag_decode_pf_error(tf->err, err, sizeof(err));
		kprintf("  address=0x%08lx error=%#lx (%s)", (unsigned long)tf->cr2,
			(unsigned long)tf->err, err);
	}
	print_owner(tf);
	if (why)
		kprintf("  why: %s", why);
	dump(tf, tf_esp(tf));
	backtrace_tf(tf, tf_esp(tf));
	poweroff(1);
}

/* A guard page at esp or just below it (esp may not have moved past it yet), copied to *g. */
static bool guard_near(uintptr_t esp, struct owner *g)
{
	for (uintptr_t d = 0; d <= 64; d += 64)
		if (owner_find_copy(esp - d, g) && g->kind == OW_GUARD)
			return true;
	return false;
}

void diag_double_fault(const struct trapframe *tf, uintptr_t esp)
{
	diag_double_fault_on(tf, esp, NULL);
}

void diag_double_fault_on(const struct trapframe *tf, uintptr_t esp, const char *cpu)
{
	struct owner guard;
	const struct owner *g = guard_near(esp, &guard) ? &guard : NULL;
	char what[160];

	kprintf("FATAL: double fault");
	if (cpu)
		kprintf("  cpu: %s", cpu);
	if (g)
		kprintf("  why: kernel stack overflow: esp=%#lx is at the guard page %#lx-%#lx %s",
			(unsigned long)esp, (unsigned long)g->start,
			(unsigned long)(g->start + g->size), g->name);
	else
		kprintf("  why: an exception while delivering another (esp=%#lx)",
			(unsigned long)esp);
	kprintf("  address=0x%08lx (cr2)", (unsigned long)tf->cr2);
	owner_describe(tf->cr2, OA_WRITE, what, sizeof(what));	/* the push that faulted */
	kprintf("  what: %s", what);
	dump(tf, esp);
	backtrace_tf(tf, esp);
	poweroff(1);
}
