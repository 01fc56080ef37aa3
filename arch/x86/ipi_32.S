/*
 * Entries of the inter-processor interrupts (vectors in
 * arch/x86/smp_boot.h, gates set by src/smp.c through percpu_set_gate).
 * Interrupt gates: they run with interrupts off; %fs is the CPU's own.
 */
	.section .text

	/* VEC_WAKE: it only ends a hlt (src/smp.c); nothing to do but EOI. */
	.global ipi_wake_entry
ipi_wake_entry:
	pushl	%eax
	movl	lapic_mmio, %eax
	movl	$0, 0xB0(%eax)			/* LAPIC_EOI */
	popl	%eax
	iret

	/* VEC_SHOOTDOWN: drop this CPU's TLB and acknowledge (arch/x86/tlb.c). */
	.global ipi_shootdown_entry
ipi_shootdown_entry:
	pushal
	cld
	call	tlb_ipi
	popal
	iret

	/* VEC_SPURIOUS: no EOI, by the APIC's rules. */
	.global ipi_spurious_entry
ipi_spurious_entry:
	iret
