"""kheaptrace: read and replay a kernel trace (docs/trace-format.md).

The one Python copy of the trace's tables and of its replay, shared by
scripts/trace-check, scripts/heapmap and scripts/trace-compare:

  STATES, CAUSES, ALLOWED,  page states, causes, legal transitions,
  MAPPED, FRAMED,           mapped states and states holding a frame as
  CATEGORIES                mm/pagestate.[ch] define them,
                            trace categories as mm/trace.c does
                            (tests/trace/check-tables fails when they differ);
  CAUSE_FITS                the causes docs/page-states.md gives each edge;
  read_events(path)         the trace lines of a log, parsed, with the
                            log's CPU starts (`smp: cpu N: ... online`);
  Replay                    the heap region's pages and live allocations,
                            replayed event by event, every rule of
                            docs/trace-format.md ("Rules") checked.

Every line carries the CPU that wrote it (version 2); a multi-CPU trace
is replayed in its one seq order like any other, each line checked
against the CPUs the log started (rules 21-22), a scavenger pass and a
snapshot being one CPU's lines.

A Replay raises Broken (line, rule number, what) at the first line that
breaks a rule.  A subclass can set `lenient` to have broken rules passed
to warn() instead and the replay carry on; a line it cannot read (rule 1,
and a few others it cannot go on from) still raises.  Subclasses hook
changed() to see every page that changes.
"""
import bisect
import re

# --- the tables (mm/pagestate.h, mm/pagestate.c, mm/trace.c) --------------

STATES = ["UNUSABLE", "AOW", "PRESENT", "ZERO", "GUARD", "MMIO", "WIRED", "KEPT"]
CAUSES = ["boot", "write-fault", "read-fault", "scavenge", "explicit", "free", "reuse"]
SV = {name: i for i, name in enumerate(STATES)}
UNUSABLE, AOW, PRESENT, ZERO = SV["UNUSABLE"], SV["AOW"], SV["PRESENT"], SV["ZERO"]
KEPT, GUARD = SV["KEPT"], SV["GUARD"]
OWN = (PRESENT, KEPT)       # the states whose frame is the heap's own

ALLOWED = {
    "UNUSABLE": {"AOW", "GUARD", "MMIO", "WIRED"},
    "AOW": {"PRESENT", "ZERO", "UNUSABLE", "GUARD"},
    "PRESENT": {"AOW", "UNUSABLE", "KEPT", "GUARD"},
    "ZERO": {"PRESENT", "AOW", "UNUSABLE", "GUARD"},
    "GUARD": {"UNUSABLE", "AOW"},
    "MMIO": {"UNUSABLE"},
    "WIRED": {"UNUSABLE", "GUARD"},
    "KEPT": {"PRESENT", "AOW"},
}
MAPPED = {"PRESENT", "ZERO", "MMIO", "WIRED"}          # pagestate_is_mapped
FRAMED = MAPPED | {"KEPT"}                              # pagestate_has_frame
CATEGORIES = ["pages", "heap", "scav", "pressure", "oom", "stats"]

# docs/page-states.md, "Legal transitions": the causes of each edge.
CAUSE_FITS = {
    ("UNUSABLE", "AOW"): {"boot", "explicit"},
    ("UNUSABLE", "GUARD"): {"boot", "explicit"},
    ("UNUSABLE", "WIRED"): {"boot", "explicit"},
    ("UNUSABLE", "MMIO"): {"explicit"},
    ("AOW", "PRESENT"): {"write-fault"},
    ("AOW", "ZERO"): {"read-fault"},
    ("AOW", "UNUSABLE"): {"explicit"},
    ("ZERO", "PRESENT"): {"write-fault"},
    ("ZERO", "AOW"): {"scavenge", "explicit", "free"},
    ("ZERO", "UNUSABLE"): {"explicit"},
    ("PRESENT", "AOW"): {"scavenge", "explicit"},
    ("PRESENT", "UNUSABLE"): {"explicit"},
    ("PRESENT", "KEPT"): {"free"},
    ("KEPT", "PRESENT"): {"reuse"},
    ("KEPT", "AOW"): {"scavenge", "explicit"},
    ("GUARD", "UNUSABLE"): {"explicit"},
    ("AOW", "GUARD"): {"explicit", "free"},
    ("ZERO", "GUARD"): {"free"},
    ("PRESENT", "GUARD"): {"explicit", "free"},
    ("GUARD", "AOW"): {"free"},
    ("MMIO", "UNUSABLE"): {"explicit"},
    ("WIRED", "UNUSABLE"): {"boot", "explicit"},
    ("WIRED", "GUARD"): {"boot"},
}
TRIGGERS = ["pressure", "alloc-failed", "explicit", "background"]
VERSION = 2                 # TRACE_VERSION
PAGE_SIZE = 4096
RULES = 23                  # docs/trace-format.md numbers the rules 1..RULES

