/*
 * Per-CPU GDTs and TSSes, the GS and FS bases and the shared 256-gate IDT
 * (arch/x86/percpu_64.h).  The boot CPU keeps gdt_64.c's GDT and TSS; an
 * application processor's are built here by gdt_load, its IST stack the
 * one src/smp.c gave it.  Nothing is freed: CPUs never go away.
 */
#include "arch/x86/percpu_64.h"
#include "arch/x86/cpu.h"
#include "src/lib.h"

#define SEL_KCODE	0x08
#define MSR_FS_BASE	0xC0000100
#define MSR_GS_BASE	0xC0000101

struct dtr { uint16_t limit; uint64_t base; } __attribute__((packed));

struct percpu percpu[CPU_MAX];
static uint64_t idt[256 * 2];		/* a gate is two quadwords */

static void load_idt(void)
{
	struct dtr d = { sizeof(idt) - 1, (uintptr_t)idt };

	__asm__ volatile("lidt %0" : : "m"(d));
}

void percpu_set_gate(unsigned vec, void (*entry)(void))
{
	uint64_t off = (uintptr_t)entry;

	idt[2 * vec] = (off & 0xFFFF) | ((uint64_t)SEL_KCODE << 16) |
		       ((uint64_t)0x8E << 40) | ((off >> 16) & 0xFFFF) << 48;
	idt[2 * vec + 1] = off >> 32;
}

/* %gs:0 is c's from here on, and %fs:0 its magazine cache's (0 until mag_init names it). */
static void use_percpu(struct percpu *c)
{
	c->self = c;
	wrmsr(MSR_GS_BASE, (uintptr_t)c);
	wrmsr(MSR_FS_BASE, (uintptr_t)c->cache);
}

void percpu_init_boot(void)
{
	struct dtr i;

	__asm__ volatile("sidt %0" : "=m"(i));
	memcpy(idt, (void *)i.base, MIN((size_t)i.limit + 1, sizeof(idt)));
	use_percpu(&percpu[0]);
	load_idt();
}

void percpu_enter(unsigned cpu)
{
	struct percpu *c = &percpu[cpu];

	c->id = cpu;
	gdt_load(c->gdt, &c->tss, c->df_stack_top);
	use_percpu(c);
	load_idt();
}

/*
 * The cache's address for cache_current, and cpu's FS base for the hits:
 * now when cpu is this CPU, else when it starts (percpu_enter).
 */
void cache_set_current(unsigned cpu, void *cache)
{
	percpu[cpu].cache = cache;
	if (cpu == cpu_id())
		wrmsr(MSR_FS_BASE, (uintptr_t)cache);
}
