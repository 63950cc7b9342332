/* test_opt — the option table parser: every kind, bounds, the duration rule
 * (a unit is needed except for 0), unknown and ambiguous options, missing
 * values, ab's scope rule and merge order, --help and the config JSON
 * generated from the table, secret headers redacted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/opt.h"
#include "cli/runopts.h"
#include "core/clock.h"
#include "load/engine.h"

typedef struct {
    uint64_t count;
    uint64_t dur_ns;
    double rate;
    uint64_t size;
    double frac;
    int color;
    const char *name;
    bool flag;
    opt_list_t list;
    uint64_t given;
} test_opts_t;

static const char *const colors[] = {"red", "green", "blue", NULL};

static int check_no_x(const char *v, char *why, size_t len)
{
    if (strchr(v, 'x')) {
        snprintf(why, len, "no x allowed; drop it");
        return -1;
    }
    return 0;
}

#define F(field) offsetof(test_opts_t, field)
static const opt_t table[] = {
    {.kind = OPT_HEADING, .help = "Section:"},
    {"count", 'c', OPT_COUNT, OPT_SCOPE_LOAD, F(count), 1, 100, .arg = "N", .config = "count",
     .help = "a count\nsecond line"},
    {"timeout", 0, OPT_DURATION, OPT_SCOPE_CLIENT, F(dur_ns), 0, 0, .arg = "D",
     .config = "timeout_ms", .help = "a duration"},
    {"rate", 'r', OPT_RATE, OPT_SCOPE_LOAD, F(rate), 0.5, 1000, .arg = "R", .config = "rate"},
    {"max-body", 0, OPT_SIZE, OPT_SCOPE_LOAD, F(size), 1, 1 << 20, .arg = "SIZE",
     .config = "max_body"},
    {"error-rate", 0, OPT_PERCENT, OPT_SCOPE_LOAD, F(frac), 0, 0.5, .arg = "F",
     .config = "error_rate"},
    {"color", 0, OPT_ENUM, OPT_SCOPE_OUTPUT, F(color), .choices = colors, .arg = "C",
     .config = "color"},
    {"name", 'N', OPT_STRING, OPT_SCOPE_OUTPUT, F(name), .check = check_no_x, .arg = "S",
     .config = "name", .hidden = 2},
    {"flag", 'f', OPT_FLAG, OPT_SCOPE_CLIENT, F(flag), .config = "flag"},
    {"no-thing", 0, OPT_FLAG, OPT_SCOPE_CLIENT, F(flag), .config = "thing", .config_negate = true},
    {"item", 'i', OPT_LIST, OPT_SCOPE_GATE, F(list), 0, 3, .check = check_no_x, .arg = "X",
     .config = "items"},
    {"connections", 0, OPT_COUNT, OPT_SCOPE_CLIENT, F(count), 0, 10, .arg = "N"},
};
#define N (sizeof table / sizeof table[0])

static char err[2048];
static const char *pos[8];
static size_t npos;

/* Parses a NULL-terminated word list into o; returns opt_parse's code. */
static int parse_words(test_opts_t *o, const char *const *words)
{
    int argc = 0;
    while (words[argc])
        argc++;
    opt_group_t g = {table, N, o, &o->given};
    err[0] = '\0';
    return opt_parse(&g, 1, argc, (char *const *)words, pos, 8, &npos, err, sizeof err);
}

#define PARSE(o, ...) parse_words((o), (const char *const[]){__VA_ARGS__, NULL})

static void expect_error(const char *want, const char *const *words)
{
    test_opts_t o = {0};
    int rc = parse_words(&o, words);
    if (rc != -1)
        fail_msg("'%s...' parsed (rc %d), expected: %s", words[0], rc, want);
    if (!strstr(err, want))
        fail_msg("'%s...': got \"%s\", expected \"%s\" in it", words[0], err, want);
}
#define ERR(want, ...) expect_error((want), (const char *const[]){__VA_ARGS__, NULL})

