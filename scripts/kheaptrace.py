"""kheaptrace: read and replay a kernel trace (docs/trace-format.md).

The one Python copy of the trace's tables and of its replay, shared by
scripts/trace-check, scripts/heapmap and scripts/trace-compare:

  STATES, CAUSES, ALLOWED   page states, causes and legal transitions, as
                            mm/pagestate.h and mm/pagestate.c define them
                            (tests/trace/check-tables fails when they differ);
  read_events(path)         the trace lines of a log, parsed;
  Replay                    the page-state machine of the heap region,
                            replayed event by event.

A Replay raises Broken (naming the line) on anything the trace may not
do.  A subclass can set `lenient` to have broken rules passed to warn()
instead, and the replay carry on; lines it cannot make sense of still
raise Broken.  Subclasses hook changed() to see every page that changes.
"""

# --- the tables (mm/pagestate.h, mm/pagestate.c) --------------------------

STATES = ["UNUSABLE", "AOW", "PRESENT", "ZERO", "GUARD", "MMIO", "WIRED", "SWAPPED"]
CAUSES = ["boot", "write-fault", "read-fault", "scavenge", "explicit"]
SV = {name: i for i, name in enumerate(STATES)}
UNUSABLE, AOW, PRESENT, ZERO = SV["UNUSABLE"], SV["AOW"], SV["PRESENT"], SV["ZERO"]

ALLOWED = {
    "UNUSABLE": {"AOW", "GUARD", "MMIO", "WIRED"},
    "AOW": {"PRESENT", "ZERO", "UNUSABLE"},
    "PRESENT": {"AOW", "UNUSABLE"},
    "ZERO": {"PRESENT", "AOW", "UNUSABLE"},
    "GUARD": {"UNUSABLE"},
    "MMIO": {"UNUSABLE"},
    "WIRED": {"UNUSABLE", "GUARD"},
    "SWAPPED": set(),
}



def table_lines():
    """The tables as tests/trace/pagestate-tables prints C's: states and
    causes in enum order, then every allowed edge in enum order."""
    out = ["state %s" % s for s in STATES] + ["cause %s" % c for c in CAUSES]
    for old in STATES:
        out += ["edge %s %s" % (old, new) for new in STATES if new in ALLOWED.get(old, ())]
    return out


PAGE_SIZE = 4096
EVENTS = ["trace", "page", "pages", "alloc", "free", "scav-begin", "scav", "pressure",
          "oom", "badptr", "stats", "snap-begin", "snap", "snap-end"]


class Broken(Exception):
    """A line the trace may not contain: lineno, and what is wrong."""

    def __init__(self, lineno, msg):
        Exception.__init__(self, msg)
        self.lineno = lineno


def allowed(old, new):
    return new in ALLOWED.get(old, ())


def num(s, what="number", lineno=None):
    try:
        return int(s, 0)
    except ValueError:
        raise Broken(lineno, "bad %s '%s'" % (what, s))


def fields(words, lineno=None, need=()):
    """The key=value words of a line, values kept as strings."""
    out = {}
    for w in words:
        if "=" in w:
            k, v = w.split("=", 1)
            out[k] = v
    for k in need:
        if k not in out:
            raise Broken(lineno, "missing %s=" % k)
    return out


# --- reading ---------------------------------------------------------------

class Event:
    __slots__ = ("lineno", "seq", "tsc", "name", "words", "text")

    def __init__(self, lineno, seq, tsc, name, words, text):
        self.lineno, self.seq, self.tsc = lineno, seq, tsc
        self.name, self.words, self.text = name, words, text


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
    """Event of one "T " line, or Broken."""
    w = line.rstrip("\r").split()
    if len(w) < 4:
        raise Broken(no, "short trace line '%s'" % line[:60])
    return Event(no, num(w[1], "sequence number", no), num(w[2], "tsc", no), w[3], w[4:], line)


def read_events(path, log=None):
    """([Event], warnings) for the trace lines of path.  A last trace line
    without its newline was cut off: it is skipped with a warning.  Log
    lines (not starting with "T ") go to log(lineno, line) when given."""
    lines, unterminated = read_lines(path)
    cut = len(lines) if unterminated and lines and lines[-1].startswith("T ") else None
    out, warnings = [], []
    for no, line in enumerate(lines, 1):
        if not line.startswith("T "):
            if log:
                log(no, line)
        elif no == cut:
            warnings.append("line %d: cut-off last line ignored" % no)
        else:
            out.append(parse_line(no, line))
    return out, warnings


def start_of(events):
    """Index of the event a replay starts at: the header, or the first
    snapshot of a trace cut before its header; None when neither."""
    for k, e in enumerate(events):
        if e.name in ("trace", "snap-begin"):
            return k
    return None


# --- the replay ------------------------------------------------------------

