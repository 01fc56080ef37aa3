/*
 * The host test program: every TEST() linked in (tests/mm shared with the
 * kernel, tests/host host-only), run under ASan and UBSan.
 *   host-tests [PREFIX]
 */
#include <stdio.h>
#include "tests/ktest.h"

const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "allow_user_segv_handler=1:handle_segv=0:detect_leaks=1";
}

int main(int argc, char **argv)
{
	return ktest_run(argc > 1 ? argv[1] : "") ? 1 : 0;
}
