"""gdb commands for a stopped kheap kernel (make debug; scripts/gdbinit loads this).

    kheap-info          the heap's figures, in the kernel's own "heap:" lines
    kheap-slabinfo      the slab classes in use, in kheap_print_slabinfo's lines
    kheap-page ADDR     the page holding ADDR: its state, entry, frame, descriptor
    kheap-find ADDR     what holds ADDR: a live or free object, a large allocation,
                        a free run or metadata, with its start and size
    kheap-leaks         live allocations grouped by allocation site when sites
                        are recorded (heapcheck=2 and 3), in kheap_print_leaks's
                        lines; otherwise by class, with counts and bytes

Everything is read from the kernel's own variables and types (struct heap,
struct pgdesc, struct slab, the page-state names of mm/pagestate.c, the
enums of mm/heap_int.h), so a change there is seen here.  The one thing
the debug information lacks is the PTE layout (arch/x86/pte.h macros;
the width, and so the recursive window, follows the kernel's pointer size);
tests/gdb/run checks the decode by comparing kheap-info's page counts with
the kernel's.
"""
import struct

import gdb

PAGE = 4096
# The recursive windows of arch/x86/layout_32.h and layout_64.h, by the
# kernel's pointer size: (window, entry size, the address bits that index it).
PT_WINDOWS = {4: (0xFFC00000, 4, 0xFFFFFFFF),           # PTE of va at PT_WINDOW + (va >> 12) * 4
              8: (0xFFFFFF0000000000, 8, 0xFFFFFFFFFFFF)}  # ... + (va & 2^48-1 >> 12) * 8
PTE_P, PTE_STATE_SHIFT, PTE_STATE_MASK = 0x1, 9, 0x7
PTE_FRAME_MASK = 0x000FFFFFFFFFF000       # bits 12-51; NX (bit 63) is not the frame


def val(expr):
    return gdb.parse_and_eval(expr)


def enum(name):
    return int(val(f"(int){name}"))


def state_names():
    names = val("'mm/pagestate.c'::state_names")
    n = names.type.range()[1] + 1
    return [names[i].string() for i in range(n)]


def read(addr, n):
    return bytes(gdb.selected_inferior().read_memory(addr, n))


