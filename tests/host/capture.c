/*
 * stdout captured through a temporary file (tests/host/capture.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "tests/host/capture.h"

static FILE *file;
static int saved_fd = -1;
static char text[CAPTURE_MAX];

void capture_begin(void)
{
	fflush(stdout);
	file = tmpfile();
	saved_fd = dup(1);
	if (!file || saved_fd < 0 || dup2(fileno(file), 1) < 0) {
		perror("capture_begin");
		abort();
	}
}

const char *capture_end(void)
{
	size_t n;

	fflush(stdout);
	dup2(saved_fd, 1);
	close(saved_fd);
	rewind(file);
	n = fread(text, 1, sizeof(text) - 1, file);
	text[n] = '\0';
	fclose(file);
	return text;
}
