# tailgate — one binary, its unit tests, and the same again under sanitizers.
#   make                 ./tailgate
#   make check           unit + end-to-end tests, plain build and ASan/UBSan build
#   make check-fast      the same on the plain build only
#   make demo            the embedded baseline-vs-optimized run (README's main job)
#   make sweep-demo      the embedded capacity sweep, batch 1 and batch 10 (under two minutes)
#   make bench           benchmarks against peers (docs/PERFORMANCE.md)
#   make fuzz            libFuzzer targets, FUZZ_SECONDS each (clang)
#   make install PREFIX=/usr/local

CC      ?= gcc
PREFIX  ?= /usr/local
WARN     = -Wall -Wextra -Wshadow -Wmissing-prototypes -Werror
CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 $(WARN) -D_GNU_SOURCE -Isrc -pthread
LDLIBS   = -ljansson -lnghttp2 -lssl -lcrypto -lm -pthread
SAN      = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
FUZZ_SECONDS ?= 30
# V=1 shows the compiler command lines.
Q        = $(if $(V),,@)

.DEFAULT_GOAL := all

SRCS     := $(sort $(shell find src -name '*.c'))
LIB_SRCS := $(filter-out src/main.c,$(SRCS))
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))

# One object tree per variant so the plain and sanitized builds never mix.
define variant
$(1)/obj/%.o: %.c
	@mkdir -p $$(dir $$@)
	@echo "  CC    $$@"
	$$(Q)$$(CC) $$(CFLAGS) $(2) -MMD -MP -c $$< -o $$@
$(1)/tailgate: $$(SRCS:%.c=$(1)/obj/%.o)
	@echo "  LINK  $$@"
	$$(Q)$$(CC) $$(CFLAGS) $(2) -o $$@ $$^ $$(LDLIBS)
$(1)/tests/%: $(1)/obj/tests/unit/%.o $$(LIB_SRCS:%.c=$(1)/obj/%.o)
	@mkdir -p $$(dir $$@)
	@echo "  LINK  $$@"
	$$(Q)$$(CC) $$(CFLAGS) $(2) -o $$@ $$^ $$(LDLIBS) -lcmocka
$(1)/units: $$(UNIT_SRCS:tests/unit/%.c=$(1)/tests/%)
-include $$(shell find $(1) -name '*.d' 2>/dev/null)
endef

$(eval $(call variant,build/release,))
$(eval $(call variant,build/asan,$(SAN)))

.PHONY: all check check-fast demo sweep-demo bench fuzz install format clean
.SECONDARY:

all: tailgate

# Copied then renamed: a running ./tailgate ("Text file busy") is replaced, not written into.
tailgate: build/release/tailgate
	@cp $< $@.tmp && mv -f $@.tmp $@

check: tailgate build/release/units build/asan/tailgate build/asan/units
	python3 tests/run.py --variant build/release --variant build/asan

check-fast: tailgate build/release/units
	python3 tests/run.py --variant build/release

demo: tailgate
	./tailgate ab

sweep-demo: tailgate
	mkdir -p tailgate-out
	./tailgate sweep --out tailgate-out/sweep.json --log-dir tailgate-out/sweep-logs
	./tailgate report tailgate-out/sweep.json -o tailgate-out/sweep.html

bench: tailgate
	bench/run.sh

fuzz:
	$(MAKE) -C fuzz run FUZZ_SECONDS=$(FUZZ_SECONDS)

install: tailgate
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 tailgate $(DESTDIR)$(PREFIX)/bin/tailgate

format:
	clang-format -i $$(find src tests fuzz -name '*.[ch]')

clean:
	rm -rf build tailgate