static void test_every_kind(void **state)
{
    (void)state;
    test_opts_t o = {0};
    assert_int_equal(PARSE(&o, "-c", "7", "--timeout", "1.5s", "--rate=2.5", "--max-body", "8k",
                           "--error-rate", "5%", "--color", "blue", "-N", "abc", "-f", "-i", "a",
                           "--item=b", "URL"),
                     0);
    assert_int_equal(o.count, 7);
    assert_int_equal(o.dur_ns, 1500 * CLOCK_NS_PER_MS);
    assert_true(o.rate == 2.5);
    assert_int_equal(o.size, 8192);
    assert_true(o.frac > 0.0499999 && o.frac < 0.0500001);
    assert_int_equal(o.color, 2);
    assert_string_equal(o.name, "abc");
    assert_true(o.flag);
    assert_int_equal(o.list.n, 2);
    assert_string_equal(o.list.v[0], "a");
    assert_string_equal(o.list.v[1], "b");
    assert_int_equal(npos, 1);
    assert_string_equal(pos[0], "URL");
    /* every row given is marked; the heading and the rest are not */
    assert_true(opt_given(table, N, o.given, F(count)));
    assert_true(opt_given(table, N, o.given, F(list)));
    assert_false(o.given & 1);

    /* a fraction without '%' */
    memset(&o, 0, sizeof o);
    assert_int_equal(PARSE(&o, "--error-rate", "0.25"), 0);
    assert_true(o.frac == 0.25);
    /* later values override, attached short values, clustered flags */
    memset(&o, 0, sizeof o);
    assert_int_equal(PARSE(&o, "-c3", "-c", "4", "-fc9"), 0);
    assert_int_equal(o.count, 9);
    assert_true(o.flag);
    /* unique prefixes, as getopt_long allows; an exact name beats a prefix */
    memset(&o, 0, sizeof o);
    assert_int_equal(PARSE(&o, "--coun", "5", "--time", "2ms", "--no-t"), 0);
    assert_int_equal(o.count, 5);
    assert_int_equal(o.dur_ns, 2 * CLOCK_NS_PER_MS);
    /* "--" ends the options; "-" is an argument */
    memset(&o, 0, sizeof o);
    assert_int_equal(PARSE(&o, "-", "--", "-c", "--bogus"), 0);
    assert_int_equal(npos, 3);
    assert_string_equal(pos[0], "-");
    assert_string_equal(pos[2], "--bogus");
    assert_int_equal(o.count, 0);
}

static void test_min_max(void **state)
{
    (void)state;
    ERR("--count 0: out of range; give a whole number from 1 to 100", "--count", "0");
    ERR("--count 101: out of range; give a whole number from 1 to 100", "-c", "101");
    ERR("--count abc: not a whole number; give one from 1 to 100", "-c", "abc");
    ERR("--count -1: not a whole number", "-c", "-1");
    ERR("--count '': not a whole number", "-c", "");
    ERR("--count 99999999999999999999999: out of range", "-c", "99999999999999999999999");
    ERR("--rate 0.1: out of range; give a number from 0.5 to 1000", "--rate", "0.1");
    ERR("--rate 1001: out of range", "--rate", "1001");
    ERR("--rate nan: not a number; give one from 0.5 to 1000", "--rate", "nan");
    ERR("--rate -3: out of range; give a number from 0.5 to 1000", "--rate", "-3");
    ERR("--max-body 0: too small; give at least 1 byte", "--max-body", "0");
    ERR("--max-body 2MiB: too large; give at most 1048576 bytes", "--max-body", "2MiB");
    ERR("--max-body 8KB: not a size; give bytes or a number with a 1024-based unit", "--max-body",
        "8KB");
    ERR("--error-rate 0.6: give a fraction from 0 to 0.5 or a percentage", "--error-rate", "0.6");
    ERR("--error-rate 60%: give a fraction", "--error-rate", "60%");
    ERR("--error-rate 2: give a fraction", "--error-rate", "2");
    ERR("--color pink: not a known value; use red, green or blue", "--color", "pink");
    ERR("--name 'a x': no x allowed; drop it", "--name", "a x");
    ERR("--item x: no x allowed", "-i", "x");
    ERR("--item d: given more than 3 times; keep at most 3", "-i", "a", "-i", "b", "-i", "c", "-i",
        "d");
    ERR("--connections 11: out of range; give a whole number from 0 to 10", "--connections", "11");
}

