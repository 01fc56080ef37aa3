/*
 * What the #PF stub's fast path (isr14 in arch/x86/isr_32.S and
 * isr_64.S) shares with C, for assembly and C alike: the page-fault
 * error-code bits (fault/fault.h names them for C), the ones that rule
 * out a demand fault, and where each CPU's fault depth lives in its
 * struct percpu (arch/x86/percpu_32.h, percpu_64.h: checked there).
 *
 * The depth is 0 outside the fault path and 1 inside it (the stub's fast
 * path, or page_fault): a page fault that finds it 1 is a fault inside
 * the fault path, which page_fault reports and never handles.
 *
 * Context: the depth is this CPU's, read and written with interrupts off
 * (the #PF gate clears IF), by one instruction through %fs (i386) or %gs
 * (x86_64).
 */
#ifndef ARCH_X86_FAULT_ENTRY_H
#define ARCH_X86_FAULT_ENTRY_H

#define PF_P    0x01	/* the page was present (protection violation) */
#define PF_W    0x02	/* write access */
#define PF_U    0x04	/* user mode */
#define PF_RSVD 0x08	/* reserved bit set in an entry */
#define PF_I    0x10	/* instruction fetch */
#define PF_NOT_DEMAND (PF_U | PF_RSVD | PF_I)	/* never a demand fault on a heap page */

#define PERCPU_FAULT_DEPTH 4	/* offsetof(struct percpu, fault_depth), both widths */

#ifndef __ASSEMBLY__
#define FAULT_DEPTH_STR_(x) #x
#define FAULT_DEPTH_STR(x) FAULT_DEPTH_STR_(x)
#ifdef CONFIG_X86_64
#define FAULT_DEPTH_AT "%%gs:" FAULT_DEPTH_STR(PERCPU_FAULT_DEPTH)
#else
#define FAULT_DEPTH_AT "%%fs:" FAULT_DEPTH_STR(PERCPU_FAULT_DEPTH)
#endif

static inline unsigned fault_depth_get(void)
{
	unsigned d;

	__asm__ volatile("movl " FAULT_DEPTH_AT ", %0" : "=r"(d));
	return d;
}

static inline void fault_depth_set(unsigned d)
{
	__asm__ volatile("movl %0, " FAULT_DEPTH_AT : : "ri"(d) : "memory");
}
#endif

#endif
