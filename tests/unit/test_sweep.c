/* sweep: step verdicts (SLAs, early-stopping gates, the self-check, a server
 * that fell behind), the answer, and the sweep document's round trip. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "stats/sweep.h"

#define MS 1000000ull

static sla_t sla(const char *text)
{
    sla_t s;
    char err[512];
    if (sla_parse(text, &s, err, sizeof err))
        fail_msg("%s", err);
    return s;
}

/* An open-loop step at `rate` items/s for `seconds`: every item answered
 * after base_ns, plus grow_ns for each second into the step; `failed`
 * requests time out; the client on time (lag 100 us) unless lag_ns. */
typedef struct {
    double rate;
    unsigned seconds;
    uint64_t base_ns, grow_ns, lag_ns;
    uint64_t failed;
} step_t;

static void make_result(result_t *r, const step_t *st, const char *const *slas, size_t nslas)
{
    runstats_t rs;
    assert_int_equal(runstats_init(&rs, st->seconds), 0);
    uint64_t per_s = (uint64_t)st->rate, n = 0;
    for (unsigned sec = 0; sec < st->seconds; sec++) {
        for (uint64_t k = 0; k < per_s; k++, n++) {
            uint64_t t = sec * 1000 * MS + k * (1000 * MS / per_s);
            runstats_record_intended(&rs, t);
            runstats_record_send(&rs, 1, false, st->lag_ns ? st->lag_ns : 100000, t + 100000);
            if (n < st->failed) {
                runstats_record_request(&rs, sec, ERR_TIMEOUT, 0, 1, 1, 0, 0);
                continue;
            }
            uint64_t lat = st->base_ns + sec * st->grow_ns + k * 1000;
            runstats_record_request(&rs, sec, ERR_NONE, 200, 1, lat, lat, 100);
            runstats_record_item(&rs, sec, lat);
        }
    }
    sla_t s[32];
    assert_true(nslas <= 32);
    for (size_t i = 0; i < nslas; i++)
        s[i] = sla(slas[i]);
    result_meta_t meta = {.target = "http://127.0.0.1:1/v1/infer",
                          .started_wall_ns = 1767225600000000000ull,
                          .duration_ns = st->seconds * 1000 * MS + st->base_ns,
                          .offered_per_s = st->rate};
    assert_int_equal(result_from_run(r, &meta, &rs, s, nslas), 0);
}

static void init_sweep(sweep_t *s, const char *const *slas, size_t n)
{
    memset(s, 0, sizeof *s);
    s->confidence = 0.99;
    s->precision = 0.05;
    for (size_t i = 0; i < n; i++)
        s->slas[s->nslas++] = sla(slas[i]);
}

static const sweep_step_t *add(sweep_t *s, const step_t *st, const char *const *slas, size_t n)
{
    result_t r;
    make_result(&r, st, slas, n);
    const sweep_step_t *out = sweep_add_step(s, st->rate, &r, false);
    assert_non_null(out);
    return out;
}

static const char *const P95[] = {"p95<=200ms"};

static void test_count_over_matches_the_judge(void **state)
{
    (void)state;
    hist_t *h;
    assert_int_equal(hist_new_latency(&h), 0);
    for (uint64_t i = 1; i <= 1000; i++)
        hist_record(h, i * MS); /* 1 ms .. 1000 ms */
    /* the 950th value as the judge reports it (its bucket's top) */
    uint64_t v950 = hist_at_rank(h, 950);
    assert_int_equal(sweep_count_over(h, v950, false), 50);
    assert_int_equal(sweep_count_over(h, v950, true), 51); /* "<": the 950th itself is over */
    assert_int_equal(sweep_count_over(h, 5000 * MS, false), 0);
    assert_int_equal(sweep_count_over(h, 0, false), 1000);
    /* p95 <= bound exactly when at most 5% are over it, as the judge ranks */
    for (uint64_t b = 900; b <= 1000; b += 7) {
        uint64_t over = sweep_count_over(h, b * MS, false);
        bool judge = hist_percentile(h, 95) <= b * MS;
        assert_int_equal(judge, over <= 50);
    }
    hist_free(h);
}