class Replay:
    """The heap region's pages replayed from the trace.

    state: bytearray, per page the index of its state in STATES;
    frame: page index -> frame of each PRESENT page; counts: per state.
    """
    lenient = False

    def __init__(self):
        self.base = None
        self.npages = 0
        self.page_size = PAGE_SIZE
        self.state = bytearray()
        self.counts = [0] * len(STATES)
        self.frame = {}            # page index -> frame (PRESENT pages)
        self.owner = {}            # frame -> page index
        self.given_back = set()    # frames released and not mapped since
        self.zero_frame = None
        self.adopt = False         # started at a snapshot: take its states
        self.snap = None           # runs of the snapshot being read
        self.snap_base = None
        self.next_seq = None
        self.at_header = False
        self.peak = 0
        self.ev = None             # the event being replayed

    # -- reporting --------------------------------------------------------
    def broken(self, msg):
        """A rule the line breaks: fatal, or a warning when lenient."""
        if not self.lenient:
            raise Broken(self.ev.lineno if self.ev else None, msg)
        self.warn(self.ev.lineno if self.ev else None, msg)

    def malformed(self, msg):
        raise Broken(self.ev.lineno if self.ev else None, msg)

    def warn(self, lineno, msg):
        pass

    def changed(self, first, n, new):
        """Hook: pages first..first+n-1 are now in state new."""

    # -- setup --------------------------------------------------------------
    def start(self, base, npages, page_size, adopt):
        if npages <= 0:
            self.malformed("region of %d pages" % npages)
        if page_size <= 0 or page_size & (page_size - 1):
            self.malformed("page_size %d is not a power of two" % page_size)
        self.base, self.npages, self.page_size = base, npages, page_size
        self.state = bytearray(npages)        # all UNUSABLE
        self.counts = [0] * len(STATES)
        self.counts[UNUSABLE] = npages
        self.adopt = adopt
        self.at_header = not adopt

    def index(self, va):
        off = va - self.base
        if off < 0 or off % self.page_size or off // self.page_size >= self.npages:
            self.malformed("address %#x is not a page of the region %#x+%d pages"
                           % (va, self.base, self.npages))
        return off // self.page_size

    def va(self, i):
        return self.base + i * self.page_size

    def state_of(self, name):
        v = SV.get(name)
        if v is None:
            self.malformed("unknown page state '%s'" % name)
        return v

    # -- one event ------------------------------------------------------------
    def feed(self, ev):
        self.ev = ev
        self.check_seq(ev)
        handler = getattr(self, "ev_" + ev.name.replace("-", "_"), None)
        if handler is None:
            self.unknown(ev)
            return
        try:
            handler(ev.words)
        except IndexError:
            self.malformed("too few fields in '%s' line" % ev.name)

    def unknown(self, ev):
        pass

    def check_seq(self, ev):
        if self.next_seq is not None and ev.seq != self.next_seq:
            if ev.seq < self.next_seq:
                self.malformed("sequence number %d after %d (not increasing)"
                               % (ev.seq, self.next_seq - 1))
            self.broken("sequence number %d where %d was due (%d lines lost)"
                        % (ev.seq, self.next_seq, ev.seq - self.next_seq))
        self.next_seq = ev.seq + 1

    # -- page states --------------------------------------------------------
    def set_state(self, i, new):
        self.counts[self.state[i]] -= 1
        self.counts[new] += 1
        self.state[i] = new

    def move(self, i, old, new, frame):
        """Page i goes from old to new (state indices), naming frame."""
        cur = self.state[i]
        if cur != old:
            self.broken("page %#x is %s in the replay, the line says %s"
                        % (self.va(i), STATES[cur], STATES[old]))
        if not allowed(STATES[old], STATES[new]):
            self.broken("transition %s -> %s is not allowed" % (STATES[old], STATES[new]))
        if cur == PRESENT:
            self.let_go(i, frame)
        if new == PRESENT:
            self.take(i, frame)
        if new == ZERO:
            self.note_zero(frame)
        self.set_state(i, new)

    def let_go(self, i, frame):
        held = self.frame.pop(i, None)
        if frame is None:
            self.broken("PRESENT page left that state without naming its frame")
            frame = held
        elif frame in self.given_back:
            self.broken("frame %#x given back twice" % frame)
        elif held is not None and held != frame:
            self.broken("page gives back frame %#x but holds %#x" % (frame, held))
        self.owner.pop(held, None)
        self.given_back.add(frame)

    def take(self, i, frame):
        if frame is None:
            self.broken("page became PRESENT without a frame")
            return
        if frame in self.owner:
            self.broken("frame %#x mapped at two pages at once (%#x and %#x)"
                        % (frame, self.va(self.owner[frame]), self.va(i)))
        self.owner[frame] = i
        self.frame[i] = frame
        self.given_back.discard(frame)
        self.peak = max(self.peak, self.counts[PRESENT] + 1)

    def note_zero(self, frame):
        if self.zero_frame is None:
            self.zero_frame = frame
        elif frame != self.zero_frame:
            self.broken("ZERO page maps frame %#x, not the zero frame %#x"
                        % (frame if frame is not None else -1, self.zero_frame))

    # -- events -------------------------------------------------------------
    def ev_trace(self, w):
        if self.base is not None:
            self.malformed("a second trace header (several boots in one log?)")
        f = fields(w, self.ev.lineno, ("version", "base", "pages"))
        if f["version"] != "1":
            self.malformed("trace version %s; this reader reads version 1" % f["version"])
        self.categories = set(f.get("categories", "").split(","))
        self.start(num(f["base"], "base", self.ev.lineno), num(f["pages"], "pages", self.ev.lineno),
                   num(f.get("page_size", "4096"), "page_size", self.ev.lineno), False)

    def ev_page(self, w):
        if len(w) < 5:
            self.malformed("page line needs address, old, new, frame, cause")
        i = self.index(num(w[0], "address", self.ev.lineno))
        old, new = self.state_of(w[1]), self.state_of(w[2])
        frame = None if w[3] == "-" else num(w[3], "frame", self.ev.lineno)
        self.move(i, old, new, frame)
        self.changed(i, 1, new)

    def ev_pages(self, w):
        if len(w) < 5:
            self.malformed("pages line needs address, count, old, new, cause")
        first = self.index(num(w[0], "address", self.ev.lineno))
        n = num(w[1], "count", self.ev.lineno)
        old, new = self.state_of(w[2]), self.state_of(w[3])
        if old == PRESENT:
            self.broken("PRESENT pages in a run line: each must be its own page line")
        if n < 0 or first + n > self.npages:
            self.malformed("run of %d pages at %s runs past the region" % (n, w[0]))
        for i in range(first, first + n):
            self.move(i, old, new, None)
        self.changed(first, n, new)

    def ev_stats(self, w):
        f = fields(w)
        if self.adopt:
            return
        for key, st in (("present", PRESENT), ("zero", ZERO), ("aow", AOW)):
            if key in f and num(f[key], key, self.ev.lineno) != self.counts[st]:
                self.broken("stats say %s=%s, the replay counts %d" % (key, f[key], self.counts[st]))

    def ev_snap_begin(self, w):
        f = fields(w, self.ev.lineno, ("base", "pages"))
        base, pages = num(f["base"], "base", self.ev.lineno), num(f["pages"], "pages", self.ev.lineno)
        if self.base is None:            # a trace cut before its header: start here
            self.categories = None
            self.start(base, pages, PAGE_SIZE, True)
        elif base != self.base or pages != self.npages:
            self.malformed("snapshot of %#x+%d pages, the region is %#x+%d"
                           % (base, pages, self.base, self.npages))
        if self.snap is not None:
            self.broken("snapshot begins inside another")
        self.snap = []

    def ev_snap(self, w):
        if self.snap is None:
            self.malformed("snap line outside snap-begin/snap-end")
        for run in w:
            name, sep, rest = run.partition(":")
            if not sep:
                self.malformed("bad snapshot run '%s'" % run)
            count, at, fr = rest.partition("@")
            st = self.state_of(name)
            n = num(count, "run length", self.ev.lineno)
            frame = num(fr, "frame", self.ev.lineno) if at else None
            if n < 0:
                self.malformed("snapshot run of %d pages" % n)
            self.snap.append((st, n, frame))

    def ev_snap_end(self, w):
        if self.snap is None:
            self.malformed("snap-end without snap-begin")
        total = sum(n for _, n, _ in self.snap)
        if total != self.npages:
            self.malformed("snapshot covers %d pages, the region has %d" % (total, self.npages))
        i = 0
        for st, n, fr in self.snap:
            if self.adopt:
                self.adopt_run(i, n, st, fr)
            else:
                self.compare_run(i, n, st, fr)
            self.changed(i, n, st)
            i += n
        self.adopt = False
        self.snap = None
        f = fields(w)
        if num(f.get("present", "-1"), "present", self.ev.lineno) != self.counts[PRESENT]:
            self.broken("snap-end says present=%s, the replay counts %d"
                        % (f.get("present"), self.counts[PRESENT]))

    def adopt_run(self, i, n, st, fr):
        for j in range(i, i + n):
            self.set_state(j, st)
        if st == PRESENT and fr is not None:
            self.frame[i], self.owner[fr] = fr, i
        self.peak = max(self.peak, self.counts[PRESENT])

    def compare_run(self, i, n, st, fr):
        for j in range(i, i + n):
            if self.state[j] != st:
                self.broken("snapshot says page %#x is %s, the replay has %s"
                            % (self.va(j), STATES[st], STATES[self.state[j]]))
                self.set_state(j, st)
            elif st == PRESENT and self.frame.get(j) != fr:
                self.broken("snapshot says page %#x holds frame %#x, the replay %#x"
                            % (self.va(j), fr if fr is not None else -1, self.frame.get(j, -1)))

    def finish(self):
        """The end of the trace."""
        if self.snap is not None:
            self.broken("snapshot not finished at the end of the trace")
