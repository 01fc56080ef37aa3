# Host build of the arch-neutral code (mm/, the Multiboot2 and command-line
# parsers) against arch/host, with AddressSanitizer and UBSan.
HCFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror -fno-omit-frame-pointer \
	-fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-I. -Iarch/host -MMD -MP
HSRCS := $(wildcard mm/*.c tests/mm/*.c tests/host/*.c arch/host/*.c) \
	src/multiboot2.c src/cmdline.c src/acpi.c tests/ktest.c
HOBJS := $(patsubst %,$(HOUT)/%.o,$(HSRCS))

$(HOUT)/%.c.o: %.c
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $<"
	$(Q)$(CC) $(HCFLAGS) -c $< -o $@

$(HOUT)/host-tests: $(HOBJS)
	@echo "  HOSTLD  $@"
	$(Q)$(CC) $(HCFLAGS) -rdynamic -o $@ $(HOBJS)

host-test: $(HOUT)/host-tests
	$(HOUT)/host-tests

-include $(HOBJS:.o=.d)

# The same host code built for 32-bit x86, as the kernel's word size.
H32OUT := $(OUT)/host32
H32OBJS := $(patsubst %,$(H32OUT)/%.o,$(HSRCS))
$(H32OUT)/%.c.o: %.c
	@mkdir -p $(dir $@)
	@echo "  HOSTCC32 $<"
	$(Q)$(CC) -m32 $(HCFLAGS) -c $< -o $@
$(H32OUT)/host-tests: $(H32OBJS)
	@echo "  HOSTLD32 $@"
	$(Q)$(CC) -m32 $(HCFLAGS) -rdynamic -o $@ $(H32OBJS)
-include $(H32OBJS:.o=.d)

# libFuzzer (clang): make fuzz FUZZ_TIME=SECONDS grows build/fuzz-corpus
# from tests/fuzz/corpus; make test replays the committed corpus.
FUZZ_TIME ?= 60
FUZZ_SRCS := $(wildcard mm/*.c arch/host/*.c) tests/fuzz/fuzz_heap.c
$(HOUT)/fuzz_heap: $(FUZZ_SRCS) $(wildcard mm/*.h arch/host/*.h)
	@mkdir -p $(dir $@)
	@echo "  FUZZ    $@"
	$(Q)clang -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined -I. -Iarch/host -o $@ $(FUZZ_SRCS) -ldl

.PHONY: fuzz
fuzz: $(HOUT)/fuzz_heap
	@mkdir -p $(OUT)/fuzz-corpus
	cp -n tests/fuzz/corpus/* $(OUT)/fuzz-corpus/ 2>/dev/null || true
	$(HOUT)/fuzz_heap -max_total_time=$(FUZZ_TIME) -max_len=512 $(OUT)/fuzz-corpus

# libkheap.so: the heap as malloc for Linux programs (arch/lib), release
# build (no KASSERTs), only the malloc family exported.
LIBSRCS := $(wildcard mm/*.c arch/lib/*.c)
$(OUT)/libkheap.so: $(LIBSRCS) $(wildcard mm/*.h arch/lib/*.h) tests/host/host.mk
	@mkdir -p $(dir $@)
	@echo "  LIB     $@"
	$(Q)$(CC) -std=gnu11 -O2 -g -flto -fPIC -shared -fvisibility=hidden -DMM_DEBUG=0 \
		-Wall -Wextra -Werror -I. -Iarch/lib -o $@ $(LIBSRCS) -lpthread -ldl
.PHONY: lib
lib: $(OUT)/libkheap.so
