/* reqfmt: the exact bytes of a request, from a plan (preset or template),
 * a raw body or none; heads that vary per request ({{request_id}} in the
 * path or a header) rendered into the same buffer; the longest request
 * fits the buffer the connection is given. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <jansson.h>

#include "load/reqfmt.h"

static url_t url_of(const char *path, const char *authority)
{
    url_t u = {0};
    strcpy(u.path, path);
    strcpy(u.authority, authority);
    return u;
}

static void plan_of(const char *api, const char *tmpl, const char *path, inputs_t *in,
                    unsigned batch, const char *model, preset_plan_t *pl)
{
    const preset_t *p = preset_find(api);
    assert_non_null(p);
    preset_args_t a = {.model = model,
                       .path = path,
                       .template_text = tmpl,
                       .template_len = tmpl ? strlen(tmpl) : 0,
                       .batch = batch,
                       .inputs = in};
    preset_part_t part;
    char err[256] = "";
    if (preset_plan(p, &a, pl, &part, err, sizeof err))
        fail_msg("%s", err);
}

/* Builds the request and checks it is exactly want and inside buf. */
static void build_is(const reqfmt_t *r, char *buf, uint64_t first, uint64_t stride, unsigned n,
                     uint64_t id, const char *want)
{
    const char *start;
    size_t len = reqfmt_build(r, buf, first, stride, n, id, &start);
    if (len != strlen(want) || memcmp(start, want, len) != 0)
        fail_msg("built  %.*s\nwanted %s", (int)len, start, want);
    if (!r->fixed)
        assert_true(start >= buf && start + len <= buf + r->buf_size);
}

static void test_preset_body(void **state)
{
    (void)state;
    url_t url = url_of("/v1/infer", "127.0.0.1:8000");
    inputs_t *in;
    assert_int_equal(inputs_generated(&in), 0);
    preset_plan_t pl;
    plan_of("tailgate", NULL, url.path, in, 3, "m\"x", &pl);
    const char *hdrs[] = {"X-Api-Key: k"};
    reqfmt_args_t a = {
        .url = &url, .plan = &pl, .model = "m\"x", .batch = 3, .headers = hdrs, .num_headers = 1};
    reqfmt_t r;
    char err[256];
    assert_int_equal(reqfmt_init(&r, &a, err, sizeof err), 0);
    assert_false(reqfmt_is_fixed(&r));
    assert_non_null(r.head); /* nothing in the head varies: rendered once */
    char *buf = malloc(r.buf_size);
    const char *want_body =
        "{\"model\":\"m\\\"x\",\"inputs\":[\"input-5\",\"input-9\",\"input-13\"]}";
    char want[512];
    snprintf(want, sizeof(want),
             "POST /v1/infer HTTP/1.1\r\nHost: 127.0.0.1:8000\r\nContent-Type: "
             "application/json\r\nX-Api-Key: k\r\nContent-Length: %zu\r\n\r\n%s",
             strlen(want_body), want_body);
    build_is(&r, buf, 5, 4, 3, 1, want);
    json_t *j = json_loads(want_body, 0, NULL);
    assert_non_null(j);
    json_decref(j);
    /* The largest request fits. */
    const char *start;
    size_t len = reqfmt_build(&r, buf, UINT64_MAX - 10, 1, 3, UINT64_MAX, &start);
    assert_true(start >= buf && start + len <= buf + r.buf_size);
    free(buf);
    reqfmt_close(&r);
    preset_plan_close(&pl);
    inputs_free(in);
}

static void test_fixed(void **state)
{
    (void)state;
    url_t url = url_of("/", "h");
    reqfmt_t r;
    char err[256];
    reqfmt_args_t a = {.url = &url, .method = "PUT", .batch = 1, .raw_body = "abc", .raw_len = 3};
    assert_int_equal(reqfmt_init(&r, &a, err, sizeof err), 0);
    assert_true(reqfmt_is_fixed(&r));
    build_is(&r, NULL, 0, 1, 1, 1,
             "PUT / HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\n"
             "Content-Length: 3\r\n\r\nabc");
    reqfmt_close(&r);
    const char *hdrs[] = {"host: other"};
    reqfmt_args_t g = {.url = &url, .method = "GET", .batch = 1, .headers = hdrs, .num_headers = 1};
    assert_int_equal(reqfmt_init(&r, &g, err, sizeof err), 0);
    build_is(&r, NULL, 0, 1, 1, 1, "GET / HTTP/1.1\r\nhost: other\r\n\r\n");
    assert_false(r.head_request);
    reqfmt_close(&r);
}

