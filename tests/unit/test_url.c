/* Tests for core/url: golden accepted and rejected URLs, each (and every
 * prefix of it) placed right before a PROT_NONE guard page. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "guard.h"

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/url.h"

struct url_case {
    const char *text;
    int rc;
    bool tls;
    const char *host, *port, *path, *authority;
    bool ipv6;
    const char *err; /* substring of the message */
};

static const struct url_case cases[] = {
    {"http://example.com", 0, false, "example.com", "80", "/", "example.com", false, NULL},
    {"http://example.com/", 0, false, "example.com", "80", "/", "example.com", false, NULL},
    {"https://example.com", 0, true, "example.com", "443", "/", "example.com", false, NULL},
    {"HTTPS://Example.COM:8443/v1/infer?x=1&y=%20", 0, true, "Example.COM", "8443",
     "/v1/infer?x=1&y=%20", "Example.COM:8443", false, NULL},
    {"http://127.0.0.1:8080/v1/infer", 0, false, "127.0.0.1", "8080", "/v1/infer", "127.0.0.1:8080",
     false, NULL},
    {"http://localhost:80", 0, false, "localhost", "80", "/", "localhost:80", false, NULL},
    {"http://h:0080/", 0, false, "h", "80", "/", "h:0080", false, NULL},
    {"http://h:65535", 0, false, "h", "65535", "/", "h:65535", false, NULL},
    {"http://[::1]:8080/x", 0, false, "::1", "8080", "/x", "[::1]:8080", true, NULL},
    {"https://[2001:db8::1]/", 0, true, "2001:db8::1", "443", "/", "[2001:db8::1]", true, NULL},
    {"http://[::ffff:1.2.3.4]", 0, false, "::ffff:1.2.3.4", "80", "/", "[::ffff:1.2.3.4]", true,
     NULL},
    {"http://h?q=1", 0, false, "h", "80", "/?q=1", "h", false, NULL},
    {"http://h/p#frag", 0, false, "h", "80", "/p", "h", false, NULL},
    {"http://h#frag", 0, false, "h", "80", "/", "h", false, NULL},
    {"http://my_svc-1.internal/", 0, false, "my_svc-1.internal", "80", "/", "my_svc-1.internal",
     false, NULL},

    {"", -1, .err = "empty URL"},
    {"example.com", -1, .err = "has no scheme"},
    {"ftp://h/", -1, .err = "unsupported scheme 'ftp' (use http:// or https://)"},
    {"ws://h/", -1, .err = "unsupported scheme 'ws'"},
    {"://h/", -1, .err = "unsupported scheme ''"},
    {"http://", -1, .err = "empty host"},
    {"http:///path", -1, .err = "empty host"},
    {"http://:80/", -1, .err = "empty host"},
    {"http://user:pw@h/", -1, .err = "user info"},
    {"http://@h/", -1, .err = "user info"},
    {"http://h:/", -1, .err = "empty port"},
    {"http://h:0/", -1, .err = "bad port 0"},
    {"http://h:65536/", -1, .err = "bad port '65536' (expected 1..65535)"},
    {"http://h:99999999999999999999/", -1, .err = "bad port"},
    {"http://h:8a/", -1, .err = "bad port '8a'"},
    {"http://h:-1/", -1, .err = "bad port"},
    {"http://::1/", -1, .err = "needs brackets"},
    {"http://[::1/", -1, .err = "missing ']'"},
    {"http://[]/", -1, .err = "not an IPv6 address"},
    {"http://[not:v6]/", -1, .err = "not an IPv6 address"},
    {"http://[::1]x/", -1, .err = "unexpected text after ']'"},
    {"http://[::1]:/", -1, .err = "empty port"},
    {"http://ho st/", -1, .err = "invalid character ' ' in host"},
    {"http://h\xc3\xa9/", -1, .err = "invalid character"},
    {"http://h/a b", -1, .err = "space or control character"},
    {"http://h/a\tb", -1, .err = "space or control character"},
};

static void check(const struct url_case *c, int rc, const url_t *u, const char *err)
{
    if (rc != c->rc)
        fail_msg("'%s': rc %d (%s)", c->text, rc, err);
    if (rc != 0) {
        if (!strstr(err, c->err))
            fail_msg("'%s': message '%s' lacks '%s'", c->text, err, c->err);
        return;
    }
    assert_int_equal(u->tls, c->tls);
    assert_string_equal(u->host, c->host);
    assert_string_equal(u->port, c->port);
    assert_string_equal(u->path, c->path);
    assert_string_equal(u->authority, c->authority);
    assert_int_equal(u->ipv6_literal, c->ipv6);
}

static void test_url_golden(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct url_case *c = &cases[i];
        size_t len = strlen(c->text);
        for (size_t k = 0; k <= len; k++) {
            guard_t g;
            guard_place_str(&g, c->text, k);
            url_t u;
            char err[160] = "";
            int rc = url_parse(g.str, &u, err, sizeof(err));
            if (k == len)
                check(c, rc, &u, err);
            else if (rc != 0)
                assert_true(err[0] != '\0');
            guard_free(&g);
        }
    }
}

static void test_url_limits(void **state)
{
    (void)state;
    static char text[URL_PATH_MAX + 600];
    url_t u;
    char err[160];
    /* longest host that fits, and one more */
    for (size_t n = URL_HOST_MAX - 1; n <= URL_HOST_MAX; n++) {
        int off = snprintf(text, sizeof(text), "http://");
        memset(text + off, 'a', n);
        strcpy(text + off + n, ":8080/");
        int rc = url_parse(text, &u, err, sizeof(err));
        if (n < URL_HOST_MAX) {
            assert_int_equal(rc, 0);
            assert_int_equal(strlen(u.host), n);
        } else {
            assert_int_equal(rc, -1);
            assert_non_null(strstr(err, "host too long"));
        }
    }
    /* longest path that fits, and one more */
    for (size_t n = URL_PATH_MAX - 1; n <= URL_PATH_MAX; n++) {
        int off = snprintf(text, sizeof(text), "http://h");
        text[off] = '/';
        memset(text + off + 1, 'p', n - 1);
        text[off + n] = '\0';
        int rc = url_parse(text, &u, err, sizeof(err));
        if (n < URL_PATH_MAX) {
            assert_int_equal(rc, 0);
            assert_int_equal(strlen(u.path), n);
        } else {
            assert_int_equal(rc, -1);
            assert_non_null(strstr(err, "path too long"));
        }
    }
    /* the query-only form gains a '/', which must fit too */
    int off = snprintf(text, sizeof(text), "http://h");
    text[off] = '?';
    memset(text + off + 1, 'q', URL_PATH_MAX - 2);
    text[off + URL_PATH_MAX - 1] = '\0';
    assert_int_equal(url_parse(text, &u, err, sizeof(err)), -1);
    /* NULL error buffer is allowed */
    assert_int_equal(url_parse("nope", &u, NULL, 0), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_golden),
        cmocka_unit_test(test_url_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
