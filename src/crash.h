#ifndef SRC_CRASH_H
#define SRC_CRASH_H

/*
 * crash=KIND provokes a fatal fault so tests can check the diagnostic:
 * write, read, null, exec, stack (overflow), ud (invalid opcode), div,
 * uaf (write to freed heap memory), oom (needs overcommit=1), overrun
 * (16 bytes past a page run), guard (read of the boot stack's guard
 * page), mmio (execute in the framebuffer; needs one), vmalloc (write
 * past a vmalloc area, into its guard), kstack (overflow a stack of
 * kstack_alloc).
 * An unknown kind is reported and ignored.
 */
void crash_provoke(const char *kind);

#endif