/* A percent option's error gives an example inside its own range: a
 * confidence from 50% refused "5%" and then suggested "e.g. 0.05 or 5%". */
static void test_percent_example_in_range(void **state)
{
    (void)state;
    double conf = 0;
    static const opt_t ctable[] = {
        {"confidence", 0, OPT_PERCENT, OPT_SCOPE_GATE, 0, 0.5, 0.999999, .arg = "C%"},
    };
    opt_group_t g = {ctable, 1, &conf, NULL};
    const char *words[] = {"--confidence", "5%", NULL};
    assert_int_equal(opt_parse(&g, 1, 2, (char *const *)words, pos, 8, &npos, err, sizeof err), -1);
    if (!strstr(err, "percentage from 50% to 99.9999%, e.g. 0.99 or 99%"))
        fail_msg("got \"%s\"", err);
    words[1] = "99%";
    assert_int_equal(opt_parse(&g, 1, 2, (char *const *)words, pos, 8, &npos, err, sizeof err), 0);
    assert_true(conf > 0.98999 && conf < 0.99001);
    ERR("--error-rate 0.6: give a fraction from 0 to 0.5 or a percentage from 0% to 50%, e.g. "
        "0.05 or 5%",
        "--error-rate", "0.6");
}

static void test_duration_needs_a_unit(void **state)
{
    (void)state;
    test_opts_t o = {.dur_ns = 7};
    assert_int_equal(PARSE(&o, "--timeout", "5"), -1);
    assert_string_equal(err, "--timeout 5: give a unit, e.g. 5s or 5ms");
    assert_int_equal(PARSE(&o, "--timeout", "1.5"), -1);
    assert_string_equal(err, "--timeout 1.5: give a unit, e.g. 1.5s or 1.5ms");
    assert_int_equal(o.dur_ns, 7); /* untouched on error */
    assert_int_equal(PARSE(&o, "--timeout", "0"), 0);
    assert_int_equal(o.dur_ns, 0);
    assert_int_equal(PARSE(&o, "--timeout", "5ms"), 0);
    assert_int_equal(o.dur_ns, 5 * CLOCK_NS_PER_MS);
    static const struct {
        const char *text;
        uint64_t ns;
    } good[] = {{"0s", 0},
                {"0.0", 0},
                {"250us", 250000},
                {"2m", 120 * CLOCK_NS_PER_S},
                {"1h", 3600 * CLOCK_NS_PER_S},
                {"17ns", 17}};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        if (PARSE(&o, "--timeout", good[i].text) != 0)
            fail_msg("%s: %s", good[i].text, err);
        assert_int_equal(o.dur_ns, good[i].ns);
    }
    ERR("--timeout 5x: not a duration; give a number and a unit (ns, us, ms, s, m, h)", "--timeout",
        "5x");
    ERR("--timeout -5ms: not a duration", "--timeout", "-5ms");
    ERR("--timeout 5MS: not a duration", "--timeout", "5MS");
    /* a value is shown as typed: UTF-8 text whole, control and stray bytes as '?' */
    ERR("--timeout '5\xc2\xb5s': not a duration", "--timeout", "5\xc2\xb5s");
    ERR("--timeout '5?s?': not a duration", "--timeout", "5\x01s\xff");
    ERR("--timeout '5?': not a duration", "--timeout", "5\xc2\x85");

    /* a duration row's bounds: --duration must be more than 0 */
    runopts_t r;
    runopts_defaults(&r);
    opt_group_t g = runopts_group(&r);
    char *words[] = {"--duration", "0"};
    assert_int_equal(opt_parse(&g, 1, 2, words, pos, 1, &npos, err, sizeof err), -1);
    assert_string_equal(err, "--duration 0: must be more than 0, e.g. 500ms or 10s");
    char *words2[] = {"--warmup", "0", "--linger", "0"};
    assert_int_equal(opt_parse(&g, 1, 4, words2, pos, 1, &npos, err, sizeof err), 0);
}

