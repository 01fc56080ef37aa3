/*
 * Command-line parsing against the option table below, the one list of
 * what the kernel accepts.  Adding an option is adding a row.
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

#define OFF(f) offsetof(struct kopts, f)
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
};

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
}

static int reject(const char *key, size_t klen, const char *val, size_t vlen,
		  const char *why)
{
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

static int parse_word(const char *w, size_t len)
{
	const char *eq = w;
	size_t klen;

	while (eq < w + len && *eq != '=')
		eq++;
	klen = eq - w;
	for (size_t i = 0; i < ARRAY_SIZE(opts); i++) {
		if (strlen(opts[i].key) == klen && !strncmp(opts[i].key, w, klen)) {
			bool has_val = eq < w + len;

			return set_opt(&opts[i], eq + has_val, len - klen - has_val, has_val);
		}
	}
	klog(LOG_WARN, "cmdline: unknown option '%.*s' ignored", (int)klen, w);
	return 1;
}

int cmdline_parse(const char *line)
{
	int problems = 0;

	cmdline_defaults();
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
	return problems;
}
