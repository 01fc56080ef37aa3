# Host build of the arch-neutral code (mm/, the Multiboot2 and command-line
# parsers) against arch/host, with AddressSanitizer and UBSan.
HCFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror -fno-omit-frame-pointer \
	-fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-I. -Iarch/host -MMD -MP
HSRCS := $(wildcard mm/*.c tests/mm/*.c tests/host/*.c arch/host/*.c) \
	src/multiboot2.c src/cmdline.c tests/ktest.c
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
