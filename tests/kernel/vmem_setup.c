#include "tests/mm/vmem_util.h"

/* In the kernel, boot_mm_init made kva the tag source. */
void ktest_vmem_setup(void) { }
