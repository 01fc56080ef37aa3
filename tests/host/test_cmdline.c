#include <stdio.h>
#include <string.h>
#include "tests/ktest.h"
#include "src/cmdline.h"
#include "tests/host/capture.h"

TEST(cmdline_parses_known_options)
{
	CHECK(cmdline_parse("  loglevel=debug serial=1 test=frame kvspace=64 overcommit ") == 0);
	CHECK(kopts.loglevel == LOG_DEBUG && kopts.serial && kopts.overcommit);
	CHECK(kopts.test && !strcmp(kopts.test_filter, "frame"));
	CHECK(kopts.kvspace_mib == 64);
}

TEST(cmdline_unknown_key_and_bad_values_are_reported)
{
	CHECK(cmdline_parse("bogus=1") == 1);
	CHECK(cmdline_parse("kvspace=2") == 1);		/* below the range */
	CHECK(kopts.kvspace_mib == 0);			/* the default stays */
	CHECK(cmdline_parse("kvspace=12x") == 1);
	CHECK(cmdline_parse("kvspace=99999999999999999999") == 1);	/* overflow */
	CHECK(cmdline_parse("loglevel=loud serial=2") == 2);
	CHECK(kopts.loglevel == LOG_INFO && !kopts.serial);
	CHECK(cmdline_parse("kvspace=0x40") == 0 && kopts.kvspace_mib == 64);
	CHECK(cmdline_parse("crash=") == 1);
	CHECK(cmdline_parse("heapcheck=4") == 1 && kopts.heapcheck == 0);	/* levels 0-3 */
	CHECK(cmdline_parse("heapcheck=2 heapleaks") == 0 && kopts.heapcheck == 2 && kopts.heapleaks);
}

/* Parse line; its problem count, and what it printed in out. */
static int parse_said(const char *line, const char **out)
{
	int n;

	capture_begin();
	n = cmdline_parse(line);
	*out = capture_end();
	return n;
}

TEST(cmdline_options_without_their_context_are_reported)
{
	const char *said;

	CHECK(parse_said("seed=5 ops=10 balloon=50", &said) == 3);
	CHECK(strstr(said, "cmdline: seed= has no effect without stress=\n"));
	CHECK(strstr(said, "cmdline: ops= has no effect without stress=\n"));
	CHECK(strstr(said, "cmdline: balloon= has no effect without stress=\n"));
	CHECK(kopts.seed == 5);				/* accepted all the same */
	CHECK(parse_said("scav_retain=10", &said) == 1);
	CHECK(strstr(said, "cmdline: scav_retain= has no effect without scav_bg= above 0"));
	CHECK(parse_said("scav_bg=0 scav_retain=10", &said) == 1);
	CHECK(parse_said("test stress=churn bench", &said) == 2);
	CHECK(strstr(said, "cmdline: stress has no effect: test runs instead"));
	CHECK(strstr(said, "cmdline: bench has no effect: test runs instead"));
	CHECK(parse_said("stress=churn bench=0", &said) == 0);
	CHECK(parse_said("heapleaks", &said) == 1);
	CHECK(strstr(said, "cmdline: heapleaks= has no effect without heapcheck= above 0"));
	/* In context, nothing is said. */
	CHECK(parse_said("stress=churn seed=5 ops=10 balloon=wave scav_bg=4 scav_retain=10", &said) == 0);
	CHECK(said[0] == '\0');
}

TEST(cmdline_long_words_are_shown_cut_with_their_length)
{
	char line[600];
	const char *said;

	memset(line, 'k', 300);
	strcpy(line + 300, "=1");
	CHECK(parse_said(line, &said) == 1);
	CHECK(strstr(said, "' (300 characters) ignored"));
	memcpy(line, "crash=", 6);
	CHECK(parse_said(line, &said) == 1);
	CHECK(strstr(said, "(a value of 296 characters) rejected: empty or too long"));
}

/* Every option of a line of any length is read, the last one too. */
TEST(cmdline_a_long_line_is_read_to_its_end)
{
	static char line[8192];
	size_t n = 0;

	while (n < sizeof(line) - 64)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "loglevel=warn ");
	strcpy(line + n, "kvspace=64 serial");
	CHECK(cmdline_parse(line) == 0);
	CHECK(kopts.kvspace_mib == 64 && kopts.serial && kopts.loglevel == LOG_WARN);
}

/* test=PREFIX that names no test fails the run, saying so, not "0 passed". */
TEST(cmdline_test_prefix_matching_nothing_fails)
{
	const char *said;
	int failures;

	capture_begin();
	failures = ktest_run("no_such_test_");
	said = capture_end();
	CHECK(failures == 1);
	CHECK(strstr(said, "ktest: no test matches the prefix 'no_such_test_'\n"));
	CHECK(strstr(said, "0 passed, 1 failed\n"));
}