static void test_unknown_and_missing(void **state)
{
    (void)state;
    ERR("unknown option '--bogus'", "--bogus");
    ERR("unknown option '--bogus'", "--bogus=1");
    ERR("unknown option '--tmeout'; did you mean --timeout?", "--tmeout", "1s");
    ERR("unknown option '--colr'; did you mean --color?", "--colr");
    ERR("unknown option '--counts'; did you mean --count?", "--counts=2");
    ERR("unknown option '-z'", "-z");
    ERR("unknown option '-z'", "-fz");
    ERR("option '--count' needs a value", "--count");
    ERR("option '-c' needs a value", "-c");
    ERR("option '--flag' takes no value", "--flag=1");
    ERR("option '--help' takes no value", "--help=yes");
    ERR("option '--co' is ambiguous (--count, --color, --connections): write more of it", "--co",
        "1");
    ERR("unexpected argument 'i'", "a", "b", "c", "d", "e", "f", "g", "h", "i");
    /* help: -h, --help, --he (a prefix of help only), and rc 1 */
    test_opts_t o = {0};
    assert_int_equal(PARSE(&o, "-h"), 1);
    assert_int_equal(PARSE(&o, "--help"), 1);
    assert_int_equal(PARSE(&o, "--he"), 1);
    assert_int_equal(PARSE(&o, "-fh"), 1);
    /* a value may start with '-': the word after an option is its value */
    assert_int_equal(PARSE(&o, "--name", "-f"), 0);
    assert_string_equal(o.name, "-f");
}

/* A bare value (--proto alone is on) takes another only after '=': the
 * word "off" after it is refused, not left as an argument; a path may not
 * be empty, and its message gives an example. */
static void test_bare_value_and_paths(void **state)
{
    (void)state;
    static const char *const protos[] = {"off", "on", "auto", NULL};
    typedef struct {
        int proto;
        const char *out;
        opt_list_t logs;
    } p_opts_t;
    static const opt_t t[] = {
        {"proto", 0, OPT_ENUM, OPT_SCOPE_CLIENT, offsetof(p_opts_t, proto), .choices = protos,
         .bare = "on", .arg = "[=auto]"},
        {"out", 'o', OPT_STRING, OPT_SCOPE_OUTPUT, offsetof(p_opts_t, out), .arg = "FILE",
         .path = "result.json"},
        {"log", 0, OPT_LIST, OPT_SCOPE_OUTPUT, offsetof(p_opts_t, logs), 0, 4, .arg = "FILE",
         .path = "a.csv"},
    };
    p_opts_t o = {0};
    opt_group_t g = {t, sizeof t / sizeof t[0], &o, NULL};
    char *w1[] = {"--proto", "URL"};
    assert_int_equal(opt_parse(&g, 1, 2, w1, pos, 8, &npos, err, sizeof err), 0);
    assert_int_equal(o.proto, 1);
    assert_int_equal(npos, 1);
    char *w2[] = {"--proto=auto", "--proto", "--", "off"};
    assert_int_equal(opt_parse(&g, 1, 4, w2, pos, 8, &npos, err, sizeof err), 0);
    assert_int_equal(o.proto, 1);
    assert_string_equal(pos[0], "off");
    char *w3[] = {"URL", "--proto", "off"};
    assert_int_equal(opt_parse(&g, 1, 3, w3, pos, 8, &npos, err, sizeof err), -1);
    assert_string_equal(err, "option '--proto' takes a value only after '=': write --proto=off "
                             "(--proto alone means --proto=on)");
    char *w4[] = {"-o", ""};
    assert_int_equal(opt_parse(&g, 1, 2, w4, pos, 8, &npos, err, sizeof err), -1);
    assert_string_equal(err, "--out '': an empty path; give one, e.g. --out result.json");
    char *w5[] = {"--log=a.csv", "--log="};
    assert_int_equal(opt_parse(&g, 1, 2, w5, pos, 8, &npos, err, sizeof err), -1);
    assert_string_equal(err, "--log '': an empty path; give one, e.g. --log a.csv");
    char *w6[] = {"-o", "-", "--log", "x"};
    assert_int_equal(opt_parse(&g, 1, 4, w6, pos, 8, &npos, err, sizeof err), 0);
    assert_string_equal(o.out, "-");
}