static void test_step_passes_with_enough_items(void **state)
{
    (void)state;
    sweep_t s;
    init_sweep(&s, P95, 1);
    step_t st = {.rate = 50, .seconds = 2, .base_ns = 50 * MS};
    const sweep_step_t *x = add(&s, &st, P95, 1);
    assert_int_equal(x->verdict, SWEEP_PASS);
    assert_int_equal(x->ngates, 1);
    assert_int_equal(x->gates[0].items, 100);
    assert_int_equal(x->gates[0].over, 0);
    assert_true(x->gates[0].accepted);
    assert_true(fabs(x->keeps_up_per_s - 50) < 0.01);
    sweep_close(&s);
}

/* 80 items, none over: the SLA holds but 99% confidence needs 90. */
static void test_short_step_is_undecided_then_fails_when_it_cannot_grow(void **state)
{
    (void)state;
    sweep_t s;
    init_sweep(&s, P95, 1);
    step_t st = {.rate = 40, .seconds = 2, .base_ns = 50 * MS};
    sweep_step_t *x = (sweep_step_t *)add(&s, &st, P95, 1);
    assert_int_equal(x->verdict, SWEEP_UNDECIDED);
    assert_int_equal(x->gates[0].needed, 90);
    assert_non_null(strstr(x->why, "0 of 80 items over the bound of p95<=200ms"));
    assert_non_null(strstr(x->why, "needs 90"));
    x->timed_out = true;
    sweep_judge_step(&s, x);
    assert_int_equal(x->verdict, SWEEP_FAIL);
    assert_non_null(strstr(x->why, "undecided at the longest step"));
    /* 95% confidence asks for fewer: 59 */
    s.confidence = 0.95;
    x->timed_out = false;
    sweep_judge_step(&s, x);
    assert_int_equal(x->verdict, SWEEP_PASS);
    sweep_close(&s);
}

/* Failed items count over the bound: 6 of 200 timed out, 3%, within p95 but
 * not enough to claim it at 99%. */
/* A sweep that ended on an undecided step (interrupted before it could run
 * longer) found no capacity, and says the step was undecided, not failed. */
static void test_answer_on_an_undecided_step_says_so(void **state)
{
    (void)state;
    sweep_t s;
    init_sweep(&s, P95, 1);
    step_t st = {.rate = 40, .seconds = 2, .base_ns = 50 * MS};
    const sweep_step_t *x = add(&s, &st, P95, 1);
    assert_int_equal(x->verdict, SWEEP_UNDECIDED);
    sweep_answer_t a;
    sweep_answer(&s, &a);
    assert_int_equal(a.capacity_step, -1);
    char text[800];
    sweep_answer_text(&s, &a, text, sizeof text);
    assert_null(strstr(text, "failed"));
    assert_non_null(strstr(text, "capacity: none found: 40/s undecided on p95<=200ms: "));
    sweep_close(&s);
}

static void test_failed_items_count_over(void **state)
{
    (void)state;
    sweep_t s;
    init_sweep(&s, P95, 1);
    step_t st = {.rate = 100, .seconds = 2, .base_ns = 50 * MS, .failed = 6};
    const sweep_step_t *x = add(&s, &st, P95, 1);
    assert_int_equal(x->gates[0].items, 200);
    assert_int_equal(x->gates[0].over, 6);
    assert_int_equal(x->verdict, SWEEP_UNDECIDED);
    assert_true(x->gates[0].needed > 200 && x->gates[0].needed != UINT64_MAX);
    sweep_close(&s);
}

/* An error rate gate needs its evidence as a percentile does: 4 requests
 * without an error do not show at 99% confidence that 99% succeed (a
 * server failing half its requests answers 4 in a row one time in 16);
 * 459 do. A bound of 0 claims nothing a count could back: its SLA alone. */
