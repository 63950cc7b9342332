/* guard — puts a test input right before an unmapped (PROT_NONE) page, so a
 * parser that reads one byte past its input crashes instead of passing
 * (picohttpparser's trick). Header-only: each unit test is its own program. */
#ifndef TAILGATE_TESTS_GUARD_H
#define TAILGATE_TESTS_GUARD_H

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

typedef struct {
    char *map;
    size_t map_len;
    char *data; /* guard_place: data[len] is the first byte of the PROT_NONE page */
    char *str;  /* guard_place_str: str[len] is the NUL, the last readable byte */
} guard_t;

static inline void guard_map(guard_t *g, size_t bytes)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t pages = (bytes + page - 1) / page + 1;
    g->map_len = (pages + 1) * page;
    g->map = mmap(NULL, g->map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(g->map != MAP_FAILED);
    assert_int_equal(mprotect(g->map + pages * page, page, PROT_NONE), 0);
    g->data = g->str = g->map + pages * page; /* the guard page */
}

/* For parsers given (pointer, length). */
static inline void guard_place(guard_t *g, const char *src, size_t len)
{
    guard_map(g, len);
    g->data -= len;
    memcpy(g->data, src, len);
}

/* For parsers given a NUL-terminated string. */
static inline void guard_place_str(guard_t *g, const char *text, size_t len)
{
    guard_map(g, len + 1);
    g->str -= len + 1;
    memcpy(g->str, text, len);
    g->str[len] = '\0';
}

static inline void guard_free(guard_t *g)
{
    munmap(g->map, g->map_len);
}

#endif