/* ab's rule: a side may give client options only; a shared client option
 * applies to both sides; a side the user wrote wins over it, a default side
 * gives way to it; lists add up. */
static void test_scope_rule_and_merge(void **state)
{
    (void)state;
    runopts_t shared, side, out;
    runopts_defaults(&shared);
    opt_group_t g = runopts_group(&shared);
    char *sh[] = {"--connections", "7", "--linger", "5ms", "--rate", "10", "-H", "A: 1"};
    assert_int_equal(opt_parse(&g, 1, 8, sh, pos, 1, &npos, err, sizeof err), 0);

    runopts_defaults(&side);
    g = runopts_group(&side);
    char *def[] = {"--batch", "10", "--linger", "50ms", "--connections", "0", "-H", "B: 2"};
    assert_int_equal(opt_parse(&g, 1, 8, def, pos, 0, &npos, err, sizeof err), 0);
    assert_null(opt_outside_scope(runopts_table, runopts_table_len, side.given, OPT_SCOPE_CLIENT));

    /* a default side: the shared values win */
    out = shared;
    assert_int_equal(opt_merge(runopts_table, runopts_table_len, &out, &out.given, &side,
                               side.given & ~shared.given, err, sizeof err),
                     0);
    assert_int_equal(out.connections, 7);
    assert_int_equal(out.linger_ns, 5 * CLOCK_NS_PER_MS);
    assert_int_equal(out.batch, 10);
    assert_int_equal(out.headers.n, 1); /* the side's -H gave way too: it was given shared */
    assert_int_equal(runopts_finish(&out, err, sizeof err), 0);
    assert_int_equal(out.concurrency, 0);

    /* a side the user wrote: its values win, lists add up */
    out = shared;
    assert_int_equal(opt_merge(runopts_table, runopts_table_len, &out, &out.given, &side,
                               side.given, err, sizeof err),
                     0);
    assert_int_equal(out.connections, 0);
    assert_int_equal(out.linger_ns, 50 * CLOCK_NS_PER_MS);
    assert_int_equal(out.headers.n, 2);
    assert_string_equal(out.headers.v[0], "A: 1");
    assert_string_equal(out.headers.v[1], "B: 2");

    /* a load, gate or output option in a side is outside the client scope */
    static const char *not_client[] = {"--rate", "--requests", "--duration", "--inputs",
                                       "--sla",  "--out",      "--quiet",    "--validate"};
    static const char *values[] = {"5", "5", "1s", "f", "p95<=1s", "x", NULL, "none"};
    for (size_t i = 0; i < sizeof not_client / sizeof not_client[0]; i++) {
        runopts_defaults(&side);
        g = runopts_group(&side);
        char *w[] = {(char *)not_client[i], (char *)values[i]};
        assert_int_equal(opt_parse(&g, 1, values[i] ? 2 : 1, w, pos, 0, &npos, err, sizeof err), 0);
        const opt_t *bad =
            opt_outside_scope(runopts_table, runopts_table_len, side.given, OPT_SCOPE_CLIENT);
        assert_non_null(bad);
        assert_string_equal(bad->name, not_client[i] + 2);
    }
    /* every client option */
    static const char *client[] = {"--connections", "--threads", "--timeout", "--cacert",
                                   "--batch",       "--linger",  "-H"};
    static const char *cvalues[] = {"1", "1", "1s", "ca.pem", "2", "1ms", "K: V"};
    for (size_t i = 0; i < sizeof client / sizeof client[0]; i++) {
        runopts_defaults(&side);
        g = runopts_group(&side);
        char *w[] = {(char *)client[i], (char *)cvalues[i], "--insecure", "--no-tls-resume"};
        assert_int_equal(opt_parse(&g, 1, 4, w, pos, 0, &npos, err, sizeof err), 0);
        assert_null(
            opt_outside_scope(runopts_table, runopts_table_len, side.given, OPT_SCOPE_CLIENT));
    }
}

static char *capture_help(const opt_t *t, size_t n, unsigned view)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    opt_help(f, t, n, view, true);
    fclose(f);
    return buf;
}