static void test_error_rate_needs_enough_requests(void **state)
{
    (void)state;
    static const char *const ER[] = {"error_rate<1%"}, *const ER0[] = {"error_rate<=0"};
    sweep_t s;
    init_sweep(&s, ER, 1);
    step_t st = {.rate = 4, .seconds = 1, .base_ns = 5 * MS};
    const sweep_step_t *x = add(&s, &st, ER, 1);
    assert_int_equal(x->verdict, SWEEP_UNDECIDED);
    assert_int_equal(x->ngates, 1);
    assert_int_equal(x->gates[0].items, 4);
    assert_int_equal(x->gates[0].needed, 459);
    assert_non_null(strstr(x->why, "0 of 4 requests failed, for error_rate<1%"));
    step_t enough = {.rate = 230, .seconds = 2, .base_ns = 5 * MS};
    x = add(&s, &enough, ER, 1);
    assert_int_equal(x->verdict, SWEEP_PASS);
    /* failed requests count against it */
    step_t some = {.rate = 250, .seconds = 2, .base_ns = 5 * MS, .failed = 4};
    x = add(&s, &some, ER, 1);
    assert_int_equal(x->gates[0].over, 4);
    assert_int_equal(x->verdict, SWEEP_UNDECIDED);
    sweep_close(&s);
    init_sweep(&s, ER0, 1);
    step_t two = {.rate = 4, .seconds = 2, .base_ns = 5 * MS};
    x = add(&s, &two, ER0, 1);
    assert_int_equal(x->ngates, 0);
    assert_int_equal(x->verdict, SWEEP_PASS);
    sweep_close(&s);
}

/* A gate's evidence is what its SLA ranks: 500 streamed answers of which
 * 10 define a tpot (the others came in one event) back tpot.p99 with 10
 * values, not 500; an itl gate counts gaps, not requests. */
static void test_streamed_gates_count_what_they_rank(void **state)
{
    (void)state;
    static const char *const G[] = {"tpot.p99<=50ms", "itl.p99<=50ms"};
    runstats_t rs;
    assert_int_equal(runstats_init(&rs, 2), 0);
    assert_int_equal(runstats_init_stream(&rs), 0);
    for (uint64_t k = 0; k < 500; k++) {
        uint64_t t = k * 4 * MS, gap;
        runstats_record_intended(&rs, t);
        runstats_record_send(&rs, 1, false, 100000, t + 100000);
        tokens_t tk;
        tokens_result_t tr;
        tokens_start(&tk, 0, 0);
        tokens_event(&tk, 10 * MS, &gap);
        if (k < 10 && tokens_event(&tk, 15 * MS, &gap)) /* a second event: tpot 5 ms */
            runstats_record_value(&rs, METRIC_ITL, 0, gap);
        tokens_end(&tk, 20 * MS);
        tokens_result(&tk, &tr);
        runstats_record_request(&rs, t / (1000 * MS), ERR_NONE, 200, 1, 20 * MS, 20 * MS, 100);
        runstats_record_item(&rs, t / (1000 * MS), 20 * MS);
        runstats_record_stream(&rs, &tr, true, t + tr.ttft_ns, t + tr.e2el_ns);
    }
    sla_t slas[] = {sla(G[0]), sla(G[1])};
    result_meta_t meta = {.target = "http://127.0.0.1:1/v1/infer",
                          .started_wall_ns = 1767225600000000000ull,
                          .duration_ns = 2000 * MS,
                          .offered_per_s = 250};
    result_t r;
    assert_int_equal(result_from_run(&r, &meta, &rs, slas, 2), 0);
    assert_true(r.sla_pass);
    sweep_t s;
    init_sweep(&s, G, 2);
    const sweep_step_t *x = sweep_add_step(&s, 250, &r, false);
    assert_non_null(x);
    assert_int_equal(x->ngates, 2);
    assert_int_equal(x->gates[0].items, 10);
    assert_int_equal(x->gates[1].items, 10);
    assert_int_equal(x->verdict, SWEEP_UNDECIDED);
    assert_non_null(strstr(x->why, "0 of 10 requests over the bound of tpot.p99<=50ms"));
    sweep_close(&s);
}

