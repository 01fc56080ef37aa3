/*
 * The page-fault path.  page_fault() is entered from the #PF stub with
 * CR2 already saved in the frame, and dispatches on the faulting page's
 * state (mm/pagestate.h).  A fault taken while a fault is being handled
 * is reported once and stops the machine; it is never recursed into.
 */
#ifndef FAULT_FAULT_H
#define FAULT_FAULT_H

#include "arch/x86/trap.h"
#include "arch/x86/fault_entry.h"	/* PF_*: the error code's bits */

void page_fault(struct trapframe *tf);
/* How deep we are in the fault path (0 outside it; arch/x86/fault_entry.h). */
int fault_depth(void);

#endif
