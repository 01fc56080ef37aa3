# gdb -batch -x scripts/count-calls.py, with QEMU waiting for gdb and the
# kernel booted with "bench" (scripts/count-calls does both): single-steps
# one warm kmalloc and one kfree of the benchmark's pair loop, and one
# write fault on an AOW heap page from its fault loop (kheap_fault_fast,
# which the #PF stub calls: the stub's own instructions are not in it; the
# zeroing's rep stosl counts once per iteration), and prints how many instructions
# each took, by function.
import gdb
import os


def count(label):
    sp = int(gdb.parse_and_eval("$esp"))
    n, funcs = 0, {}
    while n < 5000:
        pc = int(gdb.parse_and_eval("$pc"))
        block = gdb.block_for_pc(pc)
        name = block.function.name if block and block.function else "?"
        funcs[name] = funcs.get(name, 0) + 1
        gdb.execute("stepi", to_string=True)
        n += 1
        if int(gdb.parse_and_eval("$esp")) > sp:
            break
    parts = ", ".join("%s %d" % kv for kv in sorted(funcs.items(), key=lambda kv: -kv[1]))
    print("count-calls: %s: %d instructions (%s)" % (label, n, parts))


gdb.execute("set pagination off")
gdb.execute("file " + os.environ.get("COUNT_KERNEL", "build/kernel.elf"))
gdb.execute("target remote :1234")
gdb.execute("break bench_pairs")
gdb.execute("continue")
gdb.execute("break kmalloc")
gdb.execute("continue")
gdb.execute("continue 50")          # ignore the kmalloc breakpoint 49 more times: warm
count("kmalloc(16)")
gdb.execute("break kfree")
gdb.execute("continue")
count("kfree")
gdb.execute("delete")
gdb.execute("break bench_faults")
gdb.execute("continue")
gdb.execute("break kheap_fault_fast")
gdb.execute("continue 10")          # the tenth fault of the write loop
count("write fault on AOW")
gdb.execute("kill")