static void test_sla_failure_fails_the_step(void **state)
{
    (void)state;
    sweep_t s;
    init_sweep(&s, P95, 1);
    step_t st = {.rate = 100, .seconds = 2, .base_ns = 300 * MS};
    const sweep_step_t *x = add(&s, &st, P95, 1);
    assert_int_equal(x->verdict, SWEEP_FAIL);
    assert_non_null(strstr(x->why, "p95 300"));
    assert_false(x->gates[0].accepted);
    assert_int_equal(x->gates[0].needed, UINT64_MAX);
    sweep_close(&s);
}

/* Latency grows 100 ms every second: the queue grows, the server serves
 * about rate/1.1 -- within the SLA for these 3 seconds, but not kept up. */
static void test_server_that_fell_behind_fails(void **state)
{
    (void)state;
    sweep_t s;
    const char *const loose[] = {"p95<=800ms"};
    init_sweep(&s, loose, 1);
    step_t st = {.rate = 100, .seconds = 3, .base_ns = 50 * MS, .grow_ns = 100 * MS};
    const sweep_step_t *x = add(&s, &st, loose, 1);
    assert_true(x->result.sla_pass);
    assert_int_equal(x->verdict, SWEEP_FAIL);
    assert_true(fabs(x->growth - 0.1) < 0.001);
    assert_true(fabs(x->keeps_up_per_s - 100 / 1.1) < 0.1);
    assert_non_null(strstr(x->why, "fell behind"));
    /* Within the precision (4% growth at 5%) it keeps up. */
    sweep_close(&s);
    init_sweep(&s, loose, 1);
    st.grow_ns = 40 * MS;
    x = add(&s, &st, loose, 1);
    assert_int_equal(x->verdict, SWEEP_PASS);
    sweep_close(&s);
}

/* One second of arrivals shows nothing of whether the server kept up: a
 * 1 s step at 700 items/s passed p95<=800ms against a server serving 400/s
 * (the last items waited 0.75 s). Undecided: it runs again, longer; at the
 * longest step it fails. A closed loop has no schedule to keep up with. */
static void test_step_too_short_to_show_it_kept_up_is_undecided(void **state)
{
    (void)state;
    sweep_t s;
    const char *const loose[] = {"p95<=800ms"};
    init_sweep(&s, loose, 1);
    step_t st = {.rate = 700, .seconds = 1, .base_ns = 50 * MS, .grow_ns = 0};
    sweep_step_t *x = (sweep_step_t *)add(&s, &st, loose, 1);
    assert_true(x->result.sla_pass);
    assert_true(x->gates[0].accepted);
    assert_true(isnan(x->growth));
    assert_int_equal(x->verdict, SWEEP_UNDECIDED);
    assert_non_null(strstr(x->why, "whether the server kept up"));
    x->timed_out = true;
    sweep_judge_step(&s, x);
    assert_int_equal(x->verdict, SWEEP_FAIL);
    sweep_close(&s);
    init_sweep(&s, loose, 1);
    s.concurrency = true;
    x = (sweep_step_t *)add(&s, &st, loose, 1);
    assert_int_equal(x->verdict, SWEEP_PASS);
    sweep_close(&s);
}

/* Every percentile gate --sla takes (32) backs its claim: the 17th, a p99
 * on 200 items (459 needed), was not counted and the step passed. */
