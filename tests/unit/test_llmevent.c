/* Tests for load/llmevent: golden events from vLLM, OpenAI and TGI streams,
 * the edges of "non-empty", the token count, errors, duplicate and escaped
 * keys, invalid JSON, the depth limit; every case read right before a guard
 * page; the cost against jansson printed as a TAP comment. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "guard.h"
#include "llmstreams.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "load/llmevent.h"

#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#define OTHER LLMEVENT_OTHER
#define TOKEN LLMEVENT_TOKEN
#define DONE LLMEVENT_DONE
#define ERROR LLMEVENT_ERROR
#define INVALID LLMEVENT_INVALID

struct ev_case {
    const char *data;
    llmevent_kind_t kind;
    int64_t tokens; /* completion_tokens; 0 in the table means -1 unless zero_tokens */
    const char *name;
    bool zero_tokens;
};

#define CHAT(delta) "{\"choices\":[{\"index\":0,\"delta\":" delta "}]}"
#define CONTENT(s) CHAT("{\"content\":" s "}")

static const struct ev_case cases[] = {
    /* vLLM chat, as streamed */
    {VLLM_CHAT_ROLE, OTHER},
    {VLLM_CHAT_TOKEN1, TOKEN},
    {VLLM_CHAT_TOKEN2, TOKEN},
    {VLLM_CHAT_FINISH, OTHER},
    {VLLM_CHAT_USAGE, OTHER, 3},
    {"[DONE]", DONE},
    {" [DONE]\n", DONE},
    {"[DONE] x", INVALID},
    {"[done]", INVALID},
    {"[DONE", INVALID},
    /* completions */
    {VLLM_CMPL_TOKEN1, TOKEN},
    {VLLM_CMPL_TOKEN2, TOKEN},
    {VLLM_CMPL_USAGE, OTHER, 2},
    {"{\"choices\":[{\"text\":\"\"}]}", OTHER},
    /* TGI */
    {TGI_TOKEN1, TOKEN},
    {TGI_TOKEN2, TOKEN},
    {TGI_LAST, TOKEN, 3},
    {"{\"token\":{\"text\":\"\"}}", OTHER},
    {"{\"token\":\"x\"}", OTHER},
    {"{\"token\":null,\"details\":{\"generated_tokens\":0}}", OTHER, 0, NULL, true},
    /* whole answers, measured as one event */
    {"{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"Hi\"}}],"
     "\"usage\":{\"completion_tokens\":1}}",
     TOKEN, 1},
    {"{\"choices\":[{\"message\":{\"content\":\"\"}}]}", OTHER},
    {"{\"generated_text\":\"Hi\"}", TOKEN},
    {"{\"generated_text\":null}", OTHER},
    /* what counts as non-empty */
    {CONTENT("\"\""), OTHER},
    {CONTENT("null"), OTHER},
    {CONTENT("\" \""), TOKEN},
    {CONTENT("\"\\n\""), TOKEN},
    {CONTENT("\"\\u0000\""), TOKEN},
    {CONTENT("\"\\\"\""), TOKEN},
    {CONTENT("\"\\ud83d\\ude00\""), TOKEN},
    {CONTENT("\"\xc3\xa9\""), TOKEN},
    {CONTENT("1"), OTHER},
    {CONTENT("[\"x\"]"), OTHER},
    {CHAT("{\"role\":\"assistant\"}"), OTHER},
    {CHAT("null"), OTHER},
    {CHAT("\"x\""), OTHER},
    {"{\"choices\":[{\"delta\":{}},{\"delta\":{\"content\":\"x\"}}]}", OTHER},
    {"{\"choices\":[1,{\"delta\":{\"content\":\"x\"}}]}", OTHER},
    {"{\"choices\":null}", OTHER},
    {"{\"choices\":{\"0\":{\"text\":\"x\"}}}", OTHER},
    {"{\"choices\":[{\"logprobs\":{\"content\":[{\"token\":\"x\"}]}}]}", OTHER},
    {"{\"data\":{\"choices\":[{\"text\":\"x\"}]}}", OTHER},
    {"{\"text\":\"x\",\"content\":\"y\"}", OTHER},
    {" { \"choices\" : [ { \"delta\" : { \"content\" : \"x\" } } ] } \r\n", TOKEN},
    /* the token count */
    {"{\"usage\":{\"completion_tokens\":0}}", OTHER, 0, NULL, true},
    {"{\"usage\":{\"completion_tokens\":-0}}", OTHER, 0, NULL, true},
    {"{\"usage\":{\"completion_tokens\":-1}}", OTHER},
    {"{\"usage\":{\"completion_tokens\":1.0}}", OTHER},
    {"{\"usage\":{\"completion_tokens\":1e2}}", OTHER},
    {"{\"usage\":{\"completion_tokens\":\"3\"}}", OTHER},
    {"{\"usage\":{\"completion_tokens\":9223372036854775807}}", OTHER, INT64_MAX},
    {"{\"usage\":{\"completion_tokens\":9223372036854775808}}", OTHER},
    {"{\"usage\":null}", OTHER},
    {"{\"usage\":{\"prompt_tokens\":5}}", OTHER},
    {"{\"usage\":{\"completion_tokens\":4},\"details\":{\"generated_tokens\":7}}", OTHER, 4},
    {"{\"details\":{\"generated_tokens\":7},\"usage\":{\"completion_tokens\":null}}", OTHER, 7},
    {"{\"choices\":[{\"delta\":{\"content\":\"x\"}}],\"usage\":{\"completion_tokens\":9}}", TOKEN,
     9},
    /* errors */
    {VLLM_ERROR, ERROR},
    {TGI_ERROR, ERROR},
    {"{\"object\":\"error\",\"message\":\"x\",\"code\":400}", ERROR},
    {"{\"object\":\"chat.completion.chunk\",\"error\":null,"
     "\"choices\":[{\"delta\":{\"content\":\"x\"}}]}",
     TOKEN},
    {"{\"error\":{\"message\":\"x\"},\"choices\":[{\"delta\":{\"content\":\"x\"}}]}", ERROR},
    {"{\"error\":\"\",\"usage\":{\"completion_tokens\":2}}", ERROR, 2},
    {"{\"error\":false}", ERROR},
    {"{\"data\":{\"error\":\"x\"}}", OTHER},
    {"{\"object\":\"errors\"}", OTHER},
    {"{}", ERROR, 0, "error"},
    {"not json at all", ERROR, 0, "error"},
    {CONTENT("\"x\""), TOKEN, 0, "message"},
    {CONTENT("\"x\""), TOKEN, 0, "errors"},
    /* duplicate keys: the last wins */
    {"{\"usage\":{\"completion_tokens\":3},\"usage\":null}", OTHER},
    {"{\"usage\":{\"completion_tokens\":3,\"completion_tokens\":4}}", OTHER, 4},
    {"{\"choices\":[{\"delta\":{\"content\":\"a\"}}],\"choices\":[]}", OTHER},
    {"{\"choices\":[{\"delta\":{\"content\":\"a\",\"content\":\"\"}}]}", OTHER},
    {"{\"choices\":[{\"delta\":{\"content\":\"a\"},\"delta\":{}}]}", OTHER},
    {"{\"choices\":[{\"text\":\"\",\"text\":\"a\"}]}", TOKEN},
    {"{\"error\":{},\"error\":null}", OTHER},
    {"{\"object\":\"error\",\"object\":\"x\"}", OTHER},
    /* keys with escapes */
    {"{\"\\u0063hoices\":[{\"\\u0074ext\":\"a\"}]}", TOKEN},
    {"{\"choices\":[{\"delt\\u0061\":{\"cont\\u0065nt\":\"a\"}}]}", TOKEN},
    {"{\"\\u0075sage\":{\"completion\\u005ftokens\":5}}", OTHER, 5},
    {"{\"choices\\u0000\":[{\"text\":\"a\"}]}", OTHER},
    {"{\"choice\\u0073x\":[{\"text\":\"a\"}]}", OTHER},
    {"{\"\\\"choices\":[{\"text\":\"a\"}]}", OTHER},
    /* other JSON */
    {"1", OTHER},
    {"[]", OTHER},
    {"\"x\"", OTHER},
    {"null", OTHER},
    {"[{\"choices\":[{\"text\":\"a\"}]}]", OTHER},
    {"{\"a\":[1,-2.5e+3,true,false,null,{\"b\":[]},\"\\/\\b\\f\\r\\t\"]}", OTHER},
    /* invalid */
    {"", INVALID},
    {"   ", INVALID},
    {"{", INVALID},
    {"{\"choices\":[{\"delta\":{\"content\":\"x\"}}]", INVALID},
    {"{\"choices\":[{\"delta\":{\"content\":\"x\"}}]}}", INVALID},
    {"{\"a\":}", INVALID},
    {"{\"a\":1,}", INVALID},
    {"{\"a\" 1}", INVALID},
    {"{,}", INVALID},
    {"[1,]", INVALID},
    {"[1 2]", INVALID},
    {"{'a':1}", INVALID},
    {"{a:1}", INVALID},
    {"{\"a\":\"\\x\"}", INVALID},
    {"{\"a\":\"\\u12G4\"}", INVALID},
    {"{\"a\":\"\\u12\"}", INVALID},
    {"{\"a\":\"\x01\"}", INVALID},
    {"{\"a\":\"\t\"}", INVALID},
    {"{\"a\":\"x}", INVALID},
    {"{\"a\":\"x\\", INVALID},
    {"01", INVALID},
    {"1.", INVALID},
    {".5", INVALID},
    {"-", INVALID},
    {"+1", INVALID},
    {"1e", INVALID},
    {"1e+", INVALID},
    {"tru", INVALID},
    {"nul", INVALID},
    {"True", INVALID},
    {"{} {}", INVALID},
    {"{}x", INVALID},
    {"{\"choices\":[{\"text\":\"a\"}],}", INVALID},
    {"{\"choices\":[{\"text\":\"a\"},]}", INVALID},
    {"{\"choices\":[{\"text\" \"a\"}]}", INVALID},
    {"{\"usage\":{\"completion_tokens\":01}}", INVALID},
    {"{\"usage\":{\"completion_tokens\":-}}", INVALID},
    {"{\"error\":nul}", INVALID},
    {"{\"object\":\"error}", INVALID},
    {"{\"generated_text\":\"a}", INVALID},
    {"{\"token\":{\"text\":\"a\"}", INVALID},
};

