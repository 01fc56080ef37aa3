/*
 * Entries of the inter-processor interrupts on x86_64 (vectors in
 * arch/x86/smp_boot.h, gates set by src/smp.c through percpu_set_gate).
 * Interrupt gates: they run with interrupts off; the GS base is the CPU's
 * own (nothing here loads %gs).
 */
#include "arch/x86/clobbered_64.h"

	.section .text

	/* VEC_WAKE: it only ends a hlt (src/smp.c); nothing to do but EOI. */
	.global ipi_wake_entry
ipi_wake_entry:
	push	%rax
	mov	lapic_mmio(%rip), %rax
	movl	$0, 0xB0(%rax)			/* LAPIC_EOI */
	pop	%rax
	iretq

	/*
	 * VEC_SHOOTDOWN: drop this CPU's TLB and acknowledge (arch/x86/tlb.c).
	 * The CPU aligned %rsp to 16 before its five-quadword frame; nine
	 * pushes more leave it aligned for the call.
	 */
	.global ipi_shootdown_entry
ipi_shootdown_entry:
	PUSH_CLOBBERED
	cld
	call	tlb_ipi
	POP_CLOBBERED
	iretq

	/* VEC_SPURIOUS: no EOI, by the APIC's rules. */
	.global ipi_spurious_entry
ipi_spurious_entry:
	iretq