# event: (positional fields, required keys, keys whose values are numbers)
EVENTS = {
    "trace": (0, ("version", "base", "pages", "page_size", "categories"),
              ("version", "base", "pages", "page_size")),
    "page": (5, (), ()),
    "pages": (5, (), ()),
    "alloc": (1, ("size", "usable", "class", "caller"), ("size", "usable")),
    "free": (1, ("usable", "caller"), ("usable",)),
    "resize": (1, ("old", "usable"), ("old", "usable")),
    "scav-begin": (0, ("trigger", "want"), ("want",)),
    "scav": (0, ("trigger", "counter", "released", "zero", "cycles", "frames_free"),
             ("counter", "released", "zero", "cycles", "frames_free")),
    "pressure": (0, ("avail", "low", "high", "failed"), ("avail", "low", "high", "failed")),
    "oom": (0, ("va", "eip", "frames_free"), ("va", "frames_free")),
    "badptr": (0, ("fn", "ptr", "caller", "what"), ()),
    "stats": (0, ("present", "zero", "aow", "live_bytes", "live_allocs", "frames_free",
                  "frames_reserved", "frames_cached", "frames_used", "low", "high"),
              ("present", "zero", "aow", "live_bytes", "live_allocs", "frames_free",
               "frames_reserved", "frames_cached", "frames_used", "low", "high")),
    "snap-begin": (0, ("why", "base", "pages"), ("base", "pages")),
    "snap": (0, (), ()),
    "snap-end": (0, ("present",), ("present",)),
}
# values the docs list for some fields (rule 1)
VALUES = {
    ("alloc", "class"): re.compile(r"^(\d+|large)$"),
    ("pressure", "failed"): re.compile(r"^[01]$"),
    ("snap-begin", "why"): re.compile(r"^(boot|request|poweroff)$"),
}


def table_lines():
    """The tables as tests/trace/pagestate-tables prints C's: states and
    causes in enum order, the mapped states, the states holding a frame,
    every allowed edge in enum
    order, the trace categories in bit order and the trace version."""
    out = ["state %s" % s for s in STATES] + ["cause %s" % c for c in CAUSES]
    out += ["mapped %s" % s for s in STATES if s in MAPPED]
    out += ["frame %s" % s for s in STATES if s in FRAMED]
    for old in STATES:
        out += ["edge %s %s" % (old, new) for new in STATES if new in ALLOWED.get(old, ())]
    return out + ["category %s" % c for c in CATEGORIES] + ["version %d" % VERSION]


class Broken(Exception):
    """A line that breaks a rule: lineno, rule number, and what is wrong."""

    def __init__(self, lineno, rule, msg):
        Exception.__init__(self, msg)
        self.lineno = lineno
        self.rule = rule


def allowed(old, new):
    return new in ALLOWED.get(old, ())


def num(s, what="number", lineno=None):
    try:
        return int(s, 0)
    except ValueError:
        raise Broken(lineno, 1, "bad %s '%s'" % (what, s))


def fields(words, lineno=None, need=()):
    """The key=value words of a line, values kept as strings."""
    out = {}
    for w in words:
        if "=" in w:
            k, v = w.split("=", 1)
            out[k] = v
    for k in need:
        if k not in out:
            raise Broken(lineno, 1, "missing %s=" % k)
    return out


# --- reading ---------------------------------------------------------------

class Event:
    """One trace line, or (seq None) a log line the replay reads: one of
    the last `heap:` lines of kheap_print_stats ("heap-pages",
    "heap-live"), or a CPU's start (`smp: cpu N: APIC id A online`,
    "cpu-online", words [N]).  cpu: the CPU that wrote a trace line.
    ahead: for a stats line, the next trace line of each CPU after it."""
    __slots__ = ("lineno", "seq", "cpu", "tsc", "name", "words", "text", "ahead")

    def __init__(self, lineno, seq, tsc, name, words, text, cpu=None):
        self.lineno, self.seq, self.tsc, self.cpu = lineno, seq, tsc, cpu
        self.name, self.words, self.text = name, words, text
        self.ahead = None


CPU_ONLINE = re.compile(r"^smp: cpu (\d+): APIC id \d+ online")
HEAP_LINES = {
    "heap-pages": re.compile(r"^heap: (\d+) pages at (0x[0-9a-fA-F]+): AOW (\d+), ZERO (\d+), PRESENT (\d+), "
                             r"KEPT (\d+)$"),
    "heap-live": re.compile(r"^heap: (\d+) live allocations, (\d+) live bytes;"),
}


def read_lines(path):
    """The lines of a log (bytes decoded leniently), and whether the last
    one lacks its newline.  Raises OSError."""
    with open(path, "rb") as f:
        text = f.read().decode("utf-8", errors="replace")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines, not text.endswith("\n")


def parse_line(no, line):
    """Event of one "T seq cpu tsc event ..." line, or Broken (rule 1)."""
    w = line.rstrip("\r").split()
    if len(w) >= 4 and w[3] in EVENTS and w[2].isdigit():
        raise Broken(no, 1, "no CPU field: a version-1 line (version %d writes T seq cpu tsc event)"
                     % VERSION)
    if len(w) < 5:
        raise Broken(no, 1, "short trace line '%s'" % line[:60])
    return Event(no, num(w[1], "sequence number", no), num(w[3], "tsc", no), w[4], w[5:], line,
                 num(w[2], "CPU number", no))