static void check(const struct ev_case *c, const char *data, size_t len)
{
    llmevent_t ev;
    memset(&ev, 0xa5, sizeof(ev));
    llmevent_classify(c->name, c->name ? strlen(c->name) : 0, data, len, &ev);
    int64_t want = c->tokens || c->zero_tokens ? c->tokens : -1;
    if (c->kind == DONE || c->kind == INVALID || (c->name && !strcmp(c->name, "error")))
        want = -1;
    if (ev.kind != c->kind || ev.completion_tokens != want)
        fail_msg("%s: got %s/%lld, want %s/%lld", c->data, llmevent_kind_name(ev.kind),
                 (long long)ev.completion_tokens, llmevent_kind_name(c->kind), (long long)want);
}

static void test_golden(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct ev_case *c = &cases[i];
        size_t len = strlen(c->data);
        check(c, c->data, len);
        guard_t g; /* nothing is read past the data */
        guard_place(&g, c->data, len);
        check(c, g.data, len);
        guard_free(&g);
        /* every strict prefix of a JSON object is invalid */
        if (c->kind != TOKEN && c->kind != OTHER && c->kind != ERROR)
            continue;
        if (c->data[0] != '{' || c->name)
            continue;
        for (size_t k = 0; k < len; k++) {
            guard_place(&g, c->data, k);
            llmevent_t ev;
            llmevent_classify(NULL, 0, g.data, k, &ev);
            if (ev.kind != INVALID)
                fail_msg("%s: prefix %zu is %s", c->data, k, llmevent_kind_name(ev.kind));
            guard_free(&g);
        }
    }
}

