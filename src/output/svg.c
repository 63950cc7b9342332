/* svg — chart primitives for the HTML report. */
#include "output/svg.h"

#include "core/jtok.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>

#define SVG_FONT "font-family=\"sans-serif\""
#define SVG_AXIS_COLOR "#444"
#define SVG_GRID_COLOR "#e3e3e3"

/* Length of a valid UTF-8 sequence at s (1..4), or 0 when the bytes there are
 * not one. XML 1.0 also forbids U+FFFE/U+FFFF (EF BF BE, EF BF BF). */
static size_t utf8_len(const unsigned char *s)
{
    size_t n = jtok_utf8(s, strnlen((const char *)s, 4));
    if (n == 3 && s[0] == 0xef && s[1] == 0xbf && s[2] >= 0xbe)
        return 0;
    return n;
}

void svg_escape(FILE *f, const char *s)
{
    if (!s)
        return;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        size_t n = utf8_len(p);
        if (n == 0) {
            fputs("\xef\xbf\xbd", f); /* U+FFFD for a byte that is not UTF-8 */
            p++;
            continue;
        }
        if (n > 1) {
            fwrite(p, 1, n, f);
            p += n;
            continue;
        }
        switch (*p) {
        case '&':
            fputs("&amp;", f);
            break;
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        case '\'':
            fputs("&#39;", f);
            break;
        case ':':
            /* A target URL shown as text must not read as a reference in the
             * file's source: the report fetches nothing and says so checkably. */
            fputs(p[1] == '/' && p[2] == '/' ? "&#58;" : ":", f);
            break;
        case '\t':
        case '\n':
        case '\r':
            fputc(*p, f);
            break;
        default:
            fputc(*p < 0x20 || *p == 0x7f ? '?' : *p, f);
        }
        p++;
    }
}

void svg_escapef(FILE *f, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    svg_escape(f, buf);
}

double svg_x(const svg_axes_t *a, double x)
{
    double span = a->xmax - a->xmin;
    return a->left + (span > 0 ? (x - a->xmin) / span : 0) * a->width;
}

double svg_y(const svg_axes_t *a, double y)
{
    double span = a->ymax - a->ymin;
    double t = span > 0 ? (y - a->ymin) / span : 0;
    if (t < 0)
        t = 0;
    if (t > 1)
        t = 1;
    return a->top + (1 - t) * a->height;
}

size_t svg_nice_ticks(double lo, double hi, int target, double *ticks, size_t max, double *nice_hi)
{
    if (!(hi > lo))
        hi = lo + 1;
    if (target < 1)
        target = 5;
    double raw = (hi - lo) / target;
    double mag = pow(10, floor(log10(raw)));
    double r = raw / mag, step;
    if (r <= 1)
        step = mag;
    else if (r <= 2)
        step = 2 * mag;
    else if (r <= 2.5)
        step = 2.5 * mag;
    else if (r <= 5)
        step = 5 * mag;
    else
        step = 10 * mag;
    double start = floor(lo / step + 1e-9) * step;
    size_t n = 0;
    double v = start;
    for (size_t i = 0; n < max; i++) {
        v = start + (double)i * step;
        if (fabs(v) < step * 1e-9)
            v = 0;
        ticks[n++] = v;
        if (v >= hi - step * 1e-9)
            break;
    }
    if (nice_hi)
        *nice_hi = ticks[n - 1];
    return n;
}

size_t svg_y_from_zero(svg_axes_t *a, double top, double *ticks, size_t max)
{
    double nice_hi;
    size_t n = svg_nice_ticks(0, top > 0 ? top : 1, 6, ticks, max, &nice_hi);
    a->ymin = 0;
    a->ymax = nice_hi;
    return n;
}

