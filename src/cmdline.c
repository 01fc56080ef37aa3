/*
 * Command-line parsing against the option table below, the one list of
 * what the kernel accepts.  Adding an option is adding a row; an option
 * that means something only with another is a row of needs[] too.
 *
 * The line is read where it lies, of any length: nothing is copied into
 * a buffer that could cut it.  Every problem is one warning and counts.
 * Context: boot, before anything else runs; not reentrant.
 */
#include "src/cmdline.h"
#include "src/lib.h"

struct kopts kopts;

enum opt_type { OPT_BOOL, OPT_UINT, OPT_STR, OPT_ENUM, OPT_TEST };

struct opt {
	const char *key;
	enum opt_type type;
	size_t offset;			/* into struct kopts */
	uint32_t min, max;		/* OPT_UINT range; OPT_STR size */
	const char *const *names;	/* OPT_ENUM values, index = value */
};

static const char *const level_names[] = { "error", "warn", "info", "debug", NULL };
static const char *const heap_errors_names[] = { "report", "panic", NULL };

#define OFF(f) offsetof(struct kopts, f)
/* opts[] is in the order docs/cmdline.md lists it. */
static const struct opt opts[] = {
	{ "loglevel",   OPT_ENUM, OFF(loglevel), 0, 0, level_names },
	{ "serial",     OPT_BOOL, OFF(serial), 0, 0, NULL },
	{ "test",       OPT_TEST, OFF(test), 0, 0, NULL },
	{ "bench",      OPT_BOOL, OFF(bench), 0, 0, NULL },
	{ "crash",      OPT_STR,  OFF(crash), 0, sizeof(kopts.crash), NULL },
	{ "trace",      OPT_STR,  OFF(trace), 0, sizeof(kopts.trace), NULL },
	{ "stress",     OPT_STR,  OFF(stress), 0, sizeof(kopts.stress), NULL },
	{ "seed",       OPT_UINT, OFF(seed), 0, 0xFFFFFFFFu, NULL },
	{ "ops",        OPT_UINT, OFF(ops), 1, 100000000, NULL },
	{ "balloon",    OPT_STR,  OFF(balloon), 0, sizeof(kopts.balloon), NULL },
	{ "kvspace",    OPT_UINT, OFF(kvspace_mib), 4, 1024, NULL },
	{ "overcommit", OPT_BOOL, OFF(overcommit), 0, 0, NULL },
	{ "scav_threshold", OPT_UINT, OFF(scav_threshold_kib), 0, 1u << 20, NULL },
	{ "scav_bg",    OPT_UINT, OFF(scav_bg), 0, 4096, NULL },
	{ "scav_retain", OPT_UINT, OFF(scav_retain_kib), 0, 1u << 20, NULL },
	{ "scavtrace",  OPT_BOOL, OFF(scavtrace), 0, 0, NULL },
	{ "slabinfo",   OPT_BOOL, OFF(slabinfo), 0, 0, NULL },
	{ "heap_errors", OPT_ENUM, OFF(heap_errors), 0, 0, heap_errors_names },
	{ "heapcheck",  OPT_UINT, OFF(heapcheck), 0, 3, NULL },
	{ "heapleaks",  OPT_BOOL, OFF(heapleaks), 0, 0, NULL },
	{ "heapsample", OPT_UINT, OFF(heapsample), 0, 1u << 20, NULL },
	{ "smp",        OPT_UINT, OFF(smp), 1, 64, NULL },
	{ "noshootdown", OPT_BOOL, OFF(noshootdown), 0, 0, NULL },
	{ "apfail",     OPT_UINT, OFF(apfail), 1, 255, NULL },
};

_Static_assert(ARRAY_SIZE(opts) <= 32, "one bit of 'given' per option");
static uint32_t given;			/* bit i: opts[i] was accepted */

/*
 * Options that mean nothing unless another is on (set, nonzero): the
 * first needs the second.  And of the run modes, kmain runs only the
 * first that is on (src/main.c keeps the same order).
 */
static const struct { const char *key, *needs, *what; } needs[] = {
	{ "seed", "stress", "stress=" },
	{ "ops", "stress", "stress=" },
	{ "balloon", "stress", "stress=" },
	{ "scav_retain", "scav_bg", "scav_bg= above 0 (the background scavenger)" },
	{ "heapleaks", "heapcheck", "heapcheck= above 0 (sites are recorded at 2 and 3)" },
};
static const char *const modes[] = { "test", "stress", "bench" };

/* Words longer than this are shown cut, with their length, in messages. */
#define SHOW_MAX 64