/* The end of an answer: a string finish_reason in any choice, TGI's
 * generated_text or details.finish_reason; null, other kinds, other places
 * and overwritten keys are none. */
static const struct {
    const char *data;
    bool finish;
} finishes[] = {
    {VLLM_CHAT_ROLE, false},
    {VLLM_CHAT_TOKEN1, false},
    {VLLM_CHAT_FINISH, true},
    {VLLM_CHAT_USAGE, false},
    {VLLM_CMPL_TOKEN1, false},
    {VLLM_CMPL_TOKEN2, true}, /* a token and the finish in one chunk */
    {TGI_TOKEN1, false},
    {TGI_LAST, true},
    {VLLM_ERROR, false},
    {"[DONE]", false},
    {"{\"choices\":[{\"finish_reason\":\"\"}]}", true},
    {"{\"choices\":[{\"finish_reason\":null}]}", false},
    {"{\"choices\":[{\"finish_reason\":1}]}", false},
    {"{\"choices\":[{\"finish_reason\":{\"type\":\"stop\"}}]}", false},
    /* a later choice (n > 1), behind choices that are not objects */
    {"{\"choices\":[{\"delta\":{}},{\"finish_reason\":\"stop\"}]}", true},
    {"{\"choices\":[1,null,[],{\"text\":\"\",\"finish_reason\":\"length\"}]}", true},
    {"{\"choices\":[{\"finish_reason\":\"stop\"},{\"finish_reason\":null}]}", true},
    {"{\"choices\":{\"finish_reason\":\"stop\"}}", false},
    {"{\"finish_reason\":\"stop\"}", false},
    {"{\"choices\":[{\"delta\":{\"finish_reason\":\"stop\"}}]}", false},
    {"{\"choices\":[{\"message\":{\"content\":\"x\"},\"finish_reason\":\"stop\"}]}", true},
    /* duplicates: the last wins, in a choice, in choices, in details */
    {"{\"choices\":[{\"finish_reason\":\"stop\",\"finish_reason\":null}]}", false},
    {"{\"choices\":[{\"finish_reason\":null,\"fin\\u0069sh_reason\":\"stop\"}]}", true},
    {"{\"choices\":[{\"finish_reason\":\"stop\"}],\"choices\":[]}", false},
    {"{\"details\":{\"finish_reason\":\"length\"},\"details\":null}", false},
    {"{\"generated_text\":\"a\",\"generated_text\":null}", false},
    /* TGI */
    {"{\"generated_text\":\"\"}", true},
    {"{\"generated_text\":null,\"details\":null}", false},
    {"{\"generated_text\":7}", false},
    {"{\"details\":{\"finish_reason\":\"eos_token\",\"generated_tokens\":1}}", true},
    {"{\"details\":{\"finish_reason\":null}}", false},
    {"{\"token\":{\"finish_reason\":\"stop\"}}", false},
    /* an error event that also says it finished: the error decides */
    {"{\"error\":\"x\",\"generated_text\":\"a\"}", true},
    /* not JSON */
    {"{\"choices\":[{\"finish_reason\":\"stop\"}]", false},
};