char *svg_fmt_num(char *buf, size_t len, double v)
{
    double a = fabs(v);
    if (!isfinite(v))
        snprintf(buf, len, "-");
    else if (a == 0)
        snprintf(buf, len, "0");
    else if (a >= 100)
        snprintf(buf, len, "%.0f", v);
    else if (a >= 10)
        snprintf(buf, len, "%.1f", v);
    else if (a >= 1)
        snprintf(buf, len, "%.2f", v);
    else if (a >= 0.001)
        snprintf(buf, len, "%.3f", v);
    else
        snprintf(buf, len, "%.2g", v);
    /* "2.50" -> "2.5", "10.0" -> "10": ticks read better without trailing zeros. */
    if (strchr(buf, '.') && !strchr(buf, 'e')) {
        size_t n = strlen(buf);
        while (n > 0 && buf[n - 1] == '0')
            buf[--n] = '\0';
        if (n > 0 && buf[n - 1] == '.')
            buf[--n] = '\0';
    }
    return buf;
}

void svg_begin(FILE *f, const char *id, int w, int h, const char *title)
{
    fprintf(f,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"%s\" class=\"chart %s\" "
            "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\">\n<title>",
            id, id, w, h, w, h);
    svg_escape(f, title);
    fprintf(f, "</title>\n<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n", w,
            h);
    svg_text(f, 16, 24, "start", 15, true, "#222", title);
}

void svg_end(FILE *f)
{
    fputs("</svg>\n", f);
}

void svg_text(FILE *f, double x, double y, const char *anchor, double size, bool bold,
              const char *color, const char *text)
{
    fprintf(f,
            "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"%.0f\" " SVG_FONT
            "%s fill=\"%s\">",
            x, y, anchor, size, bold ? " font-weight=\"bold\"" : "", color);
    svg_escape(f, text);
    fputs("</text>\n", f);
}

void svg_rect(FILE *f, double x, double y, double w, double h, const char *fill)
{
    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>\n", x, y,
            w > 0 ? w : 0, h > 0 ? h : 0, fill);
}

void svg_axes_draw(FILE *f, const svg_axes_t *a, const double *xticks, const char *const *xlabels,
                   size_t nx, const double *yticks, size_t ny, const char *xtitle,
                   const char *ytitle)
{
    char num[64];
    double right = a->left + a->width, bottom = a->top + a->height;
    fputs("<g class=\"grid\" stroke=\"" SVG_GRID_COLOR "\" stroke-width=\"1\">\n", f);
    for (size_t i = 0; i < ny; i++) {
        double y = svg_y(a, yticks[i]);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", a->left, y, right,
                y);
    }
    for (size_t i = 0; i < nx; i++) {
        double x = svg_x(a, xticks[i]);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", x, a->top, x,
                bottom);
    }
    fputs("</g>\n", f);
    fprintf(f,
            "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
            "stroke=\"" SVG_AXIS_COLOR "\" stroke-width=\"1\"/>\n",
            a->left, a->top, a->width, a->height);
    for (size_t i = 0; i < ny; i++)
        svg_text(f, a->left - 6, svg_y(a, yticks[i]) + 4, "end", 11, false, SVG_AXIS_COLOR,
                 svg_fmt_num(num, sizeof num, yticks[i]));
    for (size_t i = 0; i < nx; i++)
        svg_text(f, svg_x(a, xticks[i]), bottom + 16, "middle", 11, false, SVG_AXIS_COLOR,
                 xlabels ? xlabels[i] : svg_fmt_num(num, sizeof num, xticks[i]));
    if (xtitle)
        svg_text(f, a->left + a->width / 2, bottom + 34, "middle", 12, false, "#222", xtitle);
    if (ytitle) {
        double cx = a->left - 48, cy = a->top + a->height / 2;
        fprintf(f,
                "<text x=\"%.1f\" y=\"%.1f\" transform=\"rotate(-90 %.1f %.1f)\" "
                "text-anchor=\"middle\" font-size=\"12\" " SVG_FONT " fill=\"#222\">",
                cx, cy, cx, cy);
        svg_escape(f, ytitle);
        fputs("</text>\n", f);
    }
}

static void dash_attr(FILE *f, const char *dash)
{
    if (dash)
        fprintf(f, " stroke-dasharray=\"%s\"", dash);
}

