/*
 * What mm/ needs from the platform it runs on: the one glue header.
 *
 * mm/ is arch-neutral C built for three platforms: the i386 kernel
 * (arch/x86 supplies a real MMU, src/ the log and panic), the host test
 * programs (arch/host supplies a simulated MMU over a mmap'd region), and
 * libkheap.so, malloc for Linux programs (arch/lib: a Linux mapping whose
 * pages the kernel backs, MMU_EAGER).  The build picks the platform by
 * include path: "arch_glue.h" is arch/x86/arch_glue.h, arch/host/arch_glue.h,
 * arch/lib/arch_glue.h or the minimal port's tests/port/arch_glue.h, and
 * provides, as macros and inlines (or declares, for a platform that links
 * them: the MMU reads on the host, the lock pair in libkheap):
 *
 *   unsigned long irq_save(void); void irq_restore(unsigned long);
 *   uint64_t cycles(void);          rdtsc where there is one; may be 0 always
 *   PAGE_SIZE, PAGE_SHIFT
 *   unsigned mmu_state(uintptr_t va);   the page's state (mm/pagestate.h),
 *                                       PS_UNUSABLE when no page table
 *   pfn_t mmu_frame(uintptr_t va);      the mapped frame, or PFN_NONE
 *   PHYS_ADDR_END (optional)            the end of the physical memory the
 *                                       platform can map; the frame database
 *                                       stops there (default 4 GiB: i386
 *                                       without PAE; x86_64 sets 16 TiB,
 *                                       the reach of a 32-bit pfn_t)
 *   MMU_EAGER                           1 where no fault tells the heap a page
 *                                       was written (a Linux process's own
 *                                       pages): committed pages turn PRESENT
 *                                       at once; 0 where faults do
 *
 * (the two MMU reads are inline in the kernel: the fault path uses them).
 *
 *   CPU_MAX, unsigned cpu_id(void)  the CPUs: the number of this one
 *                                   (< CPU_MAX; 0 where there is one)
 *   optionally irq_lock_mine()      where threads share a CPU number and
 *                                   irq_save is a lock among them
 *                                   (libkheap): true if the caller holds
 *                                   it (spin_held, mm/spinlock.h)
 *
 * and what "the current cache" of the magazine layer (mm/magazine.h) is
 * (the slabs' owners too, mm/slab.h):
 *
 *   unsigned long cache_pin(void); void cache_unpin(unsigned long);
 *                                   keep the current cache ours for a few
 *                                   instructions (interrupts off in the
 *                                   kernel; nothing where a cache is a
 *                                   thread's own)
 *   either MAG_NCACHES and unsigned cache_id(void)
 *                                   caches are an array indexed by
 *                                   cache_id() < MAG_NCACHES: the CPU's
 *                                   number in the kernel (cpu_id()), a
 *                                   switch on the host
 *   or MAG_CACHE_PER_THREAD         each thread has its cache (libkheap),
 *                                   and the platform defines
 *                                   platform_cache_joined() below
 *   optionally CACHE_CURRENT        with MAG_NCACHES: void *cache_current(void)
 *                                   and cache_set_current(id, cache), the
 *                                   current cache in one load (the kernel's
 *                                   per-CPU segment)
 *   optionally KHEAP_FAST_ABI       an attribute for kmalloc's and kfree's
 *                                   calling convention (below)
 *   optionally CACHE_RESTART        the hits as restartable sections
 *                                   (cache_restart_pop, cache_restart_push:
 *                                   arch/x86/restart.h); the platform's
 *                                   interrupt entry rewinds one it
 *                                   interrupts, and the hits take no pin;
 *                                   a section is given the class's offset
 *                                   in the current cache and finds the
 *                                   cache itself (the kernel: the base of
 *                                   a per-CPU segment)
 *
 * Everything else is declared here (and trace_out in mm/trace.h) and
 * defined by the platform, but for mmu_ensure_table, which mm/ never
 * calls: the kernel's own code does, before it hands mm/ a range.  The
 * whole list with each hook's contract, and what a platform does at boot,
 * is docs/porting.md; scripts/check-port holds it to what mm/ links.
 */
#ifndef MM_PLATFORM_H
#define MM_PLATFORM_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdarg.h>

typedef uint32_t pfn_t;			/* physical frame number */
#define PFN_NONE ((pfn_t)-1)

#include "arch_glue.h"

#ifndef PHYS_ADDR_END
#define PHYS_ADDR_END 0x100000000ull
#endif

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

