/*
 * kmain: bring the machine up, then run what the command line asks for:
 * a provoked fault ("crash=KIND"), then the first of the self-tests
 * ("test"), a stress run, the benchmarks (src/cmdline.c reports any later
 * one as having no effect), or else the demonstration.  Every path ends
 * in poweroff with a status.
 *
 * The command line is read in place in the Multiboot2 block, so it is
 * parsed and echoed before boot_mm_init unmaps the block.
 */
#include "src/lib.h"
#include "src/log.h"
#include "src/power.h"
#include "src/cmdline.h"
#include "src/multiboot2.h"
#include "src/boot_mm.h"
#include "src/crash.h"
#include "src/demo.h"
#include "src/bench.h"
#include "src/stress.h"
#include "src/smp.h"
#include "mm/kheap.h"
#include "mm/scavenge.h"
#include "mm/trace.h"
#include "mm/frame.h"
#include "arch/x86/trap.h"
#include "arch/x86/mmu.h"
#include "arch/x86/irq.h"
#include "arch/x86/layout.h"
#include "tests/ktest.h"

static struct boot_info bi;

/* Every ordinary end: the trace's last figures and snapshot, then off. */
__attribute__((noreturn)) static void finish(int status)
{
	kheap_print_stats();
	scavenge_print_stats();
	smp_print_stats();
	if (kopts.slabinfo)
		kheap_print_slabinfo();
	if (kopts.heapleaks)
		kheap_print_leaks();
	kheap_trace_stats();
	kheap_trace_snapshot("poweroff");
	poweroff(status);
}

static const char *mem_type_name(uint32_t t)
{
	static const char *const names[] = {
		"?", "available", "reserved", "ACPI reclaimable", "ACPI NVS", "bad RAM",
	};
	return t < ARRAY_SIZE(names) ? names[t] : "reserved";
}

static void load_boot_info(uint32_t mbi_phys)
{
	struct mb2_error err;
	uint32_t *hdr = boot_map_temp(mbi_phys, 8);
	uint32_t total = hdr[0];
	void *mbi = boot_map_temp(mbi_phys, total);

	if (!mbi)
		panic("multiboot2: info block of %u bytes at %#x exceeds the 64 KiB boot window",
		      (unsigned)total, (unsigned)mbi_phys);
	if (!mb2_parse(mbi, total, &bi, &err)) {
		if (err.type == MB2_NO_TAG)
			panic("multiboot2: malformed info block at offset %u: %s",
			      (unsigned)err.offset, err.what);
		panic("multiboot2: malformed tag type %u at offset %u: %s",
		      (unsigned)err.type, (unsigned)err.offset, err.what);
	}
}

/* The whole line, however long: one log line, past kprintf's buffer. */
static void echo_cmdline(const char *line)
{
	static const char pre[] = "command line: '", post[] = "'\n";
	unsigned long f = irq_save();

	log_write(pre, sizeof(pre) - 1);
	log_write(line, strlen(line));
	log_write(post, sizeof(post) - 1);
	irq_restore(f);
}

static void banner(void)
{
	kprintf("kheap: demand-paged kernel heap for %s", ARCH_NAME);
	kprintf("boot loader: %s", bi.loader[0] ? bi.loader : "(not named)");
	echo_cmdline(bi.cmdline);
	kprintf("memory map (%u entries):", (unsigned)bi.nmem);
	for (size_t i = 0; i < bi.nmem; i++)
		kprintf("  0x%09llx-0x%09llx %s", (unsigned long long)bi.mem[i].start,
			(unsigned long long)bi.mem[i].end, mem_type_name(bi.mem_type[i]));
	for (size_t i = 0; i < bi.nmods; i++)
		kprintf("module %#x-%#x %s", (unsigned)bi.mods[i].start,
			(unsigned)bi.mods[i].end, bi.mods[i].name);
}

void kmain(uint32_t mbi_phys)
{
	uint64_t t0 = cycles();		/* under QEMU -icount shift=0: guest instructions */

	gdt_init();
	idt_init();
	smp_init_boot();		/* before anything calls cpu_id() */
	load_boot_info(mbi_phys);
	cmdline_parse(bi.cmdline);
	log_set_level(kopts.loglevel);
	log_set_serial(kopts.serial);
	banner();
	boot_mm_init(&bi, mbi_phys, bi.total_size);
	bi.cmdline = NULL;		/* it pointed into the unmapped boot window */
	pic_init();
	pit_init(100);
	boot_heap_init();
	kprintf("boot: memory set up in %llu cycles (kmain to the heap's region reserved: "
		"frame database, page tables, page descriptors)", (unsigned long long)(cycles() - t0));
	__asm__ volatile("sti");
	smp_init(&bi);

	if (kopts.crash[0])
		crash_provoke(kopts.crash);
	if (kopts.test)
		finish(ktest_run(kopts.test_filter) ? 1 : 0);
	if (kopts.stress[0])
		finish(stress_run(kopts.stress, kopts.seed, kopts.ops, kopts.balloon, 0));
	if (kopts.bench) {
		bench_run();
		finish(kheap_check() ? 0 : 1);
	}
	demo_run();
	finish(kheap_check() && frame_audit() ? 0 : 1);
}
