/*
 * The page-fault path.  page_fault() is entered from the #PF stub with
 * CR2 already saved in the frame, and dispatches on the faulting page's
 * state (mm/pagestate.h).  A fault taken while a fault is being handled
 * is reported once and stops the machine; it is never recursed into.
 */
#ifndef FAULT_FAULT_H
#define FAULT_FAULT_H

#include "arch/x86/trap.h"

void page_fault(struct trapframe *tf);
/* How deep we are in page_fault (0 outside it). */
int fault_depth(void);

#define PF_P    0x01	/* the page was present (protection violation) */
#define PF_W    0x02	/* write access */
#define PF_U    0x04	/* user mode */
#define PF_RSVD 0x08	/* reserved bit set in an entry */
#define PF_I    0x10	/* instruction fetch */

#endif
