/*
 * Kernel log: formatted lines to the debugcon port 0xE9, one rep outsb a
 * line, optionally mirrored to COM1 (serial=1).  Lines below the level set
 * by loglevel= are dropped.  Safe with interrupts on or off; a line is never
 * split by another writer.
 */
#ifndef SRC_LOG_H
#define SRC_LOG_H

#include "mm/platform.h"	/* enum log_level, klog() */

void log_init(void);
void log_set_level(int level);
void log_set_serial(bool on);
/* Write raw bytes (whole lines) to the log ports, ignoring the level. */
void log_write(const char *buf, size_t len);

#endif