void klog(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* One whole line, whatever the log level (figures asked for). */
int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
__attribute__((noreturn, format(printf, 1, 2))) void panic(const char *fmt, ...);
/*
 * After a misuse of the heap (an invalid or double free) has been
 * reported: the kernel and the test host carry on (the heap is unchanged);
 * a malloc built on the heap for Linux programs aborts, as C libraries do.
 */
void platform_misuse(void);
/*
 * MAG_CACHE_PER_THREAD platforms: a thread's cache has taken its first
 * magazine (heap lock held); the platform arranges for mag_cache_leave(c)
 * when the thread exits.
 */
struct mag_cache;
void platform_cache_joined(struct mag_cache *c);
/*
 * MAG_CACHE_PER_THREAD platforms, heap lock held (the idle and
 * alloc-failed passes): keep c's thread out of its fast paths until the
 * heap lock is let go, true if it is out now (not inside one), so its
 * loaded magazines may be emptied; false if that cannot be had (the
 * platform cannot stop threads, or c's thread is inside and stays).
 */
bool platform_cache_stop(struct mag_cache *c);
/*
 * A spinlock waiter's pause between polls (mm/spinlock.h): the kernel
 * also answers TLB shootdowns there; nothing on the host and in libkheap.
 */
void platform_spin_wait(void);
/*
 * The idle pass (heap lock held): the len bytes of heap metadata at addr,
 * whole pages, hold only zeros and no write to them is pending; the
 * platform may drop their backing, so long as they read as zeros after
 * (Linux: MADV_DONTNEED).  Nothing, where the metadata is wired (the
 * kernels).
 */
void platform_meta_release(void *addr, size_t len);
/*
 * The idle pass (heap lock held): the n pages at va, a free run of the
 * region, are AOW and stay so until the next mmu_set of one of them; a
 * platform that keeps its page states in demand-zero memory where AOW
 * reads as zero may drop the whole pages of entries they cover, so long
 * as mmu_state still says AOW after (libkheap).  Nothing where the
 * entries are the MMU's (the kernels, the host's simulation).
 */
void platform_state_release(uintptr_t va, size_t n);
/* Write "name+0xoff" (or the bare address) for a code address into buf. */
void ksym_format(uintptr_t addr, char *buf, size_t len);

void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * KASSERT(cond): an invariant the code relies on.  Checked when MM_DEBUG
 * is nonzero (the default for every build but benchmarks); a failure
 * panics naming the file, line and condition.
 */
#ifndef MM_DEBUG
#define MM_DEBUG 1
#endif
#define KASSERT(cond) do {						\
	if (MM_DEBUG && __builtin_expect(!(cond), 0))			\
		panic("assertion failed: %s at %s:%d", #cond, __FILE__, __LINE__); \
} while (0)

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

#define CALLER() ((uintptr_t)__builtin_return_address(0))

/*
 * KHEAP_FAST_ABI: the calling convention of the four fast entries
 * (kmalloc, kfree, kheap_malloc_from, kheap_free_from: mm/kheap.h).  A
 * platform whose every caller is compiled against mm/kheap.h may name a
 * cheaper one than its C ABI (the i386 kernel: regparm(3), arguments in
 * registers); the default is the C ABI.
 */
#ifndef KHEAP_FAST_ABI
#define KHEAP_FAST_ABI
#endif

/*
 * The MMU, one page at a time.  The platform encodes the page state
 * (mm/pagestate.h) in the page-table entry itself: on x86 in PTE bits 9-11.
 * Only mm/pagestate.c calls mmu_set, and only mm/pagestate_int.h's
 * page_fault_install (the fault path) mmu_set_if.  An address given to
 * them, to the reads and to mmu_zero_page stands for its page: any
 * address in it will do (the fault path passes the faulting one).
 */
/*
 * Write the entry for va (state, frame) and invalidate its TLB entry.
 * A platform may make it and mmu_set_if inline: its glue then names the
 * header that defines both (MMU_SET_INLINE), which mm/pagestate_int.h
 * includes.
 */
#ifndef MMU_SET_INLINE
void mmu_set(uintptr_t va, unsigned state, pfn_t frame);
/*
 * The same, if va's entry is still in state `from`, as one atomic step
 * (a compare-and-swap); false, and nothing written, when another CPU
 * changed it first.  The fault path's install: two CPUs faulting one page
 * map one frame.
 */
bool mmu_set_if(uintptr_t va, unsigned from, unsigned to, pfn_t frame);
#endif
/* CPUs running (1 on the host and in libkheap). */
unsigned platform_cpus_online(void);
/* Drop this CPU's TLB entry for va (a fault that another CPU resolved first). */
void mmu_invalidate_local(uintptr_t va);
/*
 * TLB shootdown: when it returns, every other CPU has dropped the TLB
 * entries it held, so a frame whose mapping was changed before the call
 * may be reused (docs/scavenger.md, "TLB shootdown").  Nothing where there
 * is one CPU (the host, libkheap: Linux keeps its own TLBs right).
 */
void platform_tlb_shootdown(void);
/* Make sure a page table covers va; false if no frame for it (not called by mm/). */
bool mmu_ensure_table(uintptr_t va);
/* Zero the (mapped, writable) page at va: the fault path's, never called where MMU_EAGER. */
void mmu_zero_page(uintptr_t va);
/*
 * Zero frame f, which nothing maps, through this CPU's own window, and
 * check that f reads as zero.  Two callers: the pre-zeroing of free
 * frames and its audit (mm/frame.c), and the fault path with more than
 * one CPU, which zeroes a frame before any page maps it (a page mapped
 * first and zeroed after could take another CPU's write in between, and
 * lose it).  Any CPU, any context: the window is the CPU's, and its use
 * runs with interrupts off.  True when f now reads as zero: the kernel
 * maps f at the window for the while; where frames have no contents of
 * their own (the host's simulation, whose pages read as zero when they
 * get a frame) it does nothing and says true.  False where there is no
 * window (libkheap, where neither caller runs): the fault path then
 * maps, then zeroes through the mapping.
 */
bool mmu_zero_frame(pfn_t f);
bool mmu_frame_is_zero(pfn_t f);

#endif