static void test_finish(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof finishes / sizeof *finishes; i++) {
        size_t len = strlen(finishes[i].data);
        guard_t g;
        guard_place(&g, finishes[i].data, len);
        llmevent_t ev;
        memset(&ev, 0xa5, sizeof ev);
        llmevent_classify(NULL, 0, g.data, len, &ev);
        if (ev.finish != finishes[i].finish)
            fail_msg("%s: finish %d", finishes[i].data, ev.finish);
        guard_free(&g);
    }
    /* a named error event reads nothing */
    llmevent_t ev;
    llmevent_classify("error", 5, VLLM_CHAT_FINISH, strlen(VLLM_CHAT_FINISH), &ev);
    assert_false(ev.finish);
}

/* jansson's limit: 2048 values deep, the root being 1. */
static void test_depth(void **state)
{
    (void)state;
    size_t max = LLMEVENT_MAX_DEPTH;
    char *buf = malloc(2 * max + 64);
    for (size_t depth = max - 1; depth <= max + 1; depth++) {
        for (int scalar = 0; scalar <= 1; scalar++) {
            /* `depth` values deep: depth - 1 arrays around a 0, or depth arrays */
            size_t arrays = scalar ? depth - 1 : depth, n = 0;
            for (size_t i = 0; i < arrays; i++)
                buf[n++] = '[';
            if (scalar)
                buf[n++] = '0';
            for (size_t i = 0; i < arrays; i++)
                buf[n++] = ']';
            llmevent_t ev;
            llmevent_classify(NULL, 0, buf, n, &ev);
            json_error_t err;
            json_t *j = json_loadb(buf, n, JSON_DECODE_ANY, &err);
            assert_int_equal(ev.kind, depth <= max ? OTHER : INVALID);
            assert_int_equal(j != NULL, depth <= max);
            json_decref(j);
            /* the same inside an object member of choices[0] */
            n = (size_t)sprintf(buf, "{\"choices\":[{\"x\":");
            size_t inner = arrays - 3;
            for (size_t i = 0; i < inner; i++)
                buf[n++] = '[';
            if (scalar)
                buf[n++] = '0';
            for (size_t i = 0; i < inner; i++)
                buf[n++] = ']';
            n += (size_t)sprintf(buf + n, ",\"text\":\"a\"}]}");
            llmevent_classify(NULL, 0, buf, n, &ev);
            assert_int_equal(ev.kind, depth <= max ? TOKEN : INVALID);
        }
    }
    free(buf);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Not a pass/fail: the numbers behind the choice written in llmevent.h. */
static void test_cost_against_jansson(void **state)
{
    (void)state;
    static const char *const events[] = {VLLM_CHAT_ROLE, VLLM_CHAT_TOKEN1, VLLM_CHAT_TOKEN2,
                                         VLLM_CHAT_FINISH, VLLM_CHAT_USAGE};
    enum { ROUNDS = 20000 };
    size_t tokens = 0;
    double t0 = now_s();
    for (int r = 0; r < ROUNDS; r++)
        for (size_t i = 0; i < 5; i++) {
            llmevent_t ev;
            llmevent_classify(NULL, 0, events[i], strlen(events[i]), &ev);
            tokens += ev.kind == TOKEN;
        }
    double t1 = now_s();
    for (int r = 0; r < ROUNDS; r++)
        for (size_t i = 0; i < 5; i++) {
            json_t *j = json_loadb(events[i], strlen(events[i]), 0, NULL);
            json_t *ch = json_array_get(json_object_get(j, "choices"), 0);
            json_t *content = json_object_get(json_object_get(ch, "delta"), "content");
            tokens += json_is_string(content) && json_string_length(content) > 0;
            json_decref(j);
        }
    double t2 = now_s();
    assert_int_equal(tokens, 2 * 2 * ROUNDS);
    printf("# llmevent: %.0f ns per chat chunk, jansson %.0f ns\n", (t1 - t0) / ROUNDS / 5 * 1e9,
           (t2 - t1) / ROUNDS / 5 * 1e9);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden),
        cmocka_unit_test(test_finish),
        cmocka_unit_test(test_depth),
        cmocka_unit_test(test_cost_against_jansson),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
