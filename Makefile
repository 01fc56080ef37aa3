# kheap: a demand-paged kernel heap for i386 and x86_64.
#
#   make            build/kernel.elf and build/kernel.iso (ARCH=x86_64:
#                   build/kernel64.elf and build/kernel64.iso; any goal takes ARCH)
#   make run        install what is missing, boot the demonstration in QEMU
#   make test       make check, host tests, then test boots in QEMU and Bochs
#   make bench      in-kernel benchmarks under QEMU -icount, both widths (figures, not checks)
#   make bench-boot what setting up memory costs at boot, both widths, 64M-16G
#   make trace ARGS="..."  record, check and draw the trace of a command line
#   make stress     the memory-pressure matrix in Bochs and QEMU (a few minutes)
#   make lib        build/libkheap.so: the heap as malloc for Linux programs
#   make test-programs  python3, sqlite3, gcc, git, sort under LD_PRELOAD
#   make debug      QEMU paused for gdb (scripts/gdbinit)
#   make host-test  the host tests alone
#   make port-test  the minimal freestanding port (tests/port) and its hook check
#   make check      cppcheck and clang --analyze: any finding fails; the layer and
#                   docs checks (make test runs it)
#   make clean      remove build/ (installs nothing)

# Two stages.  On a fresh machine the compiler this Makefile probes (gcc's
# include directory, the 32-bit libgcc) is not installed yet, so the first
# stage probes nothing: it runs scripts/deps, which installs what is
# missing, and then make again for the same goals (the second stage,
# KHEAP_DEPS=ok, below).  Sub-makes inherit KHEAP_DEPS=ok, so scripts/deps
# runs once per command, and under make -j nothing builds before it ends.
OUT := build
ifneq ($(KHEAP_DEPS),ok)
GOALS := $(or $(MAKECMDGOALS),all)
ifeq ($(filter-out clean,$(GOALS)),)
.PHONY: clean
clean:
	rm -rf $(OUT)
else
.PHONY: $(GOALS) stage2
$(GOALS): stage2 ;
stage2:
	@scripts/deps
	@$(MAKE) --no-print-directory KHEAP_DEPS=ok $(MAKECMDGOALS)
endif
else

CC      := gcc
HOUT    := $(OUT)/host

# ARCH=i386 (the default) or ARCH=x86_64: which kernel the goals build and
# boot.  Each width has its own objects, ELF and ISO; arch/x86's *_32 and
# *_64 files are the parts that differ, the rest is shared.
ARCH ?= i386
export ARCH
ifeq ($(ARCH),x86_64)
KOUT    := $(OUT)/kernel64
KELF    := $(OUT)/kernel64.elf
KISO    := $(OUT)/kernel64.iso
KWIDTH  := 64
KOTHER  := 32
KARCH   := -m64 -march=x86-64 -mcmodel=kernel -mno-red-zone -DCONFIG_X86_64
KLDEMU  := elf_x86_64
else ifeq ($(ARCH),i386)
KOUT    := $(OUT)/kernel
KELF    := $(OUT)/kernel.elf
KISO    := $(OUT)/kernel.iso
KWIDTH  := 32
KOTHER  := 64
# i686 instructions, scheduled for today's CPUs: -march=i686 alone tunes
# for the Pentium Pro (docs/benchmarks.md, the magazine-hit pair).
KARCH   := -m32 -march=i686 -mtune=generic
KLDEMU  := elf_i386
else
$(error ARCH=$(ARCH): the kernel builds for ARCH=i386 or ARCH=x86_64)
endif

KCFLAGS  = $(KARCH) -std=gnu11 -O2 -g \
	-ffreestanding -fno-pic -fno-pie -fno-stack-protector \
	-fno-omit-frame-pointer -mno-omit-leaf-frame-pointer \
	-mno-sse -mno-mmx -mno-80387 -fno-tree-loop-distribute-patterns \
	-Wall -Wextra -Werror \
	-nostdinc -isystem $(GCC_INCLUDE) \
	-I. -Iarch/x86 -MMD -MP $(KDEFS)
