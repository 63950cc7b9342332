/* svg — chart primitives for the HTML report: XML-safe text, axes with ticks,
 * lines, bars, legends, written as inline SVG into a FILE*.
 *
 * Everything written is well-formed XML whatever the input: text goes through
 * svg_escape (invalid UTF-8 and control characters replaced, "://" written as
 * "&#58;//" so the file's source holds no URL but the namespace declarations).
 * Colours are CSS colour strings chosen by the caller; no function allocates
 * except svg_escape's callers' own buffers, and none fails: a write error is
 * left on the FILE for the caller's ferror/fclose. */
#ifndef TAILGATE_OUTPUT_SVG_H
#define TAILGATE_OUTPUT_SVG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Writes s as XML text/attribute content. NULL writes nothing. */
void svg_escape(FILE *f, const char *s);
/* printf, then escapes the result (formatted text up to 1023 bytes). */
void svg_escapef(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A plot area in pixels and the data ranges it shows. x is linear in whatever
 * the caller passes (the percentile chart passes log10(1/(1-p))). */
typedef struct {
    double left, top, width, height; /* plot area inside the svg, px */
    double xmin, xmax, ymin, ymax;
} svg_axes_t;

double svg_x(const svg_axes_t *a, double x);
double svg_y(const svg_axes_t *a, double y);

/* Fills ticks[] with "nice" values (1, 2, 2.5, 5 x 10^k) covering [lo, hi]
 * with about target intervals; returns the count (<= max). *nice_hi is set to
 * the last tick (>= hi), the natural top of an axis. lo < hi required. */
size_t svg_nice_ticks(double lo, double hi, int target, double *ticks, size_t max, double *nice_hi);
/* A y axis from 0 to the round number at or above top (1 when top is not
 * positive), about 6 ticks: sets a's ymin and ymax, fills ticks[], returns
 * their count (<= max). */
size_t svg_y_from_zero(svg_axes_t *a, double top, double *ticks, size_t max);

/* Formats a number for a tick or a table: 3 significant digits, no exponent,
 * thousands unseparated ("0.412", "41.2", "812", "12345"). Returns buf. */
char *svg_fmt_num(char *buf, size_t len, double v);
/* v with `decimals` decimals, "-" when not finite. Returns buf. */
char *svg_fmt_fixed(char *buf, size_t len, double v, int decimals);

/* <svg> opening tag with namespace, id and class "chart", viewBox w x h, and a
 * <title> (the chart's accessible name), plus a heading drawn at the top. */
void svg_begin(FILE *f, const char *id, int w, int h, const char *title);
void svg_end(FILE *f);

/* Frame, grid lines and tick labels. xlabels may be NULL (numbers printed);
 * otherwise xlabels[i] labels xticks[i]. Axis titles under/left of the plot. */
void svg_axes_draw(FILE *f, const svg_axes_t *a, const double *xticks, const char *const *xlabels,
                   size_t nx, const double *yticks, size_t ny, const char *xtitle,
                   const char *ytitle);

/* A line through (xs[i], ys[i]); a NaN y breaks it into segments. dash is a
 * stroke-dasharray ("6,4") or NULL for solid. Points outside the y range are
 * clamped to the plot edge. A single isolated point is drawn as a dot. */
void svg_polyline(FILE *f, const svg_axes_t *a, const double *xs, const double *ys, size_t n,
                  const char *color, double stroke_width, const char *dash);

/* A horizontal reference line across the plot at data y, labelled at its right
 * end inside the plot (the SLA threshold: pass dash "8,5"). */
void svg_hline(FILE *f, const svg_axes_t *a, double y, const char *color, const char *dash,
               const char *label);

/* A vertical reference line at data x (a capacity found), labelled at its
 * top inside the plot. */
void svg_vline(FILE *f, const svg_axes_t *a, double x, const char *color, const char *dash,
               const char *label);
/* A dot at data (x, y) with a hover title (one step of a sweep); y outside
 * the range is drawn at the edge, hollow. */
void svg_dot(FILE *f, const svg_axes_t *a, double x, double y, double r, const char *fill,
             const char *title);

/* A filled rectangle in pixel coordinates. */
void svg_rect(FILE *f, double x, double y, double w, double h, const char *fill);
/* Text at pixel (x, y). anchor "start" | "middle" | "end"; size px; bold. */
void svg_text(FILE *f, double x, double y, const char *anchor, double size, bool bold,
              const char *color, const char *text);

typedef struct {
    const char *label;
    const char *color;
    const char *dash; /* NULL = solid line; "box" = a filled square (bars) */
} svg_legend_entry_t;

/* A legend row starting at pixel (x, y), wrapping to new rows past max_x. */
void svg_legend(FILE *f, double x, double y, double max_x, const svg_legend_entry_t *e, size_t n);

/* A message centred in the plot area ("no successful requests"). */
void svg_note(FILE *f, const svg_axes_t *a, const char *text);

#endif
