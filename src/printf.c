/*
 * vsnprintf for the kernel: %d %i %u %x %X %o %p %s %c %%, with the
 * flags '-', '0' and '#' (0x prefix), a field width, a precision for %s
 * (".N" or ".*"), and the length modifiers l, ll, z, j.
 * The output is always NUL-terminated; the return value is the length the
 * full output would have had, as in C99.
 */
#include "src/lib.h"

struct out {
	char *buf;
	size_t size, len;
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void pad(struct out *o, char c, int n)
{
	while (n-- > 0)
		put(o, c);
}

static void put_str(struct out *o, const char *s, int width, int prec, bool left)
{
	int n = 0;

	while (s[n] && (prec < 0 || n < prec))
		n++;
	if (!left)
		pad(o, ' ', width - n);
	for (int i = 0; i < n; i++)
		put(o, s[i]);
	if (left)
		pad(o, ' ', width - n);
}

/* prefix ("", "-", "0x") counts toward the width and precedes zero padding. */
static void put_num(struct out *o, uint64_t v, unsigned base, bool upper,
		    const char *prefix, int width, bool left, bool zero)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	int n = 0, plen = (int)strlen(prefix);
	char tmp[24];

	do {
		tmp[n++] = digits[v % base];
		v /= base;
	} while (v);
	if (!left && !zero)
		pad(o, ' ', width - n - plen);	/* left justification: the caller pads */
	while (*prefix)
		put(o, *prefix++);
	if (!left && zero)
		pad(o, '0', width - n - plen);
	while (n)
		put(o, tmp[--n]);
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { buf, size, 0 };

	for (; *fmt; fmt++) {
		bool left = false, zero = false, alt = false;
		int width = 0, prec = -1, lng = 0;
		size_t start;

		if (*fmt != '%') {
			put(&o, *fmt);
			continue;
		}
		for (fmt++; *fmt == '-' || *fmt == '0' || *fmt == '#'; fmt++) {
			if (*fmt == '-')
				left = true;
			else if (*fmt == '#')
				alt = true;
			else
				zero = true;
		}
		for (; *fmt >= '0' && *fmt <= '9'; fmt++)
			width = width * 10 + (*fmt - '0');
		if (*fmt == '.') {
			prec = 0;
			if (*++fmt == '*') {
				prec = va_arg(ap, int);
				fmt++;
			}
			for (; *fmt >= '0' && *fmt <= '9'; fmt++)
				prec = prec * 10 + (*fmt - '0');
		}
		for (; *fmt == 'l' || *fmt == 'z' || *fmt == 'j'; fmt++)	/* 1: long, 2: 64-bit */
			lng += *fmt == 'l' ? 1 : *fmt == 'j' ? 2 : sizeof(size_t) == 8 ? 2 : 1;
		start = o.len;
		switch (*fmt) {
		case 'd': case 'i': {
			int64_t v = lng >= 2 ? va_arg(ap, int64_t)
				  : lng == 1 ? va_arg(ap, long) : va_arg(ap, int);
			put_num(&o, v < 0 ? -(uint64_t)v : (uint64_t)v, 10,
				false, v < 0 ? "-" : "", width, left, zero);
			break;
		}
		case 'u': case 'x': case 'X': case 'o': {
			uint64_t v = lng >= 2 ? va_arg(ap, uint64_t)
				   : lng == 1 ? va_arg(ap, unsigned long)
				   : va_arg(ap, unsigned int);
			unsigned base = *fmt == 'u' ? 10 : *fmt == 'o' ? 8 : 16;
			const char *pre = alt && v && base == 16 ? (*fmt == 'X' ? "0X" : "0x")
					: alt && v && base == 8 ? "0" : "";

			put_num(&o, v, base, *fmt == 'X', pre, width, left, zero);
			break;
		}
		case 'p':
			put_num(&o, (uintptr_t)va_arg(ap, void *), 16, false,
				"0x", 10, false, true);
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			put_str(&o, s ? s : "(null)", width, prec, left);
			break;
		}
		case 'c':
			put(&o, (char)va_arg(ap, int));
			break;
		case '%':
			put(&o, '%');
			break;
		case '\0':
			fmt--;
			break;
		default:
			put(&o, '%');
			put(&o, *fmt);
			break;
		}
		if (left && *fmt != 's')
			pad(&o, ' ', width - (int)(o.len - start));
	}
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
