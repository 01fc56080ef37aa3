#ifndef SRC_DEMO_H
#define SRC_DEMO_H

/* Show the heap at work (the default when the command line asks for nothing else). */
void demo_run(void);

#endif
