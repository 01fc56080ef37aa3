# tests/programs/programs.sh: the Debian programs libkheap.so is tried on,
# shared by tests/programs/run (same output with and without it) and
# scripts/bench-host (wall time and peak RSS under each allocator).
# Source it, then:
#   programs_prepare DIR FULL	write the inputs into DIR (FULL=1: large sizes)
# which sets PROGRAMS (names, in order) and PROG_CMD[name]: a command for
# sh -c, to run in a fresh empty directory, printing what is compared.

declare -a PROGRAMS
declare -A PROG_CMD

programs_prepare() {
	local dir=$1 full=$2
	local n_py=$((full ? 400000 : 40000)) n_sql=$((full ? 100000 : 20000))
	local n_c=$((full ? 4000 : 800)) n_sort=$((full ? 2000000 : 200000))

	PROGRAMS=(python3 sqlite3 gcc git sort)
	cat >"$dir/dicts.py" <<PY
d = {}
for i in range($n_py):
    d["k%07d" % ((i * 7919) % 1000003)] = str(i) * (i % 7 + 1)
items = sorted(d.items(), key=lambda kv: (len(kv[1]), kv[0]))
words = " ".join(k for k, _ in items[:5000]).split()
print(len(items), items[0], items[-1], sum(len(v) for _, v in items), len(set(words)))
PY
	PROG_CMD[python3]="/usr/bin/python3 '$dir/dicts.py'"

	cat >"$dir/rows.sql" <<SQL
CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, v REAL);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < $n_sql)
INSERT INTO t SELECT x, 'name' || (x * 7919 % 100003), (x * 31 % 1000) / 7.0 FROM c;
CREATE INDEX tn ON t(name);
SELECT count(*), sum(v), min(name), max(name) FROM t;
SELECT substr(name, 1, 6) AS k, count(*), round(avg(v), 3) FROM t GROUP BY k ORDER BY k LIMIT 20;
SQL
	PROG_CMD[sqlite3]="sqlite3 rows.db < '$dir/rows.sql'"

	awk -v n="$n_c" 'BEGIN {
		print "#include <stdio.h>"
		for (i = 0; i < n; i++)
			printf "static int f%d(int x) { int a[%d]; for (int i = 0; i < %d; i++) a[i] = x * i + %d; return a[%d] ^ (x << 1); }\n", i, i % 7 + 1, i % 7 + 1, i, i % 7
		print "int main(void) { long s = 0;"
		for (i = 0; i < n; i++) printf "s += f%d(%d);\n", i, i
		print "printf(\"%ld\\n\", s); return 0; }"
	}' >"$dir/big.c"
	PROG_CMD[gcc]="gcc -O2 -o big '$dir/big.c' && ./big && size big | tail -n 1"

	PROG_CMD[git]='git init -q . && for i in $(seq 1 30); do seq $i 3 3000 > f$i; done &&
	git add . && git -c user.name=t -c user.email=t@t -c commit.gpgsign=false commit -q -m first --date="2020-01-01T00:00:00" &&
	sed -i s/1/one/ f1 f2 f3 && git -c user.name=t -c user.email=t@t commit -qam second --date="2020-01-02T00:00:00" &&
	GIT_COMMITTER_DATE=2020-01-02T00:00:00 git log --stat --format=%s && git diff HEAD~1 --stat'

	awk -v n="$n_sort" 'BEGIN { x = 12345; for (i = 0; i < n; i++) { x = (x * 1103515245 + 12345) % 2147483648; printf "%d %s\n", x % 100000, substr("abcdefghijklmnop", x % 16 + 1, 5) } }' >"$dir/lines.txt"
	PROG_CMD[sort]="sort -k2,2 -k1,1n '$dir/lines.txt' | md5sum"
}