/* {{request_id}} in the path and a header: the head is rendered per request
 * and moved against the body; ids of every length fit. */
static void test_varying_head(void **state)
{
    (void)state;
    url_t url = url_of("/", "h:1");
    inputs_t *in;
    assert_int_equal(inputs_generated(&in), 0);
    preset_plan_t pl;
    plan_of("kserve-v2", NULL, "/v2/models/{{model}}/infer?rid={{request_id}}", in, 2, "bert base",
            &pl);
    const char *hdrs[] = {"x-request-id: {{request_id}}", "x-model: {{model}}"};
    reqfmt_args_t a = {.url = &url,
                       .plan = &pl,
                       .model = "bert base",
                       .batch = 2,
                       .headers = hdrs,
                       .num_headers = 2};
    reqfmt_t r;
    char err[256];
    assert_int_equal(reqfmt_init(&r, &a, err, sizeof err), 0);
    assert_null(r.head);
    char *buf = malloc(r.buf_size);
    uint64_t ids[] = {7, 123456789012ull, UINT64_MAX};
    for (size_t i = 0; i < 3; i++) {
        char body[256], want[1024];
        snprintf(body, sizeof body,
                 "{\"id\":\"%llu\",\"inputs\":[{\"name\":\"input\",\"shape\":[2],\"datatype\":"
                 "\"BYTES\",\"data\":[\"input-4\",\"input-5\"]}]}",
                 (unsigned long long)ids[i]);
        snprintf(want, sizeof want,
                 "POST /v2/models/bert%%20base/infer?rid=%llu HTTP/1.1\r\nHost: h:1\r\n"
                 "Content-Type: application/json\r\nx-request-id: %llu\r\nx-model: bert base\r\n"
                 "Content-Length: %zu\r\n\r\n%s",
                 (unsigned long long)ids[i], (unsigned long long)ids[i], strlen(body), body);
        build_is(&r, buf, 4, 1, 2, ids[i], want);
    }
    free(buf);
    reqfmt_close(&r);
    preset_plan_close(&pl);
    inputs_free(in);

    /* A raw body with a varying header is copied per request; GET sends none. */
    const char *h1[] = {"x-seq: {{seq}}"};
    reqfmt_args_t raw = {
        .url = &url, .batch = 1, .raw_body = "{}", .raw_len = 2, .headers = h1, .num_headers = 1};
    assert_int_equal(reqfmt_init(&r, &raw, err, sizeof err), 0);
    assert_false(reqfmt_is_fixed(&r));
    buf = malloc(r.buf_size);
    build_is(&r, buf, 42, 1, 1, 1,
             "POST / HTTP/1.1\r\nHost: h:1\r\nContent-Type: application/json\r\nx-seq: 42\r\n"
             "Content-Length: 2\r\n\r\n{}");
    free(buf);
    reqfmt_close(&r);
    url = url_of("/items/{{seq}}", "h:1");
    reqfmt_args_t get = {.url = &url, .method = "GET", .batch = 1};
    assert_int_equal(reqfmt_init(&r, &get, err, sizeof err), 0);
    buf = malloc(r.buf_size);
    build_is(&r, buf, 9, 1, 1, 1, "GET /items/9 HTTP/1.1\r\nHost: h:1\r\n\r\n");
    free(buf);
    reqfmt_close(&r);
}

static void test_template_errors(void **state)
{
    (void)state;
    url_t url = url_of("/", "h");
    reqfmt_t r;
    char err[256];
    const char *hdrs[] = {"x-item: {{item}}"};
    reqfmt_args_t a = {
        .url = &url, .batch = 1, .raw_body = "{}", .raw_len = 2, .headers = hdrs, .num_headers = 1};
    assert_int_equal(reqfmt_init(&r, &a, err, sizeof err), EINVAL);
    assert_non_null(strstr(err, "-H 'x-item: {{item}}': 1:9: {{item}} cannot go into"));
    url = url_of("/v2/{{nope}}", "h");
    a.num_headers = 0;
    assert_int_equal(reqfmt_init(&r, &a, err, sizeof err), EINVAL);
    assert_non_null(strstr(err, "URL path '/v2/{{nope}}': 1:5: unknown placeholder {{nope}}"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_preset_body),
        cmocka_unit_test(test_fixed),
        cmocka_unit_test(test_varying_head),
        cmocka_unit_test(test_template_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