/* An unsigned decimal or 0x-hex number; false on junk or overflow. */
static bool parse_u64(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0, base = 10;
	size_t i = 0;

	if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		i = 2;
	}
	if (i == len)
		return false;
	for (; i < len; i++) {
		char c = s[i];
		uint64_t d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (base == 16 && c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (base == 16 && c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return false;
		if (v > (UINT64_MAX - d) / base)
			return false;
		v = v * base + d;
	}
	*out = v;
	return true;
}

void cmdline_defaults(void)
{
	memset(&kopts, 0, sizeof(kopts));
	kopts.loglevel = LOG_INFO;
	kopts.scav_threshold_kib = 256;
	kopts.seed = 1;
	kopts.ops = 20000;
	kopts.scav_bg = 0;
	kopts.scav_retain_kib = 1024;
	kopts.heapsample = HEAPSAMPLE_DEFAULT;
}

static int reject(const char *key, size_t klen, const char *val, size_t vlen,
		  const char *why)
{
	if (vlen > SHOW_MAX)
		klog(LOG_WARN, "cmdline: %.*s=%.*s... (a value of %zu characters) rejected: %s; "
		     "keeping the previous value", (int)klen, key, SHOW_MAX, val, vlen, why);
	else
		klog(LOG_WARN, "cmdline: %.*s=%.*s rejected: %s; keeping the previous value",
		     (int)klen, key, (int)vlen, val, why);
	return 1;
}

static int set_opt(const struct opt *o, const char *val, size_t vlen, bool has_val)
{
	void *p = (char *)&kopts + o->offset;
	size_t klen = strlen(o->key);
	uint64_t v;

	switch (o->type) {
	case OPT_BOOL:
		if (!has_val || (vlen == 1 && val[0] == '1'))
			*(bool *)p = true;
		else if (vlen == 1 && val[0] == '0')
			*(bool *)p = false;
		else
			return reject(o->key, klen, val, vlen, "expected 0 or 1");
		return 0;
	case OPT_UINT:
		if (!has_val || !parse_u64(val, vlen, &v))
			return reject(o->key, klen, val, vlen, "expected a number");
		if (v < o->min || v > o->max) {
			char why[64];

			snprintf(why, sizeof(why), "out of range %u..%u",
				 (unsigned)o->min, (unsigned)o->max);
			return reject(o->key, klen, val, vlen, why);
		}
		*(uint32_t *)p = (uint32_t)v;
		return 0;
	case OPT_STR:
		if (!has_val || vlen == 0 || vlen >= o->max)
			return reject(o->key, klen, val, vlen, "empty or too long");
		memcpy(p, val, vlen);
		*((char *)p + vlen) = '\0';
		return 0;
	case OPT_ENUM:
		for (int i = 0; has_val && o->names[i]; i++) {
			if (strlen(o->names[i]) == vlen && !strncmp(o->names[i], val, vlen)) {
				*(int *)p = i;
				return 0;
			}
		}
		return reject(o->key, klen, val, vlen, "not one of the known values");
	case OPT_TEST:
		if (has_val && vlen >= sizeof(kopts.test_filter))
			return reject(o->key, klen, val, vlen, "filter too long");
		kopts.test = true;
		if (has_val) {
			memcpy(kopts.test_filter, val, vlen);
			kopts.test_filter[vlen] = '\0';
		}
		return 0;
	}
	return 0;
}

/* The index of the option named by key[0..klen), or -1. */
static int find_opt(const char *key, size_t klen)
{
	for (size_t i = 0; i < ARRAY_SIZE(opts); i++)
		if (strlen(opts[i].key) == klen && !strncmp(opts[i].key, key, klen))
			return (int)i;
	return -1;
}

static int parse_word(const char *w, size_t len)
{
	const char *eq = w;
	size_t klen;
	int i;

	while (eq < w + len && *eq != '=')
		eq++;
	klen = eq - w;
	i = find_opt(w, klen);
	if (i >= 0) {
		bool has_val = eq < w + len;

		if (set_opt(&opts[i], eq + has_val, len - klen - has_val, has_val))
			return 1;
		given |= 1u << i;
		return 0;
	}
	if (klen > SHOW_MAX)
		klog(LOG_WARN, "cmdline: unknown option '%.*s...' (%zu characters) ignored",
		     SHOW_MAX, w, klen);
	else
		klog(LOG_WARN, "cmdline: unknown option '%.*s' ignored", (int)klen, w);
	return 1;
}

static bool opt_given(const char *key)
{
	return given & 1u << find_opt(key, strlen(key));
}

/* Is the option on: given, and not zero, off or empty? */
static bool opt_on(const char *key)
{
	int i = find_opt(key, strlen(key));
	const void *p = (const char *)&kopts + opts[i].offset;

	if (!opt_given(key))
		return false;
	switch (opts[i].type) {
	case OPT_BOOL:
	case OPT_TEST:
		return *(const bool *)p;
	case OPT_UINT:
		return *(const uint32_t *)p != 0;
	case OPT_STR:
		return *(const char *)p != '\0';
	default:
		return true;
	}
}

/* Report each option given without the one it needs. */
static int check_needs(void)
{
	int problems = 0;

	for (size_t i = 0; i < ARRAY_SIZE(needs); i++) {
		if (opt_given(needs[i].key) && !opt_on(needs[i].needs)) {
			klog(LOG_WARN, "cmdline: %s= has no effect without %s", needs[i].key,
			     needs[i].what);
			problems++;
		}
	}
	return problems;
}

/* Report each run mode after the first: kmain will not run it. */
static int check_modes(void)
{
	const char *first = NULL;
	int problems = 0;

	for (size_t i = 0; i < ARRAY_SIZE(modes); i++) {
		if (!opt_on(modes[i]))
			continue;
		if (!first) {
			first = modes[i];
			continue;
		}
		klog(LOG_WARN, "cmdline: %s has no effect: %s runs instead "
		     "(only the first of test, stress, bench runs)", modes[i], first);
		problems++;
	}
	return problems;
}

int cmdline_parse(const char *line)
{
	int problems = 0;

	cmdline_defaults();
	given = 0;
	while (*line) {
		size_t len = 0;

		while (*line == ' ' || *line == '\t')
			line++;
		while (line[len] && line[len] != ' ' && line[len] != '\t')
			len++;
		if (len)
			problems += parse_word(line, len);
		line += len;
	}
	return problems + check_needs() + check_modes();
}
