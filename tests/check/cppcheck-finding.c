/*
 * One finding for cppcheck (an index past the end of an array): make check
 * must fail on it (scripts/test-all runs it alone, with cppcheck alone).
 */
int main(void)
{
	int a[4] = { 0 };

	a[4] = 1;
	return a[0];
}
