/*
 * Restartable sections: the magazine hits (mm/magazine_int.h) run with
 * interrupts on, and an interrupt that lands inside one is sent back to
 * its start (restart_rewind) before its handler can reach this CPU's
 * cache.  The idea is Bershad's restartable atomic sequences, as Linux's
 * rseq does it for user space; here the kernel's own entry does the
 * rewinding.
 *
 * A section is a few instructions of inline assembly that read what they
 * need (the round count, the magazine) into registers of their own, never
 * change their inputs, and end with the one store that commits
 * (the new round count).  Restarted from its first instruction it reads
 * everything again, so whatever a handler did to the cache meanwhile is
 * seen; once the commit store has run the instruction pointer is past the
 * section and nothing is undone.  Each copy of a section (the compiler
 * inlines and may duplicate them) writes its own [start, end) pair into
 * the restart_table section: the one source of the bounds, which the
 * linker scripts collect between __start_restart_table and
 * __stop_restart_table and the entry searches.
 *
 * Promises: cache_restart_pop and cache_restart_push leave the cache as
 * if they ran with interrupts off.  restart_rewind is called by every
 * entry whose handler can reach a cache (arch/x86/idt.c, the full #PF
 * path in fault/pagefault.c) before the handler runs; the stubs that never
 * reach one (the #PF stub's fast path, the IPI entries) do not call it,
 * and neither does #DB, so that single-stepping through a section ends
 * (tests/kernel/test_restart.c steps through them).
 * Context: the sections need no lock and any interrupt state; they reach
 * the current CPU's cache through the segment whose base is that cache
 * (CACHE_SEG), and the class's part of it by an offset computed before
 * them; the flat pointers they read inside (the magazine) are read again
 * on a restart.  A kernel thread never changes CPU (no preemption:
 * docs/smp.md).
 */
#ifndef ARCH_X86_RESTART_H
#define ARCH_X86_RESTART_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>

#ifdef CONFIG_X86_64
#define RESTART_PTR ".quad"
#else
#define RESTART_PTR ".long"
#endif

/* One section's bounds: the first instruction, and just past the commit. */
struct restart_range {
	uintptr_t start, end;
};

extern const struct restart_range __start_restart_table[], __stop_restart_table[];
extern bool restart_rewind_on;		/* the tests turn it off to show what it prevents */
extern unsigned long restart_rewinds;	/* interrupted sections sent back to their start */

/* The bounds of the section that 1: opens and 2: closes, in the table. */
#define RESTART_ENTRY							\
	"	.pushsection restart_table, \"a\"\n"			\
	"	.balign " RESTART_PTR_SIZE "\n"				\
	"	" RESTART_PTR " 1b, 2b\n"				\
	"	.popsection\n"
#ifdef CONFIG_X86_64
#define RESTART_PTR_SIZE "8"
#else
#define RESTART_PTR_SIZE "4"
#endif

/*
 * A pop from a byte-counted stack of pointers: at base (an offset in the
 * current cache's segment, CACHE_SEG: arch/x86/cpu_id_32.h, cpu_id_64.h)
 * a count byte at offset N and a pointer at M to an array (in flat
 * memory) whose slot 0 is at offset S0; the top slot into out and the
 * count less one stored (the commit), then the 32-bit counter at H
 * counted, outside the section (one add: an interrupt cannot split it).
 * A count of 0 jumps to miss.
 */
#define cache_restart_pop(base, N, M, S0, H, out, miss) do {		\
	unsigned long i_;						\
									\
	__asm__ volatile goto(							\
		"1:	movzbl " CACHE_SEG "%c[n](%[b]), %k[i]\n"		\
		"	test %k[i], %k[i]\n"				\
		"	jz %l[" #miss "]\n"				\
		"	mov " CACHE_SEG "%c[m](%[b]), %[o]\n"		\
		"	mov %c[s0]-%c[w](%[o],%[i],%c[w]), %[o]\n"	\
		"	dec %k[i]\n"					\
		"	movb %b[i], " CACHE_SEG "%c[n](%[b])\n"		\
		"2:\n"							\
		"	addl $1, " CACHE_SEG "%c[h](%[b])\n"		\
		RESTART_ENTRY						\
		: [o] "=&r"(out), [i] "=&q"(i_)				\
		: [b] "r"(base), [n] "i"(N), [m] "i"(M), [s0] "i"(S0),	\
		  [h] "i"(H), [w] "i"(sizeof(void *))			\
		: "memory", "cc"					\
		: miss);						\
} while (0)

/*
 * A push onto the same: p into the slot at the count and the count plus
 * one stored (the commit); a count at or above the byte at Z (the
 * stack's size) jumps to full.  The slot is written before the commit,
 * above the count, where no reader looks: a restart writes it again.
 */
#define cache_restart_push(base, N, M, S0, Z, p, full) do {		\
	unsigned long i_;						\
	void *t_;							\
									\
	__asm__ volatile goto(							\
		"1:	movzbl " CACHE_SEG "%c[n](%[b]), %k[i]\n"		\
		"	cmpb " CACHE_SEG "%c[z](%[b]), %b[i]\n"		\
		"	jae %l[" #full "]\n"				\
		"	mov " CACHE_SEG "%c[m](%[b]), %[t]\n"		\
		"	mov %[p], %c[s0](%[t],%[i],%c[w])\n"		\
		"	inc %k[i]\n"					\
		"	movb %b[i], " CACHE_SEG "%c[n](%[b])\n"		\
		"2:\n"							\
		RESTART_ENTRY						\
		: [t] "=&r"(t_), [i] "=&q"(i_)				\
		: [b] "r"(base), [p] "r"(p), [n] "i"(N), [m] "i"(M),	\
		  [s0] "i"(S0), [z] "i"(Z), [w] "i"(sizeof(void *))	\
		: "memory", "cc"					\
		: full);						\
} while (0)

/*
 * An interrupted instruction pointer *ip inside a section goes back to
 * the section's start (counted in restart_rewinds).  Called by an entry
 * before its handler runs.
 */
void restart_rewind(uintptr_t *ip);
/* The table: its n entries (the tests). */
const struct restart_range *restart_table(size_t *n);
/* The section holding ip, or NULL (the tests). */
const struct restart_range *restart_find(uintptr_t ip);

#endif
