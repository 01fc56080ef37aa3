/*
 * The kernel's fixed virtual layout, for the width being built: the same
 * names (KERNBASE, KSPACE_START, KSPACE_END, KHEAP_WINDOW, KSTACK_SIZE and
 * the page-table windows) in arch/x86/layout_32.h and layout_64.h.
 */
#ifndef ARCH_X86_LAYOUT_H
#define ARCH_X86_LAYOUT_H

#ifdef CONFIG_X86_64
#include "arch/x86/layout_64.h"
#else
#include "arch/x86/layout_32.h"
#endif

#endif