static void test_every_gate_needs_its_items(void **state)
{
    (void)state;
    static const char *const many[] = {
        "p50<=1s", "p51<=1s", "p52<=1s", "p53<=1s", "p54<=1s", "p55<=1s", "p56<=1s", "p57<=1s",
        "p58<=1s", "p59<=1s", "p60<=1s", "p61<=1s", "p62<=1s", "p63<=1s", "p64<=1s", "p65<=1s",
        "p99<=1s", "p66<=1s", "p67<=1s", "p68<=1s", "p69<=1s", "p70<=1s", "p71<=1s", "p72<=1s",
        "p73<=1s", "p74<=1s", "p75<=1s", "p76<=1s", "p77<=1s", "p78<=1s", "p79<=1s", "p99.9<=1s"};
    size_t n = sizeof many / sizeof many[0];
    sweep_t s;
    init_sweep(&s, many, n);
    step_t st = {.rate = 100, .seconds = 2, .base_ns = 50 * MS};
    const sweep_step_t *x = add(&s, &st, many, n);
    assert_int_equal(x->ngates, n);
    assert_int_equal(x->verdict, SWEEP_UNDECIDED);
    assert_non_null(strstr(x->why, "over the bound of p99<=1s"));
    sweep_close(&s);
}

static void test_client_limited_step_is_invalid(void **state)
{
    (void)state;
    sweep_t s;
    init_sweep(&s, P95, 1);
    step_t st = {.rate = 100, .seconds = 2, .base_ns = 50 * MS, .lag_ns = 5 * MS};
    const sweep_step_t *x = add(&s, &st, P95, 1);
    assert_int_equal(x->verdict, SWEEP_INVALID);
    assert_true(x->check.client_limited);
    assert_non_null(strstr(x->why, "client limited: send lag p99"));
    sweep_answer_t a;
    sweep_answer(&s, &a);
    assert_int_equal(a.limited_step, 0);
    assert_int_equal(a.capacity_step, -1);
    char text[800];
    sweep_answer_text(&s, &a, text, sizeof text);
    assert_non_null(strstr(text, "the client, not the server, is the limit at 100 items/s"));
    sweep_close(&s);
}

/* A client a few ms late cannot have made p95 300 ms out of a 200 ms bound:
 * that failure is the server's. Late by a tenth of the bound or more, or
 * short of connections, the step stays invalid. */
static void test_failure_beyond_the_clients_lateness_is_a_fail(void **state)
{
    (void)state;
    sweep_t s;
    init_sweep(&s, P95, 1);
    step_t st = {.rate = 100, .seconds = 2, .base_ns = 300 * MS, .lag_ns = 5 * MS};
    const sweep_step_t *x = add(&s, &st, P95, 1);
    assert_true(x->check.client_limited);
    assert_int_equal(x->verdict, SWEEP_FAIL);
    assert_non_null(strstr(x->why, "p95 300"));
    assert_non_null(strstr(x->why, "too little to explain it"));
    st.lag_ns = 25 * MS; /* over 10% of the 200 ms bound */
    x = add(&s, &st, P95, 1);
    assert_int_equal(x->verdict, SWEEP_INVALID);
    sweep_close(&s);
}

/* The search's steps: 50 pass, 100 fail, 75 pass, 87.5 fail, 81.25 pass. */
static void run_search(sweep_t *s)
{
    init_sweep(s, P95, 1);
    step_t ok = {.seconds = 2, .base_ns = 50 * MS}, bad = {.seconds = 2, .base_ns = 250 * MS};
    const double loads[] = {50, 100, 75, 87.5, 81.25};
    const bool pass[] = {true, false, true, false, true};
    for (size_t i = 0; i < 5; i++) {
        step_t st = pass[i] ? ok : bad;
        st.rate = loads[i];
        result_t r;
        make_result(&r, &st, P95, 1);
        assert_non_null(sweep_add_step(s, loads[i], &r, false));
    }
}