static void test_help_from_table(void **state)
{
    (void)state;
    char *h = capture_help(table, N, 1);
    assert_non_null(strstr(h, "Section:\n"
                              "  -c, --count N           a count\n"
                              "                          second line\n"));
    assert_non_null(strstr(h, "      --timeout D         a duration\n"));
    assert_non_null(strstr(h, "  -N, --name S\n"));
    assert_non_null(strstr(h, "  -h, --help              this help\n"));
    assert_non_null(strstr(h, "Durations take a unit"));
    free(h);
    h = capture_help(table, N, 2); /* --name is hidden in view 2 */
    assert_null(strstr(h, "--name"));
    free(h);
    /* run's and ab's help: every row, --out, --log, --log-events* and the segment
     * options (one run over processes) only in run's */
    char *run = capture_help(runopts_table, runopts_table_len, RUNOPTS_VIEW_RUN);
    char *ab = capture_help(runopts_table, runopts_table_len, RUNOPTS_VIEW_AB);
    for (size_t i = 0; i < runopts_table_len; i++) {
        const opt_t *o = &runopts_table[i];
        if (!o->name)
            continue;
        /* the name and what follows it in a help row ("--out" is not "--outputs") */
        char name[64], eol[64], opt_arg[64];
        snprintf(name, sizeof name, "--%s ", o->name);
        snprintf(eol, sizeof eol, "--%s\n", o->name);
        snprintf(opt_arg, sizeof opt_arg, "--%s[", o->name); /* --http2[=auto] */
        assert_true(strstr(run, name) || strstr(run, eol) || strstr(run, opt_arg));
        if (o->offset == offsetof(runopts_t, out_path) ||
            o->offset == offsetof(runopts_t, log_path) ||
            o->offset == offsetof(runopts_t, log_events_path) ||
            o->offset == offsetof(runopts_t, log_events_every) ||
            o->offset == offsetof(runopts_t, segment_text) ||
            o->offset == offsetof(runopts_t, segments) ||
            o->offset == offsetof(runopts_t, start_at_text))
            assert_true(!strstr(ab, name) && !strstr(ab, eol));
        else
            assert_true(strstr(ab, name) || strstr(ab, eol) || strstr(ab, opt_arg));
    }
    free(run);
    free(ab);
}

static void test_config_from_table(void **state)
{
    (void)state;
    test_opts_t o = {0};
    assert_int_equal(PARSE(&o, "-c", "3", "--timeout", "1.5s", "--color", "green", "-i", "a",
                           "--max-body", "1k"),
                     0);
    json_t *c = json_object();
    assert_int_equal(opt_config_json(table, N, &o, c, false), 0);
    char *s = json_dumps(c, JSON_COMPACT);
    assert_string_equal(s, "{\"count\":3,\"timeout_ms\":1500.0,\"rate\":0.0,\"max_body\":1024,"
                           "\"error_rate\":0.0,\"color\":\"green\",\"name\":null,\"flag\":false,"
                           "\"thing\":true,\"items\":[\"a\"]}");
    free(s);
    json_decref(c);
}

static void test_secrets_redacted(void **state)
{
    (void)state;
    static const char *secret[] = {"Authorization: Bearer sk-1",
                                   "proxy-authorization: x",
                                   "Cookie: a=b",
                                   "SET-COOKIE: a=b",
                                   "X-Api-Key: k",
                                   "X-Auth-Token : t",
                                   "client_secret: s",
                                   "apikey: z",
                                   "x-goog-api-key: g",
                                   "X-Amz-Security-Token: t",
                                   "accessToken: t"};
    static const char *plain[] = {"Content-Type: application/json",
                                  "X-Trace: 1",
                                  "Authorization-Hint: x",
                                  "Host: tok.example",
                                  "X-Max-Tokens: 5",
                                  "X-Monkey: m",
                                  "Keyword: k"};
    for (size_t i = 0; i < sizeof secret / sizeof secret[0]; i++)
        if (!runopts_header_is_secret(secret[i]))
            fail_msg("'%s' not secret", secret[i]);
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
        if (runopts_header_is_secret(plain[i]))
            fail_msg("'%s' secret", plain[i]);

    runopts_t r;
    runopts_defaults(&r);
    opt_group_t g = runopts_group(&r);
    char *w[] = {"-H", "Authorization: Bearer sk-1", "-H", "X-Trace: 1", "-H", "x-api-key: k"};
    assert_int_equal(opt_parse(&g, 1, 6, w, pos, 1, &npos, err, sizeof err), 0);
    assert_int_equal(runopts_finish(&r, err, sizeof err), 0);
    json_t *c = runopts_config_json(&r);
    char *s = json_dumps(json_object_get(c, "headers"), JSON_COMPACT);
    assert_string_equal(s, "[\"Authorization: <redacted>\",\"X-Trace: 1\","
                           "\"x-api-key: <redacted>\"]");
    free(s);
    json_decref(c);
    r.show_secrets = true;
    c = runopts_config_json(&r);
    s = json_dumps(json_object_get(c, "headers"), JSON_COMPACT);
    assert_string_equal(s, "[\"Authorization: Bearer sk-1\",\"X-Trace: 1\",\"x-api-key: k\"]");
    free(s);
    json_decref(c);
}