def log_line(no, line):
    """Event of a `heap:` summary or CPU start log line, or None."""
    m = CPU_ONLINE.match(line)
    if m:
        return Event(no, None, None, "cpu-online", [int(m.group(1))], line)
    for name, rx in HEAP_LINES.items():
        m = rx.match(line.rstrip("\r"))
        if m:
            return Event(no, None, None, name, list(m.groups()), line)
    return None


def read_events(path, heap_lines=False):
    """([Event], warnings) for the trace lines of path and the CPU starts
    of its log, in their place (Event.seq None).  A last trace line
    without its newline was cut off: it is skipped with a warning.  With
    heap_lines, the last `heap:` summary lines of each kind come too."""
    lines, unterminated = read_lines(path)
    cut = len(lines) if unterminated and lines and lines[-1].startswith("T ") else None
    out, warnings, last = [], [], {}
    for no, line in enumerate(lines, 1):
        if line.startswith("T "):
            if no == cut:
                warnings.append("line %d: cut-off last line ignored" % no)
            else:
                out.append(parse_line(no, line))
        elif line.startswith("smp: ") or heap_lines and line.startswith("heap: "):
            e = log_line(no, line.rstrip("\r"))
            if e:
                last[e.name if e.name != "cpu-online" else no] = len(out)
                out.append(e)
    keep = set(last.values())
    out = [e for k, e in enumerate(out) if e.seq is not None or k in keep]
    look_ahead(out)
    return out, warnings


def look_ahead(events):
    """Give each stats line the next trace line of every CPU after it
    (rule 18: a magazine hit of another CPU may be counted before its line)."""
    nxt = {}
    for e in reversed(events):
        if e.seq is None:
            continue
        if e.name == "stats":
            e.ahead = dict(nxt)
        nxt[e.cpu] = e


def cpus_named(events):
    """The CPUs the log names as started (`smp: cpu N: ... online`), and the boot CPU 0."""
    return {0} | {e.words[0] for e in events if e.name == "cpu-online"}


def start_of(events):
    """Index of the event a replay starts at: the header, or the first
    snapshot of a trace cut before its header; None when neither."""
    for k, e in enumerate(events):
        if e.name == "trace" or e.name == "snap-begin":
            return k
    return None


# --- the replay ------------------------------------------------------------

