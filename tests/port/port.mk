# The minimal port (docs/porting.md, tests/port): mm/ compiled freestanding
# against tests/port/arch_glue.h and linked with no C library, only the
# hooks of tests/port/platform.c, src/printf.c's vsnprintf and snprintf,
# and the compiler's runtime (libgcc).  A symbol mm/ needs that none of
# them defines fails the link; scripts/check-port compares what mm/ needs
# with the document's list of hooks.
POUT := $(OUT)/port
PCFLAGS := -std=gnu11 -O2 -g -ffreestanding -fno-builtin -fno-stack-protector -fno-pie \
	-Wall -Wextra -Werror -I. -Itests/port -MMD -MP
PORT_MM := $(patsubst %,$(POUT)/%.o,$(wildcard mm/*.c))
PORT_GLUE := $(patsubst %,$(POUT)/%.o,$(wildcard tests/port/*.c) src/printf.c)
PORT_LIBGCC = $(eval PORT_LIBGCC := $(call probe,$(CC) -print-libgcc-file-name))$(PORT_LIBGCC)

$(POUT)/%.c.o: %.c
	@mkdir -p $(dir $@)
	@echo "  PORTCC  $<"
	$(Q)$(CC) $(PCFLAGS) -c $< -o $@

# mm/ as one object: what it leaves undefined is what it needs (nm -u).
$(POUT)/mm.o: $(PORT_MM)
	$(Q)ld -r -o $@ $(PORT_MM)

$(POUT)/port: $(POUT)/mm.o $(PORT_GLUE)
	@echo "  PORTLD  $@"
	$(Q)$(CC) -static -nostdlib -no-pie -o $@ $(POUT)/mm.o $(PORT_GLUE) $(PORT_LIBGCC)

.PHONY: port-test
port-test: $(POUT)/port
	scripts/check-port $(POUT)/mm.o
	$(POUT)/port

-include $(PORT_MM:.o=.d) $(PORT_GLUE:.o=.d)