KLDS     := arch/x86/linker_$(KWIDTH).ld
KLDFLAGS := -m $(KLDEMU) -T $(KLDS) -nostdlib -z noexecstack

# Toolchain probes: each runs once, when a recipe first uses it, never while
# make parses this file.
GCC_INCLUDE = $(eval GCC_INCLUDE := $(call probe,$(CC) -print-file-name=include))$(GCC_INCLUDE)
LIBGCC = $(eval LIBGCC := $(call probe,$(CC) -m$(KWIDTH) -print-libgcc-file-name))$(LIBGCC)
probe = $(or $(shell $1),$(error '$1' printed nothing: is the compiler installed? (scripts/deps)))

# tests/smp last: its cases run last (link order), after the cases that
# expect the layout a one-CPU boot leaves.
KSRCS_BOTH := $(wildcard src/*.c arch/x86/*.c mm/*.c fault/*.c tests/kernel/*.c tests/mm/*.c tests/smp/*.c) \
	tests/ktest.c $(wildcard arch/x86/*.S)
KSRCS := $(filter-out arch/x86/%_$(KOTHER).c arch/x86/%_$(KOTHER).S src/%_$(KOTHER).c,$(KSRCS_BOTH))
KOBJS := $(patsubst %,$(KOUT)/%.o,$(KSRCS))

.PHONY: all run test host-test bench bench-boot bench-host trace stress test-programs debug deps check clean
all: $(KELF) $(KISO)

Q := @
$(KOUT)/%.c.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(KCFLAGS) -c $< -o $@

$(KOUT)/%.S.o: %.S
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	$(Q)$(CC) $(KCFLAGS) -D__ASSEMBLY__ -c $< -o $@

# Two links: the first with an empty symbol table, the second with the
# table generated from the first.  .ksyms is last, so nothing else moves;
# the comparison proves it.
$(KOUT)/ksyms0.S:
	@mkdir -p $(dir $@)
	$(Q)scripts/gen-ksyms > $@
$(KOUT)/kernel0.elf: $(KOBJS) $(KOUT)/ksyms0.S.o $(KLDS)
	@echo "  LD      $@"
	$(Q)ld $(KLDFLAGS) -o $@ $(KOBJS) $(KOUT)/ksyms0.S.o $(LIBGCC)
$(KOUT)/ksyms.S: $(KOUT)/kernel0.elf scripts/gen-ksyms
	$(Q)scripts/gen-ksyms $< > $@
$(KOUT)/ksyms0.S.o: $(KOUT)/ksyms0.S
	$(Q)$(CC) $(KCFLAGS) -c $< -o $@
$(KOUT)/ksyms.S.o: $(KOUT)/ksyms.S
	$(Q)$(CC) $(KCFLAGS) -c $< -o $@
$(KELF): $(KOUT)/kernel0.elf $(KOUT)/ksyms.S.o
	@echo "  LD      $@ (with symbols)"
	$(Q)ld $(KLDFLAGS) -o $@ $(KOBJS) $(KOUT)/ksyms.S.o $(LIBGCC)
	@nm -n $(KOUT)/kernel0.elf | grep -v "ksyms\|__kernel_end" > $(KOUT)/syms0.txt
	@nm -n $@ | grep -v "ksyms\|__kernel_end" > $(KOUT)/syms1.txt
	@cmp -s $(KOUT)/syms0.txt $(KOUT)/syms1.txt || { echo "symbols moved between links"; exit 1; }
	@grub-file --is-x86-multiboot2 $@ || { echo "$@: not a Multiboot2 kernel"; exit 1; }

$(KISO): $(KELF) grub.cfg scripts/mkiso
	@echo "  ISO     $@"
	$(Q)scripts/mkiso $(KELF) $@

# The first stage has run scripts/deps already.
deps:

run: all
	scripts/demo

test:
	scripts/test-all

# make trace ARGS="words": record the trace of any command line, check it, draw it.
trace: all
	scripts/trace-run $(ARGS)

# Debian programs under LD_PRELOAD=build/libkheap.so, at full size.
test-programs: build/libkheap.so
	tests/programs/run --full

# make stress: every workload under the balloon, Bochs and QEMU; one table.
stress: all
	scripts/stress-matrix

# Host benchmarks: kheap (libkheap.so) against glibc, jemalloc and mimalloc.
bench-host: build/libkheap.so
	@scripts/deps --bench
	scripts/bench-host

# The figures are of the release build: MM_DEBUG=0, no KASSERTs.
RELEASE = $(MAKE) --no-print-directory OUT=$(OUT)/release KDEFS=-DMM_DEBUG=0
bench:
	$(RELEASE) ARCH=i386 $(OUT)/release/kernel.elf
	$(RELEASE) ARCH=x86_64 $(OUT)/release/kernel64.elf
	scripts/bench

# Boot cost (scripts/boot-cost): both widths' release kernels at 64 MiB, 4 GiB, 16 GiB.
bench-boot:
	$(RELEASE) ARCH=i386 $(OUT)/release/kernel.elf
	$(RELEASE) ARCH=x86_64 $(OUT)/release/kernel64.elf
	scripts/boot-cost

debug: all
	scripts/run-qemu --gdb

clean:
	rm -rf $(OUT)

-include $(KOBJS:.o=.d)
include tests/host/host.mk
include tests/port/port.mk

# make check: static analysis of every build's C sources with that build's
# include paths and defines, cppcheck per build and clang --analyze per
# file; any finding fails.  Results are stamps under build/check/, redone
# when a source, a header it includes or this Makefile changes.
CHECKOUT := $(OUT)/check
CLANG_INCLUDE = $(eval CLANG_INCLUDE := $(call probe,clang -print-resource-dir)/include)$(CLANG_INCLUDE)
ANALYZE := clang --analyze -Xclang -analyzer-werror -Werror
CPPCHECK := cppcheck -q --std=c11 --enable=warning,style,performance,portability \
	--inline-suppr --error-exitcode=1
# The builds: the kernel (i386, and x86_64 as kernel64), the host tests and
# fuzzer, libkheap.so (MM_DEBUG=0), the Linux programs (libkheap's API
# test, the host benchmarks), and the minimal port's own files (tests/port;
# its mm/ differs from the host's only in the glue header).
# cppcheck reads all of a build's files.  clang --analyze (the slow one)
# takes a file shared by the kernel and the host tests once, in the kernel
# build: the two differ only in the glue header; the lib build differs in
# MM_DEBUG, so it takes mm/ again.
CHECK_BUILDS := kernel kernel64 host lib prog port
CHECK_kernel := $(filter-out arch/x86/%_64.c src/%_64.c,$(filter %.c,$(KSRCS_BOTH)))
# x86_64: cppcheck reads all its files; clang --analyze takes the _64 ones
# (the shared ones it has in the i386 build).
CHECK_kernel64 := $(filter-out arch/x86/%_32.c src/%_32.c,$(filter %.c,$(KSRCS_BOTH)))
ANALYZE_kernel64 := $(filter arch/x86/%_64.c src/%_64.c,$(CHECK_kernel64))
CHECK_host := $(HSRCS) tests/fuzz/fuzz_heap.c
CHECK_lib := $(LIBSRCS)
CHECK_prog := tests/lib/api.c $(wildcard tests/hostbench/*.c)
CHECK_port := $(wildcard tests/port/*.c)
ANALYZE_kernel := $(CHECK_kernel)
ANALYZE_host := $(filter-out $(CHECK_kernel),$(CHECK_host))
ANALYZE_lib := $(CHECK_lib)
ANALYZE_prog := $(CHECK_prog)
ANALYZE_port := $(CHECK_port)
ANFLAGS_kernel = -m32 -march=i686 -std=gnu11 -ffreestanding -fno-pic -mno-sse -mno-mmx \
	-mno-80387 -nostdinc -isystem $(CLANG_INCLUDE) -I. -Iarch/x86 $(KDEFS)
ANFLAGS_kernel64 = -m64 -mcmodel=kernel -mno-red-zone -std=gnu11 -ffreestanding -fno-pic -mno-sse \
	-mno-mmx -mno-80387 -nostdinc -isystem $(CLANG_INCLUDE) -I. -Iarch/x86 -DCONFIG_X86_64 $(KDEFS)
ANFLAGS_host := -std=gnu11 -I. -Iarch/host
ANFLAGS_lib := -std=gnu11 -DMM_DEBUG=0 -I. -Iarch/lib
ANFLAGS_prog := -std=gnu11 -pthread -I.
ANFLAGS_port := -std=gnu11 -ffreestanding -I. -Itests/port
CPPFLAGS_kernel := --platform=unix32 -D__i386__ $(KDEFS) -I. -Iarch/x86
# printf's length for %z is sizeof(size_t)'s: the same as %j's on x86_64, by design.
CPPFLAGS_kernel64 := --platform=unix64 -D__x86_64__ -DCONFIG_X86_64 $(KDEFS) -I. -Iarch/x86 \
	--suppress=duplicateValueTernary:src/printf.c
CPPFLAGS_host := --platform=unix64 -D__x86_64__ -I. -Iarch/host
CPPFLAGS_lib := --platform=unix64 -D__x86_64__ -DMM_DEBUG=0 -I. -Iarch/lib
CPPFLAGS_prog := --platform=unix64 -D__x86_64__ -I.
CPPFLAGS_port := --platform=unix64 -D__x86_64__ -I. -Itests/port
# api.c misuses malloc on purpose (double and invalid frees, use after
# free, out of bounds, results dropped): the rules about that are off for it alone, as
# tests/lib/run turns off gcc's warnings about it.
$(CHECKOUT)/prog/tests/lib/api.c.ok: ANFLAGS_prog += -Xclang -analyzer-disable-checker=unix.Malloc,deadcode.DeadStores
# The minimal port frees a stack address and reads a freed block's pages
# (that they were given back) on purpose: the malloc rules are off for it.
$(CHECKOUT)/port/tests/port/main.c.ok: ANFLAGS_port += -Xclang -analyzer-disable-checker=unix.Malloc
CPPFLAGS_prog += $(foreach id,leakReturnValNotUsed memleakOnRealloc invalidFree unreadVariable negativeIndex arrayIndexOutOfBounds,--suppress=$(id):tests/lib/api.c)
CHECK_HEADERS := $(wildcard */*.h */*/*.h)

define check_build
$(CHECKOUT)/$(1)/%.c.ok: %.c Makefile
	@mkdir -p $$(dir $$@)
	@echo "  ANALYZE $$< ($(1))"
	$$(Q)$$(ANALYZE) $$(ANFLAGS_$(1)) -MMD -MP -MF $$(@:.ok=.d) -MT $$@ -o /dev/null $$<
	@touch $$@
$(CHECKOUT)/$(1)/cppcheck.ok: $$(CHECK_$(1)) $$(CHECK_HEADERS) Makefile
	@mkdir -p $(CHECKOUT)/$(1)/cppcheck
	@echo "  CPPCHECK $(1) ($$(words $$(CHECK_$(1))) files)"
	$$(Q)$$(CPPCHECK) --cppcheck-build-dir=$(CHECKOUT)/$(1)/cppcheck $$(CPPFLAGS_$(1)) $$(CHECK_$(1))
	@touch $$@
CHECK_STAMPS += $(CHECKOUT)/$(1)/cppcheck.ok $$(patsubst %,$(CHECKOUT)/$(1)/%.ok,$$(ANALYZE_$(1)))
endef
$(foreach b,$(CHECK_BUILDS),$(eval $(call check_build,$(b))))
-include $(CHECK_STAMPS:.ok=.d)

check: $(CHECK_STAMPS)
	@scripts/check-layers
	@scripts/check-docs
	@echo "check: cppcheck and clang --analyze: no findings in $(words $(filter %.c.ok,$(CHECK_STAMPS))) analyses"

endif # KHEAP_DEPS
