/*
 * threads: N threads, each doing a fixed number of random free/malloc
 * replacements (1..512 bytes) in its own table of 64 slots, every block
 * written and checked; what one lock costs when threads allocate at once.
 *   threads N [-q]	(-q: 1/8 of the operations)
 * Prints one line: threads= ops= bad=  (bad: blocks found overwritten)
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long steps = 2000000;

static void *worker(void *arg)
{
	unsigned seed = (unsigned)(size_t)arg;
	unsigned char *slot[64] = { 0 };
	long bad = 0;

	for (long i = 0; i < steps; i++) {
		int k = rand_r(&seed) % 64;
		size_t n = rand_r(&seed) % 512 + 1;

		if (slot[k] && slot[k][0] != (unsigned char)k)
			bad++;
		free(slot[k]);
		slot[k] = malloc(n);
		if (!slot[k]) {
			perror("malloc");
			exit(1);
		}
		memset(slot[k], k, n);
	}
	for (int k = 0; k < 64; k++)
		free(slot[k]);
	return (void *)bad;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 0;
	pthread_t t[64];
	long bad = 0;

	if (n < 1 || n > 64) {
		fprintf(stderr, "threads: usage: threads N [-q] (N 1..64)\n");
		return 2;
	}
	if (argc > 2 && !strcmp(argv[2], "-q"))
		steps /= 8;
	for (int i = 0; i < n; i++)
		pthread_create(&t[i], NULL, worker, (void *)(size_t)(i + 1));
	for (int i = 0; i < n; i++) {
		void *b;

		pthread_join(t[i], &b);
		bad += (long)b;
	}
	printf("threads=%d ops=%ld bad=%ld\n", n, 2 * steps * n, bad);
	return bad != 0;
}