class Heap:
    """One snapshot of the heap's region: descriptors and page-table entries."""

    def __init__(self):
        h = val("heap")
        self.h = h
        self.base, self.npg = int(h["base"]), int(h["npg"])
        self.pd = int(h["pd"])
        t = gdb.lookup_type("struct pgdesc")
        self.dsize = t.sizeof
        off = {f.name: f.bitpos // 8 for f in t.fields()}
        u = {f.name: f for f in t["u"].type.fields()}
        self.off_link = off["u"] + u["link"].bitpos // 8
        self.off = off
        self.ptr = gdb.lookup_type("void").pointer().sizeof
        self.desc = read(self.pd, self.npg * self.dsize) if self.npg else b""
        window, self.esize, bits = PT_WINDOWS[self.ptr]
        self.ptes = read(window + ((self.base & bits) >> 12) * self.esize,
                         self.npg * self.esize) if self.npg else b""
        self.kinds = {enum(k): k[3:] for k in ("PK_FREE", "PK_LARGE", "PK_LARGE_TAIL", "PK_SLAB", "PK_META")}
        self.names = state_names()

    def d(self, i):
        o = i * self.dsize
        kind, flags, cls, npages = struct.unpack_from("<BBHI", self.desc, o)
        nxt, prv = struct.unpack_from("<II", self.desc, o + self.off_link)
        slab = struct.unpack_from("<I" if self.ptr == 4 else "<Q", self.desc, o + self.off["u"])[0]
        return dict(kind=self.kinds.get(kind, str(kind)), flags=flags, cls=cls,
                    npages=npages, next=nxt, prev=prv, slab=slab)

    def pte(self, i):
        return struct.unpack_from("<I" if self.esize == 4 else "<Q", self.ptes, i * self.esize)[0]

    def state(self, i):
        return self.names[(self.pte(i) >> PTE_STATE_SHIFT) & PTE_STATE_MASK]

    def index(self, va):
        i = (va - self.base) // PAGE
        return i if 0 <= i < self.npg else None

    def head_of(self, i):
        """The first page of the run (free or large) or slab that page i is in."""
        d = self.d(i)
        if d["kind"] == "FREE":
            if d["npages"] == 0:          # inside a free run: walk left to its head
                while i > 0 and self.d(i)["npages"] == 0:
                    i -= 1
                d = self.d(i)
            if d["flags"] & 1:            # PG_TAIL: its head is npages - 1 to the left
                i -= d["npages"] - 1
            return i
        if d["kind"] in ("LARGE_TAIL", "SLAB"):
            while i > 0 and self.d(i)["kind"] == d["kind"] and self.d(i)["npages"] == 0:
                i -= 1
        return i


def classes():
    c = val("'mm/slab.c'::classes")
    return [c[k] for k in range(c.type.range()[1] + 1)]


class KheapInfo(gdb.Command):
    """The heap's figures, as kheap_print_stats prints them."""

    def __init__(self):
        super().__init__("kheap-info", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        hp = Heap()
        h = hp.h
        n = {s: 0 for s in hp.names}
        kinds = {k: 0 for k in hp.kinds.values()}
        for i in range(hp.npg):
            n[hp.state(i)] += 1
            kinds[hp.d(i)["kind"]] += 1
        runs = cold = 0
        for s in range(2):
            for b in range(h["head"][0].type.range()[1] + 1):
                i = int(h["head"][s][b])
                while i != 0xFFFFFFFF:
                    runs += 1
                    cold += s == 1
                    i = hp.d(i)["next"]
        print(f"heap: {hp.npg} pages at {hp.base:#x}: AOW {n['AOW']}, ZERO {n['ZERO']}, PRESENT {n['PRESENT']}, "
              f"KEPT {n['KEPT']}")
        print(f"heap: {int(h['live_allocs'])} live allocations, {int(h['live_bytes'])} live bytes; "
              f"pages: {kinds['LARGE'] + kinds['LARGE_TAIL']} large, {kinds['SLAB']} slab, "
              f"{kinds['META']} metadata, {int(h['free_pages'])} free in {runs} runs ({cold} cold)")
        print(f"heap: {int(h['committed'])} committed pages, {int(h['reserved'])} frames reserved, "
              f"{int(h['freed_since_check'])} bytes freed since last check")


class KheapSlabinfo(gdb.Command):
    """The slab classes in use, as kheap_print_slabinfo prints them."""

    def __init__(self):
        super().__init__("kheap-slabinfo", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        print("slabinfo: class  objsize   active    total  slabs  pages  objs/slab  pages/slab")
        act = tot = pages = 0
        for k, c in enumerate(classes()):
            slabs = int(c["slabs"])
            if not slabs:
                continue
            size, nobj, np, use = int(c["size"]), int(c["nobj"]), int(c["npages"]), int(c["in_use"])
            print(f"slabinfo: {k:5d} {size:8d} {use:8d} {slabs * nobj:8d} {slabs:6d} {slabs * np:6d} "
                  f"{nobj:10d} {np:11d}")
            act, tot, pages = act + use, tot + slabs * nobj, pages + slabs * np
        print(f"slabinfo: total {'':8s} {act:8d} {tot:8d} {'':6s} {pages:6d}")


def addr_arg(arg):
    if not arg.strip():
        raise gdb.GdbError("an address, please")
    return int(val(arg)) & ((1 << 8 * gdb.lookup_type("void").pointer().sizeof) - 1)


class KheapPage(gdb.Command):
    """kheap-page ADDR: the page's state, entry, frame and descriptor."""

    def __init__(self):
        super().__init__("kheap-page", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        va = addr_arg(arg)
        hp = Heap()
        i = hp.index(va)
        if i is None:
            print(f"page {va & ~(PAGE - 1):#x}: not in the heap region {hp.base:#x}-{hp.base + hp.npg * PAGE:#x}")
            return
        e, d = hp.pte(i), hp.d(i)
        frame = f"{(e & PTE_FRAME_MASK) >> 12:#x}" if e & PTE_P or hp.state(i) == "KEPT" else "-"   # KEPT: not present, frame kept
        print(f"page {hp.base + i * PAGE:#x}: index {i}, state {hp.state(i)}, pte {e:#010x}, frame {frame}, "
              f"kind {d['kind']}, npages {d['npages']}, class {d['cls']}")


class KheapFind(gdb.Command):
    """kheap-find ADDR: which allocation, free object or free run holds ADDR."""

    def __init__(self):
        super().__init__("kheap-find", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        va = addr_arg(arg)
        hp = Heap()
        i = hp.index(va)
        if i is None:
            print(f"{va:#x}: not in the heap region")
            return
        kind = hp.d(i)["kind"]
        h = hp.head_of(i)
        d = hp.d(h)
        start = hp.base + h * PAGE
        if kind == "SLAB":
            print(self.slab_object(va, d))
        elif kind in ("LARGE", "LARGE_TAIL"):
            print(f"{va:#x}: large allocation {start:#x}, {d['npages'] * PAGE} bytes ({d['npages']} pages), "
                  f"live, offset {va - start}")
        elif kind == "FREE":
            print(f"{va:#x}: free run {start:#x}, {d['npages']} pages, {'cold' if d['flags'] & 2 else 'warm'}")
        else:
            print(f"{va:#x}: heap metadata page {start:#x} (slab descriptors)")

    @staticmethod
    def slab_object(va, d):
        s = val(f"*(struct slab *){d['slab']:#x}")
        size = int(classes()[int(s["cls"])]["size"])
        base = int(s["base"])
        k = (va - base) // size
        start = base + k * size
        if k >= int(s["nobj"]):
            return f"{va:#x}: slab {base:#x} (class {int(s['cls'])}, {size} bytes), past its last object"
        free = int(s["map"][k // 32]) >> (k % 32) & 1
        return (f"{va:#x}: slab object {start:#x}, {size} bytes, {'free' if free else 'live'}, "
                f"offset {va - start}; slab {base:#x} class {int(s['cls'])} object {k}")


def code_symbol(pc):
    """pc as ksym_format words it: symbol+0xoff (the address alone when none)."""
    words = gdb.execute(f"info symbol {pc:#x}", to_string=True).split()
    if not words or words[0] == "No":
        return f"{pc:#x}"
    off = int(words[2]) if len(words) > 3 and words[1] == "+" else 0
    return f"{words[0]}+{off:#x}"


def live_sites():
    """(index, pc, count, bytes) of every site with live allocations (mm/heapdebug.c)."""
    sites = val("'mm/heapdebug.c'::sites")
    ptr = gdb.lookup_type("void").pointer().sizeof
    n = sites.type.sizeof // (3 * ptr)
    raw = bytes(gdb.selected_inferior().read_memory(int(sites.address), sites.type.sizeof))
    fmt = "<3I" if ptr == 4 else "<3Q"
    rows = []
    for i in range(1, n):
        pc, count, nbytes = struct.unpack_from(fmt, raw, i * 3 * ptr)
        if count:
            rows.append((i, pc, count, nbytes))
    return rows


class KheapLeaks(gdb.Command):
    """Live allocations by allocation site (sites recorded), else by class: counts and bytes."""

    def __init__(self):
        super().__init__("kheap-leaks", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        hp = Heap()
        rows = live_sites()
        if rows or int(val("heap_debug_level")) >= 2:
            self.by_site(hp, rows)
        else:
            self.by_class(hp)

    @staticmethod
    def by_site(hp, rows):
        """The lines of site_print_leaks: largest bytes first, ties by site index."""
        allocs, nbytes = sum(r[2] for r in rows), sum(r[3] for r in rows)
        print(f"leaks: {allocs} live allocations, {nbytes} bytes requested, by allocation site "
              f"(heapcheck level {int(val('heap_debug_level'))})")
        for _, pc, count, b in sorted(rows, key=lambda r: (-r[3], r[0])):
            print(f"leaks: {count:8d} allocations {b:10d} bytes at {code_symbol(pc)}")
        unsited = int(hp.h["live_allocs"]) - allocs - int(val("'mm/heapguard.c'::qlen"))
        if unsited > 0:
            print(f"leaks: {unsited:8d} allocations with no site recorded (made below level 2)")

    @staticmethod
    def by_class(hp):
        for k, c in enumerate(classes()):
            if int(c["in_use"]):
                print(f"leaks: class {k} ({int(c['size'])} bytes): {int(c['in_use'])} live, "
                      f"{int(c['in_use']) * int(c['size'])} bytes")
        i = 0
        while i < hp.npg:
            d = hp.d(i)
            if d["kind"] == "LARGE":
                print(f"leaks: large {hp.base + i * PAGE:#x}: {d['npages'] * PAGE} bytes")
            i += max(d["npages"], 1) if d["kind"] in ("LARGE", "FREE", "SLAB") else 1
        print(f"leaks: {int(hp.h['live_allocs'])} live allocations, {int(hp.h['live_bytes'])} bytes in all")


for cmd in (KheapInfo, KheapSlabinfo, KheapPage, KheapFind, KheapLeaks):
    cmd()
