/*
 * call_on_stack for x86_64: the argument in EDI (SysV); RBX, callee-saved,
 * keeps the old stack pointer; every caller-saved register is clobbered.
 * top is 16-byte aligned by the caller (a page boundary).
 */
#ifndef ARCH_X86_STACK_64_H
#define ARCH_X86_STACK_64_H

static inline uint32_t call_on_stack(uintptr_t top, stack_fn fn, uint32_t arg)
{
	uint64_t r, di = arg, si = top;

	__asm__ volatile("mov %%rsp, %%rbx\n\t"
			 "mov %%rsi, %%rsp\n\t"
			 "call *%[fn]\n\t"
			 "mov %%rbx, %%rsp"
			 : "=a"(r), "+D"(di), "+S"(si)
			 : [fn] "r"(fn)
			 : "rbx", "rcx", "rdx", "r8", "r9", "r10", "r11", "memory", "cc");
	return (uint32_t)r;
}

#endif
