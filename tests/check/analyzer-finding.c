/*
 * One finding for clang --analyze (a null pointer dereferenced on one
 * path): make check must fail on it (scripts/test-all runs it alone, with
 * the analyzer alone).
 */
#include <stddef.h>

static int value(const int *p, int fallback)
{
	if (fallback)
		p = NULL;
	return *p;
}

int main(int argc, char **argv)
{
	int x = 1;

	(void)argv;
	return value(&x, argc > 1);
}