void svg_polyline(FILE *f, const svg_axes_t *a, const double *xs, const double *ys, size_t n,
                  const char *color, double stroke_width, const char *dash)
{
    size_t i = 0;
    while (i < n) {
        while (i < n && !isfinite(ys[i]))
            i++;
        size_t start = i;
        while (i < n && isfinite(ys[i]))
            i++;
        size_t len = i - start;
        if (len == 0)
            break;
        if (len == 1) {
            fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"%s\"/>\n",
                    svg_x(a, xs[start]), svg_y(a, ys[start]), stroke_width + 1.5, color);
            continue;
        }
        fputs("<polyline points=\"", f);
        for (size_t k = start; k < i; k++)
            fprintf(f, "%s%.1f,%.1f", k > start ? " " : "", svg_x(a, xs[k]), svg_y(a, ys[k]));
        fprintf(f,
                "\" fill=\"none\" stroke=\"%s\" stroke-width=\"%.1f\" "
                "stroke-linejoin=\"round\"",
                color, stroke_width);
        dash_attr(f, dash);
        fputs("/>\n", f);
    }
}

void svg_hline(FILE *f, const svg_axes_t *a, double y, const char *color, const char *dash,
               const char *label)
{
    double py = svg_y(a, y);
    fprintf(f,
            "<line class=\"sla\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
            "stroke-width=\"2\"",
            a->left, py, a->left + a->width, py, color);
    dash_attr(f, dash);
    fputs("/>\n", f);
    if (label)
        svg_text(f, a->left + a->width - 6, py - 5, "end", 11, true, color, label);
}

void svg_vline(FILE *f, const svg_axes_t *a, double x, const char *color, const char *dash,
               const char *label)
{
    double px = svg_x(a, x);
    fprintf(f,
            "<line class=\"marker\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
            "stroke=\"%s\" stroke-width=\"2\"",
            px, a->top, px, a->top + a->height, color);
    dash_attr(f, dash);
    fputs("/>\n", f);
    if (label)
        svg_text(f, px + 5, a->top + 14, "start", 11, true, color, label);
}

void svg_dot(FILE *f, const svg_axes_t *a, double x, double y, double r, const char *fill,
             const char *title)
{
    bool out = y > a->ymax || y < a->ymin;
    fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" ", svg_x(a, x), svg_y(a, y), r);
    if (out)
        fprintf(f, "fill=\"#fff\" stroke=\"%s\" stroke-width=\"2\">", fill);
    else
        fprintf(f, "fill=\"%s\" stroke=\"#fff\" stroke-width=\"1\">", fill);
    fputs("<title>", f);
    svg_escape(f, title);
    fputs("</title></circle>\n", f);
}

void svg_legend(FILE *f, double x, double y, double max_x, const svg_legend_entry_t *e, size_t n)
{
    double cx = x, cy = y;
    for (size_t i = 0; i < n; i++) {
        /* About 6.5 px per character at 12 px: good enough to avoid overlaps. */
        double w = 34 + 6.5 * (double)strlen(e[i].label) + 18;
        if (cx > x && cx + w > max_x) {
            cx = x;
            cy += 18;
        }
        if (e[i].dash && !strcmp(e[i].dash, "box")) {
            svg_rect(f, cx, cy - 9, 24, 10, e[i].color);
        } else {
            fprintf(f,
                    "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                    "stroke-width=\"2.5\"",
                    cx, cy - 4, cx + 24, cy - 4, e[i].color);
            dash_attr(f, e[i].dash);
            fputs("/>\n", f);
        }
        svg_text(f, cx + 30, cy, "start", 12, false, "#222", e[i].label);
        cx += w;
    }
}

void svg_note(FILE *f, const svg_axes_t *a, const char *text)
{
    svg_text(f, a->left + a->width / 2, a->top + a->height / 2, "middle", 15, true, "#8a6d3b",
             text);
}

char *svg_fmt_fixed(char *buf, size_t len, double v, int decimals)
{
    if (!isfinite(v))
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, "%.*f", decimals, v);
    return buf;
}
