/* libFuzzer target: the stub's API presets, fed request bodies. The first
 * byte chooses the parser: completions, chat or TGI (stub/gen), embeddings
 * (stub/embed), KServe v2 (stub/kserve), or a script file (stub/script).
 * Every answer the stub would send with 200, and every SSE event's JSON,
 * must be valid JSON; a 400 must come with words saying why. */
#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stub/embed.h"
#include "stub/gen.h"
#include "stub/kserve.h"
#include "stub/script.h"
#include "fuzz.h"

static void check_json(const char *p, size_t n)
{
    json_t *j = json_loadb(p, n, 0, NULL);
    CHECK(j != NULL);
    json_decref(j);
}

/* An SSE event "data: JSON" + "\n\n" (TGI: "data:JSON"). */
static void check_event(const sbuf_t *b)
{
    if (b->len == 0)
        return;
    CHECK(b->len > 7 && !memcmp(b->data, "data:", 5));
    CHECK(!memcmp(b->data + b->len - 2, "\n\n", 2));
    size_t off = b->data[5] == ' ' ? 6 : 5;
    if (b->len - 2 - off == 6 && !memcmp(b->data + off, "[DONE]", 6))
        return;
    check_json(b->data + off, b->len - 2 - off);
}

static void fuzz_gen(stub_api_t api, const char *body, size_t len)
{
    gen_req_t rq;
    char why[300] = "";
    if (gen_parse(api, false, body, len, &rq, why, sizeof why)) {
        CHECK(why[0] != '\0');
        return;
    }
    CHECK(rq.max_tokens >= 1 && rq.max_tokens <= GEN_MAX_TOKENS && rq.prompt_tokens >= 1);
    uint32_t n = rq.max_tokens < 8 ? rq.max_tokens : 8;
    sbuf_t b = {0}, pre = {0};
    CHECK(gen_answer(&b, &rq, body, "id-1", 1, n) == 0);
    check_json(b.data, b.len);
    CHECK(gen_prefix(&pre, &rq, body, "id-1", 1) == 0);
    sbuf_reset(&b);
    gen_event_role(&b, &rq, &pre, "\n");
    check_event(&b);
    sbuf_reset(&b);
    gen_event_text(&b, &rq, &pre, 0, n, NULL, 0, NULL, "\n");
    check_event(&b);
    sbuf_reset(&b);
    gen_event_text(&b, &rq, &pre, n, 0, body, len < 64 ? len : 64, "length", "\n");
    check_event(&b);
    sbuf_reset(&b);
    gen_event_usage(&b, &rq, &pre, n, "\n");
    check_event(&b);
    sbuf_reset(&b);
    gen_event_error(&b, &rq, body, len < 64 ? len : 64, "\n");
    check_event(&b);
    sbuf_free(&b);
    sbuf_free(&pre);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned mode = data[0] % 6;
    const char *body = (const char *)data + 1;
    size_t len = size - 1;
    char why[300] = "";
    sbuf_t b = {0};
    size_t items = 0;
    int st;
    switch (mode) {
    case 0:
        fuzz_gen(STUB_API_OPENAI_COMPLETIONS, body, len);
        break;
    case 1:
        fuzz_gen(STUB_API_OPENAI_CHAT, body, len);
        break;
    case 2:
        fuzz_gen(STUB_API_TGI, body, len);
        break;
    case 3:
        st = embed_answer(body, len, "embd-1", 1, &b, &items, why, sizeof why);
        CHECK(st == 200 || st == 400);
        if (st == 200)
            check_json(b.data, b.len);
        else
            CHECK(why[0] != '\0' && b.len == 0);
        break;
    case 4:
        st = kserve_answer(body, len, "m", 1, "1", 1, "id", &b, &items, why, sizeof why);
        CHECK(st == 200 || st == 400);
        if (st == 200)
            check_json(b.data, b.len);
        else
            CHECK(why[0] != '\0' && b.len == 0);
        break;
    case 5: {
        script_t *s = NULL;
        int rc = script_parse(body, len, &s, why, sizeof why);
        CHECK(rc == 0 || rc == EINVAL);
        CHECK((rc == 0) == (s != NULL));
        /* Every text is readable to its end (ASan watches). */
        volatile unsigned sum = 0;
        for (size_t i = 0; s && i < s->nsteps; i++)
            for (size_t k = 0; s->steps[i].text && k < s->steps[i].len; k++)
                sum += (unsigned char)s->steps[i].text[k];
        (void)sum;
        script_free(s);
        break;
    }
    }
    sbuf_free(&b);
    return 0;
}