static void test_url_secrets_redacted(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"http://h/p", "http://h/p"},
        {"http://h/p?n=1", "http://h/p?n=1"},
        {"http://h/p?api_key=abc&n=1", "http://h/p?api_key=<redacted>&n=1"},
        {"http://h/p?n=1&TOKEN=x#frag", "http://h/p?n=1&TOKEN=<redacted>#frag"},
        {"http://h/p?secret&key=&x=key", "http://h/p?secret&key=<redacted>&x=key"},
        {"http://h/p?max_tokens=64&keyword=a", "http://h/p?max_tokens=64&keyword=a"},
        {"http://h/p?accessToken=a&X-Amz-Signature=b&password=c",
         "http://h/p?accessToken=<redacted>&X-Amz-Signature=<redacted>&password=<redacted>"},
        {"http://h/p?", "http://h/p?"},
        {"", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *r = runopts_redact_url(cases[i].in);
        assert_string_equal(r, cases[i].out);
        free(r);
    }
    runopts_t o;
    runopts_defaults(&o);
    o.url_text = "http://h/p?key=sk-1";
    json_t *c = runopts_config_json(&o);
    assert_string_equal(json_string_value(json_object_get(c, "url")), "http://h/p?key=<redacted>");
    json_decref(c);
    o.show_secrets = true;
    c = runopts_config_json(&o);
    assert_string_equal(json_string_value(json_object_get(c, "url")), "http://h/p?key=sk-1");
    json_decref(c);
}

static int finish_words(runopts_t *r, int argc, char **w)
{
    runopts_defaults(r);
    opt_group_t g = runopts_group(r);
    if (opt_parse(&g, 1, argc, w, pos, 1, &npos, err, sizeof err))
        return -2;
    return runopts_finish(r, err, sizeof err);
}

static void test_run_cross_checks(void **state)
{
    (void)state;
    runopts_t r;
    /* --method GET alone: a plain request with no body, status validation */
    char *get[] = {"-m", "GET"};
    assert_int_equal(finish_words(&r, 2, get), 0);
    assert_true(r.body_mode);
    assert_int_equal(r.validate, VALIDATE_STATUS);
    char *get_inputs[] = {"-m", "GET", "--inputs", "f.jsonl"};
    assert_int_equal(finish_words(&r, 4, get_inputs), -1);
    assert_non_null(strstr(err, "--inputs"));
    char *get_batch[] = {"-m", "HEAD", "--batch", "2"};
    assert_int_equal(finish_words(&r, 4, get_batch), -1);
    assert_non_null(strstr(err, "--batch needs items"));
    char *put[] = {"-m", "PUT"};
    assert_int_equal(finish_words(&r, 2, put), 0);
    assert_false(r.body_mode);
    char *both[] = {"-c", "2", "-r", "5"};
    assert_int_equal(finish_words(&r, 4, both), -1);
    assert_non_null(strstr(err, "--concurrency and --rate exclude each other"));
    char *reqs[] = {"-n", "5", "--sla", "p95<=1s", "--sla", "error_rate<1%"};
    assert_int_equal(finish_words(&r, 6, reqs), 0);
    assert_int_equal(r.duration_ns, 0);
    assert_int_equal(r.num_slas, 2);
    assert_int_equal(r.connections, 10);
}

