#include <string.h>
#include "tests/ktest.h"
#include "src/cmdline.h"

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
}