static void test_answer(void **state)
{
    (void)state;
    sweep_t s;
    run_search(&s);
    sweep_answer_t a;
    sweep_answer(&s, &a);
    assert_int_equal(a.capacity_step, 4);
    assert_true(a.capacity == 81.25);
    assert_int_equal(a.next_step, 3);
    assert_int_equal(a.limited_step, -1);
    assert_true(a.meets_require);
    char text[800];
    sweep_answer_text(&s, &a, text, sizeof text);
    assert_string_equal(text, "capacity: 81.25 items/s at p95<=200ms (99% confidence; next step "
                              "87.5/s failed: p95 250.1 ms)");
    s.require = 90;
    sweep_answer(&s, &a);
    assert_false(a.meets_require);
    /* A run again at the same load replaces the earlier one in the answer. */
    step_t bad = {.rate = 81.25, .seconds = 2, .base_ns = 250 * MS};
    result_t r;
    make_result(&r, &bad, P95, 1);
    const sweep_step_t *again = sweep_add_step(&s, 81.25, &r, false);
    assert_int_equal(again->attempt, 2);
    assert_false(s.steps[4].final);
    sweep_answer(&s, &a);
    assert_int_equal(a.capacity_step, 2);
    assert_true(a.capacity == 75);
    assert_int_equal(a.next_step, 5);
    sweep_close(&s);
}

static char *dump_doc(const sweep_t *s, size_t n)
{
    json_t *cfg = json_pack("{s:f}", "precision", 0.05);
    json_t *j = sweep_doc_to_json(s, n, cfg);
    json_decref(cfg);
    assert_non_null(j);
    char *text = result_dumps(j);
    json_decref(j);
    return text;
}

static void test_document_round_trip(void **state)
{
    (void)state;
    sweep_t s[2];
    run_search(&s[0]);
    run_search(&s[1]);
    snprintf(s[0].label, sizeof s[0].label, "batch 1");
    snprintf(s[1].label, sizeof s[1].label, "batch 10");
    char *a = dump_doc(s, 2);
    json_error_t je;
    json_t *j = json_loads(a, 0, &je);
    assert_non_null(j);
    assert_true(sweep_doc_is(j));
    const json_t *cap =
        json_object_get(json_array_get(json_object_get(j, "sweeps"), 0), "capacity");
    assert_true(json_real_value(json_object_get(cap, "value")) == 81.25);
    assert_true(json_is_false(json_object_get(j, "client_limited")));
    sweep_t *back;
    size_t n;
    char err[512];
    assert_int_equal(sweep_doc_from_json(j, &back, &n, err, sizeof err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(back[1].label, "batch 10");
    char *b = dump_doc(back, n);
    assert_string_equal(a, b);
    for (size_t i = 0; i < n; i++)
        sweep_close(&back[i]);
    free(back);
    /* What is not a sweep says so. */
    json_object_set_new(j, "kind", json_string("run"));
    assert_int_equal(sweep_doc_from_json(j, &back, &n, err, sizeof err), EINVAL);
    json_object_set_new(j, "kind", json_string("sweep"));
    json_object_set_new(json_array_get(json_object_get(j, "sweeps"), 0), "mode",
                        json_string("sideways"));
    assert_int_equal(sweep_doc_from_json(j, &back, &n, err, sizeof err), EINVAL);
    assert_non_null(strstr(err, "sweeps[0].mode"));
    json_decref(j);
    free(a);
    free(b);
    sweep_close(&s[0]);
    sweep_close(&s[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_count_over_matches_the_judge),
        cmocka_unit_test(test_step_passes_with_enough_items),
        cmocka_unit_test(test_short_step_is_undecided_then_fails_when_it_cannot_grow),
        cmocka_unit_test(test_answer_on_an_undecided_step_says_so),
        cmocka_unit_test(test_failed_items_count_over),
        cmocka_unit_test(test_error_rate_needs_enough_requests),
        cmocka_unit_test(test_streamed_gates_count_what_they_rank),
        cmocka_unit_test(test_sla_failure_fails_the_step),
        cmocka_unit_test(test_server_that_fell_behind_fails),
        cmocka_unit_test(test_step_too_short_to_show_it_kept_up_is_undecided),
        cmocka_unit_test(test_every_gate_needs_its_items),
        cmocka_unit_test(test_client_limited_step_is_invalid),
        cmocka_unit_test(test_failure_beyond_the_clients_lateness_is_a_fail),
        cmocka_unit_test(test_answer),
        cmocka_unit_test(test_document_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
