/* call_on_stack for i386: the argument goes on the new stack (cdecl). */
#ifndef ARCH_X86_STACK_32_H
#define ARCH_X86_STACK_32_H

static inline uint32_t call_on_stack(uintptr_t top, stack_fn fn, uint32_t arg)
{
	uint32_t r, d;

	__asm__ volatile("mov %%esp, %%ebx\n\t"
			 "mov %[top], %%esp\n\t"
			 "push %%ecx\n\t"
			 "call *%[fn]\n\t"
			 "mov %%ebx, %%esp"
			 : "=a"(r), "+c"(arg), "=d"(d)
			 : [top] "S"(top), [fn] "D"(fn)
			 : "ebx", "memory", "cc");
	return r;
}

#endif
