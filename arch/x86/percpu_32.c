/*
 * Per-CPU GDTs, the %fs per-CPU segment, the %gs cache segment and the shared 256-gate IDT
 * (arch/x86/percpu_32.h).  The boot CPU's GDT is gdt_32.c's, copied and given
 * the per-CPU segment; an application processor's is built here, its
 * TSSes its own.  Nothing is freed: CPUs never go away.
 */
#include "arch/x86/percpu_32.h"
#include "arch/x86/cpu.h"
#include "src/lib.h"

#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_TSS   0x18
#define SEL_DFTSS 0x20

struct dtr { uint16_t limit; uint32_t base; } __attribute__((packed));

struct percpu percpu[CPU_MAX];
static uint64_t idt[256];
extern void double_fault_entry(void);

static uint64_t seg(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags)
{
	return (uint64_t)(limit & 0xFFFF) | ((uint64_t)(base & 0xFFFFFF) << 16) |
	       ((uint64_t)access << 40) | ((uint64_t)((limit >> 16) & 0xF) << 48) |
	       ((uint64_t)flags << 52) | ((uint64_t)(base >> 24) << 56);
}

static uint64_t percpu_seg(struct percpu *c)
{
	return seg((uint32_t)c, sizeof(*c) - 1, 0x92, 0x4);
}

/* %gs: flat from the cache on (4 GiB, so no offset wraps short), or one byte before it is set. */
static uint64_t cache_seg(void *cache)
{
	return cache ? seg((uint32_t)cache, 0xFFFFF, 0x92, 0xC) : seg(0, 0, 0x92, 0x4);
}

static void load_gdt(struct percpu *c)
{
	struct dtr d = { sizeof(c->gdt) - 1, (uint32_t)c->gdt };

	__asm__ volatile(
		"lgdt %0\n"
		"ljmp %1, $1f\n"
		"1: mov %2, %%ax\n"
		"mov %%ax, %%ds; mov %%ax, %%es; mov %%ax, %%ss\n"
		"mov %3, %%ax; mov %%ax, %%fs\n"
		"mov %4, %%ax; mov %%ax, %%gs\n"
		: : "m"(d), "i"(SEL_KCODE), "i"(SEL_KDATA), "i"(SEL_PERCPU), "i"(SEL_CACHE)
		: "eax", "memory");
}

static void load_idt(void)
{
	struct dtr d = { sizeof(idt) - 1, (uint32_t)idt };

	__asm__ volatile("lidt %0" : : "m"(d));
}

void percpu_set_gate(unsigned vec, void (*entry)(void))
{
	uint32_t off = (uint32_t)entry;

	idt[vec] = (off & 0xFFFF) | ((uint64_t)SEL_KCODE << 16) |
		   ((uint64_t)0x8E << 40) | ((uint64_t)(off >> 16) << 48);
}

/* The base address a segment descriptor holds. */
static uint32_t seg_base(uint64_t d)
{
	return (uint32_t)((d >> 16) & 0xFFFFFF) | (uint32_t)((d >> 56) << 24);
}

void percpu_init_boot(void)
{
	struct dtr g, i;
	struct percpu *c = &percpu[0];

	__asm__ volatile("sgdt %0; sidt %1" : "=m"(g), "=m"(i));
	memcpy(c->gdt, (void *)g.base, 5 * sizeof(uint64_t));
	memcpy(idt, (void *)i.base, MIN((size_t)i.limit + 1, sizeof(idt)));
	c->self = c;
	c->gdt[5] = percpu_seg(c);
	c->gdt[6] = cache_seg(c->cache);
	/* gdt_32.c's double-fault task must reach cpu_id() too: its %fs is ours */
	((struct tss *)seg_base(c->gdt[SEL_DFTSS / 8]))->fs = SEL_PERCPU;
	load_gdt(c);
	load_idt();
}

/* The double-fault task of c: interrupts off, on its own stack. */
static void make_df_tss(struct percpu *c)
{
	struct tss *t = &c->df_tss;

	t->iomap = sizeof(*t);
	t->eip = (uint32_t)double_fault_entry;
	t->esp = (uint32_t)c->df_stack_top;
	t->cs = SEL_KCODE;
	t->ss = t->ds = t->es = t->gs = SEL_KDATA;
	t->fs = SEL_PERCPU;
	t->eflags = 0x2;
	t->cr3 = read_cr3();
}

void percpu_enter(unsigned cpu)
{
	struct percpu *c = &percpu[cpu];

	c->id = cpu;
	c->self = c;
	c->tss.iomap = sizeof(c->tss);
	make_df_tss(c);
	memcpy(c->gdt, percpu[0].gdt, 3 * sizeof(uint64_t));
	c->gdt[3] = seg((uint32_t)&c->tss, sizeof(c->tss) - 1, 0x89, 0);
	c->gdt[4] = seg((uint32_t)&c->df_tss, sizeof(c->df_tss) - 1, 0x89, 0);
	c->gdt[5] = percpu_seg(c);
	c->gdt[6] = cache_seg(c->cache);
	load_gdt(c);
	__asm__ volatile("ltr %w0" : : "r"(SEL_TSS));
	load_idt();
}

/*
 * The cache's address for cache_current, and the base of cpu's %gs for
 * the hits: the descriptor now, and %gs reloaded when cpu is this CPU (a
 * CPU not yet started loads it in percpu_enter).
 */
void cache_set_current(unsigned cpu, void *cache)
{
	percpu[cpu].cache = cache;
	percpu[cpu].gdt[6] = cache_seg(cache);
	if (cpu == cpu_id())
		__asm__ volatile("mov %w0, %%gs" : : "r"(SEL_CACHE) : "memory");
}