class Replay:
    """The heap region's pages and live allocations replayed from the trace.

    state: bytearray, per page the index of its state in STATES;
    frame: page index -> frame of each PRESENT or KEPT page (the heap's
    own frames: a KEPT page's frame is still the heap's); counts: per state;
    live: address -> usable bytes of each live allocation (starts: sorted).
    """
    lenient = False

    def __init__(self):
        self.base = None
        self.npages = 0
        self.page_size = PAGE_SIZE
        self.state = bytearray()
        self.counts = [0] * len(STATES)
        self.frame = {}            # page index -> frame (PRESENT and KEPT pages)
        self.owner = {}            # frame -> page index
        self.given_back = set()    # frames released and not mapped since
        self.zero_frame = None
        self.adopt = False         # started at a snapshot: take its states
        self.snap = None           # runs of the snapshot being read
        self.snap_cpu = None       # the CPU writing it
        self.next_seq = None
        self.categories = None     # None: unknown (no header)
        self.live = {}
        self.starts = []
        self.live_bytes = self.live_allocs = 0
        self.pass_ = None          # the open scavenger pass
        self.peak = 0
        self.seen = {"stats": 0, "heap-pages": 0, "heap-live": 0, "scav": 0}
        self.named = {0}           # the CPUs the log names (replay() sets them)
        self.online = {0}          # the CPUs started so far: the boot CPU, then each AP's line
        self.lines_by_cpu = {}
        self.ev = None             # the event being replayed

    # -- reporting --------------------------------------------------------
    def lineno(self):
        return self.ev.lineno if self.ev else None

    def broken(self, rule, msg):
        """Rule broken: fatal, or a warning when lenient."""
        if not self.lenient:
            raise Broken(self.lineno(), rule, msg)
        self.warn(self.lineno(), "rule %d: %s" % (rule, msg))

    def fatal(self, rule, msg):
        """Rule broken in a way the replay cannot go on from."""
        raise Broken(self.lineno(), rule, msg)

    def warn(self, lineno, msg):
        pass

    def changed(self, first, n, new):
        """Hook: pages first..first+n-1 are now in state new."""

    # -- what the trace can show --------------------------------------------
    def traced(self, cat):
        """Was category cat on from the start (None: unknown)?"""
        return None if self.categories is None else cat in self.categories

    def knows_pages(self):
        return self.traced("pages") is not False

    def knows_heap(self):
        return bool(self.traced("heap"))

    def knows_passes(self):
        return self.knows_pages() and bool(self.traced("scav"))

    # -- setup --------------------------------------------------------------
    def start(self, base, npages, page_size, adopt):
        self.base, self.npages, self.page_size = base, npages, page_size
        self.state = bytearray(npages)        # all UNUSABLE
        self.counts = [0] * len(STATES)
        self.counts[UNUSABLE] = npages
        self.adopt = adopt

    def index(self, va):
        off = va - self.base
        if off < 0 or off % self.page_size or off // self.page_size >= self.npages:
            self.fatal(6, "address %#x is not a page of the region %#x+%d pages"
                       % (va, self.base, self.npages))
        return off // self.page_size

    def va(self, i):
        return self.base + i * self.page_size

    def state_of(self, name):
        v = SV.get(name)
        if v is None:
            self.fatal(5, "unknown page state '%s'" % name)
        return v

    # -- one event ------------------------------------------------------------
    def feed(self, ev):
        self.ev = ev
        if ev.seq is None:                  # a heap: or smp: log line
            getattr(self, "ev_" + ev.name.replace("-", "_"))(ev.words)
            return
        self.check_seq(ev)
        self.check_cpu(ev)
        spec = EVENTS.get(ev.name)
        if spec is None:
            self.unknown(ev)
            return
        self.check_fields(ev, spec)
        getattr(self, "ev_" + ev.name.replace("-", "_"))(ev.words)

    def unknown(self, ev):
        self.broken(4, "unknown event '%s'" % ev.name)

    def check_fields(self, ev, spec):
        npos, need, numeric = spec
        if len(ev.words) < npos:
            self.fatal(1, "%s line needs %d fields before its key=value ones" % (ev.name, npos))
        f = fields(ev.words, ev.lineno, need)
        for k in numeric:
            num(f[k], k, ev.lineno)
        for k in need:
            rx = VALUES.get((ev.name, k))
            if rx and not rx.match(f[k]):
                self.fatal(1, "%s=%s is not one of the values docs/trace-format.md gives" % (k, f[k]))

    def check_cpu(self, ev):
        """Rules 21 and 22: a line's CPU is one the log names, and started before it."""
        self.lines_by_cpu[ev.cpu] = self.lines_by_cpu.get(ev.cpu, 0) + 1
        if ev.cpu in self.online:
            return
        if ev.cpu not in self.named:
            self.broken(21, "CPU %d is not one the log names (CPUs %s)"
                        % (ev.cpu, ", ".join(str(c) for c in sorted(self.named))))
        else:
            self.broken(22, "a line of CPU %d before that CPU started (its 'smp: cpu %d: "
                        "... online' line comes later in the log)" % (ev.cpu, ev.cpu))
        self.online.add(ev.cpu)             # lenient: said once

    def ev_cpu_online(self, w):
        self.online.add(w[0])

    def check_seq(self, ev):
        if self.next_seq is None:
            if ev.name == "trace" and ev.seq != 0:
                self.broken(2, "the header has sequence number %d, not 0" % ev.seq)
        elif ev.seq != self.next_seq:
            if ev.seq < self.next_seq:
                self.fatal(2, "sequence number %d after %d (not increasing)"
                           % (ev.seq, self.next_seq - 1))
            self.broken(2, "sequence number %d where %d was due (%d lines lost)"
                        % (ev.seq, self.next_seq, ev.seq - self.next_seq))
        self.next_seq = ev.seq + 1

    # -- page states --------------------------------------------------------
    def set_state(self, i, new):
        self.counts[self.state[i]] -= 1
        self.counts[new] += 1
        self.state[i] = new

    def check_edge(self, old, new, cause):
        o, n = STATES[old], STATES[new]
        if not allowed(o, n):
            self.broken(8, "transition %s -> %s is not allowed" % (o, n))
        elif cause not in CAUSE_FITS[(o, n)]:
            self.broken(9, "cause %s does not fit %s -> %s (the table gives %s)"
                        % (cause, o, n, " or ".join(sorted(CAUSE_FITS[(o, n)]))))

    def check_frame_field(self, old, new, frame):
        want = STATES[new] in FRAMED or old in OWN
        if want and frame is None:
            self.broken(12, "%s -> %s names no frame" % (STATES[old], STATES[new]))
        elif not want and frame is not None:
            self.broken(12, "%s -> %s names frame %#x; no frame is involved"
                        % (STATES[old], STATES[new], frame))

    def check_old(self, first, n, old):
        for i in range(first, first + n):
            if self.state[i] != old:
                return self.broken(7, "page %#x is %s in the replay, the line says %s"
                                   % (self.va(i), STATES[self.state[i]], STATES[old]))

    def move(self, i, old, new, frame):
        """Page i goes from old to new (state indices), naming frame."""
        cur = self.state[i]
        if cur in OWN and new in OWN:       # freed and kept, or reused: the same frame
            return self.keep(i, new, frame)
        if cur in OWN:
            self.let_go(i, frame)
        if new == PRESENT and frame is not None:
            self.take(i, frame)
        if new == ZERO and frame is not None:
            self.note_zero(frame)
        self.set_state(i, new)

    def keep(self, i, new, frame):
        held = self.frame.get(i)
        if frame is not None and held is not None and frame != held:
            self.broken(12, "%s -> %s names frame %#x, the page holds %#x"
                        % (STATES[self.state[i]], STATES[new], frame, held))
        self.set_state(i, new)
        self.peak = max(self.peak, self.resident())

    def resident(self):
        """Pages holding a frame of the heap's own (PRESENT, and KEPT free ones)."""
        return self.counts[PRESENT] + self.counts[KEPT]

    def let_go(self, i, frame):
        held = self.frame.pop(i, None)
        if frame is None:
            frame = held
        elif frame in self.given_back:
            self.broken(11, "frame %#x given back twice" % frame)
        elif held is not None and held != frame:
            self.broken(11, "page gives back frame %#x but holds %#x" % (frame, held))
        self.owner.pop(held, None)
        self.given_back.add(frame)

    def take(self, i, frame):
        if frame in self.owner:
            self.broken(10, "frame %#x mapped at two pages at once (%#x and %#x)"
                        % (frame, self.va(self.owner[frame]), self.va(i)))
        self.owner[frame] = i
        self.frame[i] = frame
        self.given_back.discard(frame)
        self.peak = max(self.peak, self.resident() + 1)

    def note_zero(self, frame):
        if self.zero_frame is None:
            self.zero_frame = frame
        elif frame != self.zero_frame:
            self.broken(12, "ZERO page maps frame %#x, not the zero frame %#x"
                        % (frame, self.zero_frame))

    def releases(self, old, new, cause):
        """A release: a frame or the zero frame given up, other than by a free
        (whose pages the allocation being freed still covers in the trace)."""
        return old in (PRESENT, ZERO, KEPT) and new in (AOW, UNUSABLE) and cause != "free"

    def own_pass(self):
        """The open pass if this line's CPU runs it, else None (rule 13:
        another CPU's lines inside a pass are not the pass's)."""
        p = self.pass_
        return p if p is not None and p["cpu"] == self.ev.cpu else None

    def page_change(self, first, n, old, new, cause):
        """The checks of rules 13 and 17 for a change of n pages."""
        if self.releases(old, new, cause):
            self.check_not_live(first, n)
        if new == GUARD:
            self.check_guard_live(first, n)
        if not self.knows_passes() or self.adopt:
            return
        p = self.own_pass()
        if p is None:
            if self.releases(old, new, cause) and new == AOW or cause == "scavenge":
                self.broken(13, "%s -> %s (%s) outside a scavenger pass%s"
                            % (STATES[old], STATES[new], cause, "" if self.pass_ is None else
                               " of its CPU (the open pass, line %d, is CPU %d's)"
                               % (self.pass_["lineno"], self.pass_["cpu"])))
            return
        if cause == "free":
            return              # a pass returns kept empty slabs to page level: freed
        if new != AOW or old not in (PRESENT, ZERO, KEPT):
            self.broken(13, "%s -> %s inside a scavenger pass, which only releases pages"
                        % (STATES[old], STATES[new]))
        want = "explicit" if p["trigger"] == "explicit" else "scavenge"
        if cause != want:
            self.broken(13, "cause %s in a pass triggered by %s (cause %s expected)"
                        % (cause, p["trigger"], want))
        p["released" if old in OWN else "zero"] += n

    # -- live allocations ---------------------------------------------------
    def covering(self, lo, hi):
        """Start of a live allocation overlapping [lo, hi), or None."""
        k = bisect.bisect_left(self.starts, hi) - 1
        if k >= 0 and self.starts[k] + self.live[self.starts[k]] > lo:
            return self.starts[k]
        return None

    def check_not_live(self, first, n):
        if not (self.knows_heap() and self.knows_pages()):
            return
        lo, hi = self.va(first), self.va(first + n)
        a = self.covering(lo, hi)
        if a is not None:
            self.broken(17, "page %#x released while the live allocation %#x+%d covers it"
                        % (max(lo, a), a, self.live[a]))

    def check_guard_live(self, first, n):
        """Rule 17: a region page becomes GUARD only under a live allocation
        (a guarded block's, mm/heapguard.c)."""
        if not (self.knows_heap() and self.knows_pages()):
            return
        for i in range(first, first + n):
            if self.covering(self.va(i), self.va(i + 1)) is None:
                return self.broken(17, "page %#x made GUARD under no live allocation"
                                   % self.va(i))

    def check_no_guard(self, a, usable):
        """Rule 17: a freed block's pages are GUARD no more (its free's page lines came first)."""
        if not self.knows_pages():
            return
        for va in range(a - a % self.page_size, a + usable, self.page_size):
            if self.base <= va < self.va(self.npages) and self.state[(va - self.base) // self.page_size] == GUARD:
                return self.broken(17, "free of %#x while its page %#x is still GUARD" % (a, va))

    def check_block(self, rule, a, usable, other=None):
        """Is [a, a + usable) inside the region and clear of live blocks (but other)?"""
        if a < self.base or a + usable > self.va(self.npages):
            self.broken(rule, "block %#x+%d is not inside the region" % (a, usable))
        b = self.covering(a, a + usable)
        if b is not None and b != other:
            self.broken(rule, "block %#x+%d overlaps the live allocation %#x+%d"
                        % (a, usable, b, self.live[b]))

    def add_live(self, a, usable):
        if a not in self.live:
            bisect.insort(self.starts, a)
            self.live_allocs += 1
        else:
            self.live_bytes -= self.live[a]
        self.live[a] = usable
        self.live_bytes += usable

    def drop_live(self, a):
        self.live_bytes -= self.live.pop(a)
        self.live_allocs -= 1
        del self.starts[bisect.bisect_left(self.starts, a)]

    def live_one(self, a, usable, key):
        """Check a names a live allocation of usable bytes; is it one?"""
        if a not in self.live:
            self.broken(16, "%s of %#x, which is not a live allocation" % (self.ev.name, a))
            return False
        if self.live[a] != usable:
            self.broken(16, "%s says %s=%d, the allocation at %#x has %d"
                        % (self.ev.name, key, usable, a, self.live[a]))
        return True

    # -- events -------------------------------------------------------------
    def ev_trace(self, w):
        if self.base is not None:
            self.fatal(3, "a second trace header, or one after the trace began")
        f = fields(w)
        cats = f["categories"].split(",") if f["categories"] else []
        bad = [c for c in cats if c not in CATEGORIES]
        base, pages, ps = num(f["base"]), num(f["pages"]), num(f["page_size"])
        if f["version"] != str(VERSION):
            self.fatal(3, "trace version %s; this reader reads version %d" % (f["version"], VERSION))
        if bad or ps != PAGE_SIZE or pages <= 0 or base % PAGE_SIZE:
            self.fatal(3, "bad header: %s" % ("unknown category '%s'" % bad[0] if bad else
                                              "page_size=%d pages=%d base=%#x" % (ps, pages, base)))
        self.categories = set(cats)
        self.start(base, pages, ps, False)

    def ev_page(self, w):
        i = self.index(num(w[0], "address", self.lineno()))
        old, new = self.state_of(w[1]), self.state_of(w[2])
        frame = None if w[3] == "-" else num(w[3], "frame", self.lineno())
        if w[4] not in CAUSES:
            self.fatal(5, "unknown cause '%s'" % w[4])
        self.check_old(i, 1, old)
        self.check_edge(old, new, w[4])
        self.check_frame_field(old, new, frame)
        self.page_change(i, 1, old, new, w[4])
        self.move(i, old, new, frame)
        self.changed(i, 1, new)

    def ev_pages(self, w):
        first = self.index(num(w[0], "address", self.lineno()))
        n = num(w[1], "count", self.lineno())
        old, new = self.state_of(w[2]), self.state_of(w[3])
        if w[4] not in CAUSES:
            self.fatal(5, "unknown cause '%s'" % w[4])
        if n <= 0 or first + n > self.npages:
            self.fatal(6, "run of %d pages at %s runs past the region" % (n, w[0]))
        self.check_old(first, n, old)
        self.check_edge(old, new, w[4])
        if old in OWN or STATES[new] in FRAMED:
            self.broken(12, "%s -> %s in a run line: a frame changes, so each page "
                        "must be its own page line" % (w[2], w[3]))
        self.page_change(first, n, old, new, w[4])
        for i in range(first, first + n):
            self.move(i, old, new, None)
        self.changed(first, n, new)

    def ev_alloc(self, w):
        a, f = num(w[0], "address", self.lineno()), fields(w)
        usable = num(f["usable"])
        if not self.knows_heap():
            return self.add_live(a, usable)
        if usable < num(f["size"]):
            self.broken(15, "alloc of %s bytes holds only usable=%d" % (f["size"], usable))
        self.check_block(15, a, usable)
        self.add_live(a, usable)

    def ev_free(self, w):
        a, usable = num(w[0], "address", self.lineno()), num(fields(w)["usable"])
        if self.knows_heap():
            if not self.live_one(a, usable, "usable"):
                return
            self.check_no_guard(a, usable)
        elif a not in self.live:
            self.live_bytes -= usable       # allocated before a cut: figures only
            self.live_allocs -= 1
            return
        self.drop_live(a)

    def ev_resize(self, w):
        a, f = num(w[0], "address", self.lineno()), fields(w)
        old, usable = num(f["old"]), num(f["usable"])
        if self.knows_heap():
            if not self.live_one(a, old, "old"):
                return
            self.check_block(16, a, usable, a)
        self.add_live(a, usable)

    def ev_scav_begin(self, w):
        f = fields(w)
        if f["trigger"] not in TRIGGERS:
            self.broken(14, "unknown trigger '%s'" % f["trigger"])
        if self.pass_ is not None:
            self.broken(13, "scav-begin inside the pass begun at line %d (CPU %d)"
                        % (self.pass_["lineno"], self.pass_["cpu"]))
        self.pass_ = {"trigger": f["trigger"], "released": 0, "zero": 0, "lineno": self.lineno(),
                      "cpu": self.ev.cpu}

    def ev_scav(self, w):
        f = fields(w)
        p, self.pass_ = self.pass_, None
        self.seen["scav"] += 1
        if f["trigger"] not in TRIGGERS:
            self.broken(14, "unknown trigger '%s'" % f["trigger"])
        if not self.knows_passes() or self.adopt:
            return
        if p is None:
            return self.broken(13, "scav closes no pass (no scav-begin before it)")
        if p["cpu"] != self.ev.cpu:
            return self.broken(13, "scav on CPU %d closes the pass CPU %d began at line %d"
                               % (self.ev.cpu, p["cpu"], p["lineno"]))
        if p["trigger"] != f["trigger"]:
            self.broken(14, "scav says trigger=%s, its scav-begin %s" % (f["trigger"], p["trigger"]))
        for key in ("released", "zero"):
            if num(f[key]) != p[key]:
                self.broken(14, "pass says %s=%s, its page events make %d" % (key, f[key], p[key]))

    def ev_pressure(self, w):
        pass

    def ev_oom(self, w):
        pass

    def ev_badptr(self, w):
        pass

    def ev_stats(self, w):
        f = fields(w)
        self.seen["stats"] += 1
        if self.adopt:
            return
        if self.knows_pages():
            for key, st in (("present", PRESENT), ("zero", ZERO), ("aow", AOW)):
                if num(f[key]) != self.counts[st]:
                    self.broken(18, "stats say %s=%s, the replay counts %d" % (key, f[key], self.counts[st]))
        if self.knows_heap():
            self.check_live_figures(num(f["live_bytes"]), num(f["live_allocs"]))
        self.check_frame_figures(f)

    def check_frame_figures(self, f):
        """Rule 23: a cached frame is free and promised; the region's own
        frames are used ones (the line's figures, read under the frame lock,
        against the replay: a fault's frame is used before its page line, a
        released one after)."""
        cached = num(f["frames_cached"])
        for key in ("frames_free", "frames_reserved"):
            if cached > num(f[key]):
                self.broken(23, "stats say frames_cached=%d, more than %s=%s" % (cached, key, f[key]))
        if self.knows_pages() and num(f["frames_used"]) < self.resident():
            self.broken(23, "stats say frames_used=%s, the replay's PRESENT and KEPT pages hold %d"
                        % (f["frames_used"], self.resident()))

    def check_live_figures(self, nbytes, nallocs):
        """Rule 18's live figures: the replay's, or the replay's with the
        next line of some other CPUs counted (a magazine hit takes no shared
        lock: its change may come before a stats line, its line after)."""
        want = (nbytes - self.live_bytes, nallocs - self.live_allocs)
        if want == (0, 0) or want in self.in_flight_sums():
            return
        for key, n, have in (("live_bytes", nbytes, self.live_bytes),
                             ("live_allocs", nallocs, self.live_allocs)):
            if n != have:
                self.broken(18, "stats say %s=%d, the live allocations make %d%s"
                            % (key, n, have, " (nor with the next line of another CPU)"
                               if len(self.online) > 1 else ""))

    def in_flight_sums(self):
        """(bytes, allocs) each subset of the other CPUs' next lines would add,
        counting only the alloc and free lines of a magazine's classes."""
        sums = {(0, 0)}
        for cpu, e in sorted((self.ev.ahead or {}).items()):
            if cpu == self.ev.cpu or e.name not in ("alloc", "free"):
                continue
            f = fields(e.words)
            if e.name == "alloc" and f.get("class", "large") == "large":
                continue
            d = (num(f.get("usable", "0")), 1) if e.name == "alloc" else (-num(f.get("usable", "0")), -1)
            sums |= {(b + d[0], a + d[1]) for b, a in sums}
        return sums

    def ev_heap_pages(self, w):
        if self.base is None or not self.knows_pages() or self.adopt:
            return
        self.seen["heap-pages"] += 1
        pages, base, aow, zero, present, kept = (int(w[0]), int(w[1], 0), int(w[2]), int(w[3]),
                                                 int(w[4]), int(w[5]))
        if (pages, base) != (self.npages, self.base):
            return self.broken(20, "heap line names %d pages at %#x, the region is %d pages at %#x"
                               % (pages, base, self.npages, self.base))
        for name, n, st in (("AOW", aow, AOW), ("ZERO", zero, ZERO), ("PRESENT", present, PRESENT),
                            ("KEPT", kept, KEPT)):
            if n != self.counts[st]:
                self.broken(20, "heap line says %s %d, the replay counts %d" % (name, n, self.counts[st]))

    def ev_heap_live(self, w):
        if self.base is None or not self.knows_heap():
            return
        self.seen["heap-live"] += 1
        for name, n, have in (("live allocations", int(w[0]), self.live_allocs),
                              ("live bytes", int(w[1]), self.live_bytes)):
            if n != have:
                self.broken(20, "heap line says %d %s, the replay has %d" % (n, name, have))

    # -- snapshots ------------------------------------------------------------
    def ev_snap_begin(self, w):
        f = fields(w)
        base, pages = num(f["base"]), num(f["pages"])
        if self.base is None:            # a trace cut before its header: start here
            self.start(base, pages, PAGE_SIZE, True)
        elif base != self.base or pages != self.npages:
            self.broken(19, "snapshot of %#x+%d pages, the region is %#x+%d"
                        % (base, pages, self.base, self.npages))
        if self.snap is not None:
            self.broken(19, "snapshot begins inside another")
        self.snap = []
        self.snap_cpu = self.ev.cpu

    def check_snap_cpu(self):
        """A snapshot is one CPU's section of the trace lock: all its lines are that CPU's."""
        if self.ev.cpu != self.snap_cpu:
            self.broken(19, "a line of CPU %d inside the snapshot CPU %d writes" % (self.ev.cpu, self.snap_cpu))

    def ev_snap(self, w):
        if self.snap is None:
            self.fatal(19, "snap line outside snap-begin/snap-end")
        self.check_snap_cpu()
        for run in w:
            name, sep, rest = run.partition(":")
            if not sep:
                self.fatal(1, "bad snapshot run '%s'" % run)
            count, at, fr = rest.partition("@")
            st = self.state_of(name)
            n = num(count, "run length", self.lineno())
            frame = num(fr, "frame", self.lineno()) if at else None
            if n <= 0:
                self.fatal(1, "snapshot run of %d pages" % n)
            if (st in OWN) != (frame is not None) or (st in OWN and n != 1):
                self.broken(19, "snapshot run '%s': a PRESENT or KEPT run is one page with its "
                            "frame, other runs carry none" % run)
            self.snap_run(st, n, frame)

    def snap_run(self, st, n, frame):
        """Compare a run with the replay, or keep it to adopt at snap-end."""
        i = sum(k for _, k, _ in self.snap)
        if i + n > self.npages:
            self.fatal(19, "snapshot runs past the region (%d+%d > %d pages)" % (i, n, self.npages))
        if not self.adopt:
            self.compare_run(i, n, st, frame)
            self.changed(i, n, st)
        self.snap.append((st, n, frame))

    def ev_snap_end(self, w):
        if self.snap is None:
            self.fatal(19, "snap-end without snap-begin")
        self.check_snap_cpu()
        total = sum(n for _, n, _ in self.snap)
        if total != self.npages:
            self.fatal(19, "snapshot covers %d pages, the region has %d" % (total, self.npages))
        i = 0
        for st, n, fr in self.snap if self.adopt else ():
            self.adopt_run(i, n, st, fr)
            self.changed(i, n, st)
            i += n
        self.adopt = False
        self.snap = None
        present = num(fields(w)["present"])
        if present != self.counts[PRESENT]:
            self.broken(19, "snap-end says present=%d, the replay counts %d"
                        % (present, self.counts[PRESENT]))

    def adopt_run(self, i, n, st, fr):
        for j in range(i, i + n):
            self.set_state(j, st)
        if st in OWN and fr is not None:
            self.frame[i], self.owner[fr] = fr, i
        self.peak = max(self.peak, self.resident())

    def compare_run(self, i, n, st, fr):
        for j in range(i, i + n):
            if self.state[j] != st:
                self.broken(19, "snapshot says page %#x is %s, the replay has %s"
                            % (self.va(j), STATES[st], STATES[self.state[j]]))
                self.set_state(j, st)
            elif st in OWN and self.frame.get(j) != fr:
                self.broken(19, "snapshot says page %#x holds frame %#x, the replay %#x"
                            % (self.va(j), fr if fr is not None else -1, self.frame.get(j, -1)))

    def finish(self):
        """The end of the trace."""
        if self.snap is not None:
            self.broken(19, "the trace ends inside a snapshot")

    # -- the verdict ----------------------------------------------------------
    def why_not(self, *cats):
        """Why the categories cats were not all traced from the start, or None."""
        if self.categories is None:
            return None if set(cats) <= {"pages"} else "the trace starts at a snapshot, not its header"
        off = [c for c in cats if self.traced(c) is False]
        return "categor%s %s off" % ("ies" if len(off) > 1 else "y", " and ".join(off)) if off else None

    def promises(self):
        """[(promise, rules, None when proved, else why not)]."""
        lines = None if self.seen["stats"] or self.seen["heap-pages"] else \
            "no stats line and no heap: line in the log"
        return [("frame conservation", "10-12", self.why_not("pages")),
                ("no release under live data", "17", self.why_not("pages", "heap")),
                ("no overlap", "15-16", self.why_not("heap")),
                ("scavenger passes accounted", "13-14", self.why_not("pages", "scav")),
                ("page counts", "18, 20", self.why_not("pages") or lines),
                ("live counts", "18, 20", self.why_not("heap") or lines)]


def replay(rp, events):
    """Feed events to the Replay rp from where a replay starts: the header
    (which must be the first trace line), or the first snapshot of a trace
    without one.  Raises Broken; returns how many lines were skipped."""
    k = start_of(events)
    trace = [e for e in events if e.seq is not None]
    if k is None:
        raise Broken(trace[0].lineno if trace else None, 3,
                     "no trace header and no snapshot to start from")
    if events[k].name == "trace" and trace[0] is not events[k]:
        raise Broken(events[k].lineno, 3, "the header is not the first trace line")
    rp.named = cpus_named(events)
    for e in events[:k]:
        if e.name == "cpu-online":          # a CPU that started before the cut
            rp.feed(e)
    for e in events[k:]:
        rp.feed(e)
    rp.ev = None
    rp.finish()
    return sum(1 for e in events[:k] if e.seq is not None)
