/* errmsg — how library code hands a message back to the caller that shows it.
 *
 * A function that can fail with a reason takes (char *err, size_t errlen);
 * it writes one line there, without a trailing newline, and returns its
 * error code. err may be NULL or errlen 0 when the caller wants no text. */
#ifndef TAILGATE_CORE_ERRMSG_H
#define TAILGATE_CORE_ERRMSG_H

#include <stddef.h>

/* Formats the message into err[errlen] (cut to fit) and returns rc. */
int errmsg_set(int rc, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
