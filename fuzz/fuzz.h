/* What every fuzz target shares. */
#ifndef TAILGATE_FUZZ_FUZZ_H
#define TAILGATE_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* A broken promise of the code under test: trap, so libFuzzer keeps the input. */
#define CHECK(x)                                                                                   \
    do {                                                                                           \
        if (!(x))                                                                                  \
            __builtin_trap();                                                                      \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
