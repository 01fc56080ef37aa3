/*
 * The minimal port (tests/port): what its platform file and its test
 * program share.  Not a header of mm/: the port's own.
 */
#ifndef PORT_PORT_H
#define PORT_PORT_H

#include "mm/platform.h"

#define PORT_PAGES      512	/* the heap region: 2 MiB of static array */
#define PORT_FRAMES_MAX 1024	/* frame numbers below this (4 MiB of "RAM") */
#define POISON          0xA5	/* what a page reads once its frame is gone */

extern uint8_t port_region[PORT_PAGES * PAGE_SIZE];
extern unsigned port_misuses, port_trace_lines, port_errors, port_meta_pages;

void port_write(const char *s, size_t n);
__attribute__((noreturn)) void port_exit(int status);

#endif
