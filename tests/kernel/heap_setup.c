#include "tests/ktest.h"

/* In the kernel the heap cases run on the live heap. */
void ktest_heap_setup(void) { }