/* What runopts_warn_slas prints, as who, for the SLAs texts[0..n). The
 * caller frees it. */
static char *slas_warnings(const char *const *texts, size_t n, const char *who)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    sla_t s[8];
    char why[1024];
    assert_true(n <= 8);
    for (size_t i = 0; i < n; i++)
        if (sla_parse(texts[i], &s[i], why, sizeof why))
            fail_msg("%s: %s", texts[i], why);
    runopts_warn_slas(s, n, f, who);
    fclose(f);
    return buf;
}

static void test_error_rate_warning(void **state)
{
    (void)state;
    const char *texts[] = {"error_rate<0.01", "error_rate<0.01%", "error_rate<1", "error_rate<=0"};
    char *buf = slas_warnings(texts, 4, "tailgate run");
    assert_string_equal(buf, "tailgate run: warning: --sla 'error_rate<0.01': error_rate is in "
                             "percent, so this means 0.01% (1 error in 10000 requests), where "
                             "k6 would read 1%; write 'error_rate<0.01%' to keep it, or "
                             "'error_rate<1%' for 1%\n");
    free(buf);
}

/* A fraction given to slo_attainment is read as a percentage, which makes
 * the gate far easier to pass than meant ("slo_attainment>=0.99" passed with
 * 1 request in 100 good, under a warning): refused, saying how to write it. */
static void test_slo_attainment_fraction_refused(void **state)
{
    (void)state;
    char why[SLA_ERR_MAX];
    assert_int_equal(runopts_check_sla("slo_attainment>=0.99", why, sizeof why), -1);
    assert_string_equal(why, "slo_attainment is in percent: 'slo_attainment>=0.99' would pass "
                             "with 0.99% of the requests good; write 'slo_attainment>=99%' for "
                             "the fraction 0.99, or 'slo_attainment>=0.99%' if 0.99% is meant");
    assert_int_equal(runopts_check_sla("slo_attainment>1", why, sizeof why), -1);
    assert_non_null(strstr(why, "write 'slo_attainment>100%' for the fraction 1"));
    const char *fine[] = {"slo_attainment>=0.99%", "slo_attainment>=99", "slo_attainment>0",
                          "slo_attainment>=1%", "error_rate<0.01"};
    for (size_t i = 0; i < sizeof fine / sizeof fine[0]; i++)
        assert_int_equal(runopts_check_sla(fine[i], why, sizeof why), 0);
    char *buf = slas_warnings(fine, 4, "tailgate diff"); /* nothing left to warn of */
    assert_string_equal(buf, "");
    free(buf);
}

static void test_split(void **state)
{
    (void)state;
    int argc;
    char **w = opt_split("  --batch 10 -H 'A: b c' --x=\"1 2\"  ", &argc);
    assert_int_equal(argc, 5);
    assert_string_equal(w[0], "--batch");
    assert_string_equal(w[3], "A: b c");
    assert_string_equal(w[4], "--x=1 2");
    assert_null(w[5]);
    free(w);
    /* a quote left open is said, not read as if it closed at the end */
    w = opt_split("--batch 10 -H 'A: b", &argc);
    assert_int_equal(argc, -1);
    assert_string_equal(w[2], "-H");
    free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_kind),
        cmocka_unit_test(test_min_max),
        cmocka_unit_test(test_percent_example_in_range),
        cmocka_unit_test(test_duration_needs_a_unit),
        cmocka_unit_test(test_unknown_and_missing),
        cmocka_unit_test(test_bare_value_and_paths),
        cmocka_unit_test(test_scope_rule_and_merge),
        cmocka_unit_test(test_help_from_table),
        cmocka_unit_test(test_config_from_table),
        cmocka_unit_test(test_secrets_redacted),
        cmocka_unit_test(test_url_secrets_redacted),
        cmocka_unit_test(test_run_cross_checks),
        cmocka_unit_test(test_error_rate_warning),
        cmocka_unit_test(test_slo_attainment_fraction_refused),
        cmocka_unit_test(test_split),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
