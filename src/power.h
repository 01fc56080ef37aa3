#ifndef SRC_POWER_H
#define SRC_POWER_H

/*
 * Print "poweroff: status N" and stop the emulator: status 0 is success.
 * run-qemu and run-bochs turn it into their exit status.
 */
__attribute__((noreturn)) void poweroff(int status);

#endif
