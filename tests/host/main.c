/*
 * The host test program: every TEST() linked in (tests/mm shared with the
 * kernel, tests/host host-only), run under ASan and UBSan.
 *   host-tests [PREFIX]
 */
#include <stdio.h>
#include "tests/ktest.h"
#include "arch/host/heap.h"

const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "allow_user_segv_handler=1:handle_segv=0:detect_leaks=1";
}

void ktest_heap_setup(void)
{
	host_heap_init(4096, 8192, false);	/* 16 MiB heap, 32 MiB of frames */
}

int main(int argc, char **argv)
{
	return ktest_run(argc > 1 ? argv[1] : "") ? 1 : 0;
}
