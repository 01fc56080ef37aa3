/*
 * The fixed owners of kernel virtual space (src/owners.h), from the
 * linker's symbols (arch/x86/linker.ld, arch/x86/boot.S).  Nodes come
 * from the owner index's static pool; a refusal is reported there and
 * the boot goes on (a diagnostic would only be less precise).
 */
#include "src/owners.h"
#include "mm/owner.h"
#include "arch/x86/layout.h"

extern char __kernel_start[], __rodata_start[], __data_start[], __bss_start[], __bss_end[],
	__kernel_end[], boot_stack_guard[], boot_stack_bottom[], boot_stack_top[];

static void add(const void *start, const void *end, unsigned kind, const char *name)
{
	owner_register((uintptr_t)start, (size_t)((uintptr_t)end - (uintptr_t)start), kind, name);
}

void owners_boot_init(void)
{
	add(__kernel_start, __rodata_start, OW_IMAGE, ".text");
	add(__rodata_start, __data_start, OW_IMAGE, ".rodata");
	add(__data_start, __bss_start, OW_IMAGE, ".data");
	add(__bss_start, __bss_end, OW_IMAGE, ".bss");
	add(__bss_end, __kernel_end, OW_IMAGE, ".ksyms");
	add(boot_stack_guard, boot_stack_bottom, OW_GUARD, "below the stack of the boot CPU");
	add(boot_stack_bottom, boot_stack_top, OW_STACK, "the boot CPU");
	owner_register(0, PAGE_SIZE, OW_GUARD, "at address 0 (a null pointer)");
	owner_register(PT_WINDOW, PT_WINDOW_SIZE, OW_WIRED,
		       "page tables (the recursive window)");
}
