/* The growth statistic. Given the samples y = live + exited_unjoined of one
 * process, the count "keeps growing" when, over the later part of the run
 * (the window, by default its second half):
 *
 *  1. trend: the Mann-Kendall test finds an upward trend, one-sided, at the
 *     confidence asked (default 0.99; tie-corrected variance, normal
 *     approximation with continuity correction);
 *  2. size: the Theil-Sen slope (median of pairwise slopes) times the
 *     window's span is at least the minimum growth (default 5 threads);
 *  3. signal over noise: that rise is at least 3 robust standard deviations
 *     (1.4826 * MAD) of the residuals around the Theil-Sen line;
 *  4. still rising at the end: the median of the window's last quarter is
 *     above the median of its third quarter.
 *
 * Both tests are rank-based, so a burst (however large) that falls back to
 * its baseline moves them little; a warm-up ramp that levels off before
 * the window is flat inside it, and one that levels off inside it fails 4.
 * Windows longer than 1000 samples are reduced to 1000 bucket medians. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

#define MAX_POINTS 1000
#define NOISE_K 3.0

void tl_growth_defaults(tl_growth_opts *o)
{
    o->confidence = 0.99;
    o->min_growth = 5;
    o->window = 0.5;
    o->min_samples = 6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double tl_median(double *v, int n)
{
    if (n <= 0)
        return 0;
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double median_of(const double *y, int from, int to)
{
    if (to <= from)
        return 0;
    double *tmp = tl_xcalloc((size_t)(to - from), sizeof *tmp);
    memcpy(tmp, y + from, (size_t)(to - from) * sizeof *tmp);
    double m = tl_median(tmp, to - from);
    free(tmp);
    return m;
}

double tl_mann_kendall_s(const double *y, int n)
{
    double s = 0;
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            s += (y[j] > y[i]) - (y[j] < y[i]);
    return s;
}

double tl_mann_kendall_var(const double *y, int n)
{
    double *v = tl_xcalloc((size_t)n, sizeof *v);
    memcpy(v, y, (size_t)n * sizeof *v);
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    double ties = 0;
    for (int i = 0; i < n;) {
        int j = i;
        while (j < n && v[j] == v[i])
            j++;
        double t = j - i;
        ties += t * (t - 1) * (2 * t + 5);
        i = j;
    }
    free(v);
    return ((double)n * (n - 1) * (2.0 * n + 5) - ties) / 18.0;
}

double tl_theil_sen(const double *t, const double *y, int n)
{
    if (n < 2)
        return 0;
    double *slopes = tl_xcalloc((size_t)n * (size_t)(n - 1) / 2, sizeof *slopes);
    int m = 0;
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            if (t[j] != t[i])
                slopes[m++] = (y[j] - y[i]) / (t[j] - t[i]);
    double s = tl_median(slopes, m);
    free(slopes);
    return s;
}

/* The window as at most MAX_POINTS (t, y) points: bucket means of t and
 * medians of y. */
static int reduce(const long *t_ms, const long *y, int from, int n, double *t, double *v)
{
    if (n <= MAX_POINTS) {
        for (int i = 0; i < n; i++) {
            t[i] = (double)t_ms[from + i];
            v[i] = (double)y[from + i];
        }
        return n;
    }
    double *tmp = tl_xcalloc((size_t)n / MAX_POINTS + 2, sizeof *tmp);
    for (int b = 0; b < MAX_POINTS; b++) {
        int lo = (int)((long)b * n / MAX_POINTS), hi = (int)((long)(b + 1) * n / MAX_POINTS);
        double ts = 0;
        for (int i = lo; i < hi; i++) {
            ts += (double)t_ms[from + i];
            tmp[i - lo] = (double)y[from + i];
        }
        t[b] = ts / (hi - lo);
        v[b] = tl_median(tmp, hi - lo);
    }
    free(tmp);
    return MAX_POINTS;
}

void tl_judge_growth(const long *t_ms, const long *y, int n, const tl_growth_opts *o, tl_growth *r)
{
    memset(r, 0, sizeof *r);
    r->n = n;
    r->p_value = 1;
    if (n > 0) {
        r->first = y[0];
        r->last = y[n - 1];
    }
    int min_samples = o->min_samples < 4 ? 4 : o->min_samples;
    if (n < min_samples) {
        r->why = "too few samples to judge growth";
        return;
    }
    int from = (int)floor(n * (1.0 - o->window));
    if (from < 0)
        from = 0;
    if (n - from < min_samples)
        from = n - min_samples;
    int nw = n - from;
    r->judged = 1;
    r->n_window = nw;
    r->window_start_ms = t_ms[from];

    double *t = tl_xcalloc((size_t)(nw < MAX_POINTS ? nw : MAX_POINTS), sizeof *t);
    double *v = tl_xcalloc((size_t)(nw < MAX_POINTS ? nw : MAX_POINTS), sizeof *v);
    int m = reduce(t_ms, y, from, nw, t, v);

    r->mk_s = tl_mann_kendall_s(v, m);
    double var = tl_mann_kendall_var(v, m);
    double z = 0;
    if (var > 0 && r->mk_s > 0)
        z = (r->mk_s - 1) / sqrt(var);
    else if (var > 0 && r->mk_s < 0)
        z = (r->mk_s + 1) / sqrt(var);
    r->mk_z = z;
    r->p_value = 0.5 * erfc(z / sqrt(2.0));

    double slope_ms = tl_theil_sen(t, v, m);
    r->per_s = slope_ms * 1000.0;
    r->window_growth = slope_ms * (t[m - 1] - t[0]);

    double *res = tl_xcalloc((size_t)m, sizeof *res);
    for (int i = 0; i < m; i++)
        res[i] = v[i] - slope_ms * (t[i] - t[0]);
    double mid = tl_median(res, m);
    for (int i = 0; i < m; i++)
        res[i] = fabs(res[i] - mid);
    double sigma = 1.4826 * tl_median(res, m);
    free(res);

    r->tail_rise = median_of(v, 3 * m / 4, m) - median_of(v, m / 2, 3 * m / 4);
    free(t);
    free(v);

    if (!(r->p_value < 1.0 - o->confidence))
        r->why = "no significant upward trend";
    else if (r->window_growth < o->min_growth)
        r->why = "rise smaller than the minimum growth";
    else if (r->window_growth < NOISE_K * sigma)
        r->why = "rise within the noise";
    else if (!(r->tail_rise > 0))
        r->why = "levelled off before the end";
    else {
        r->detected = 1;
        r->why = "keeps growing";
    }
}

/* A runtime that joins its threads at exit (CPython's interpreter shutdown,
 * Node's process.exit, a server's SIGTERM handler) ends the series with a
 * drop: the leak grew for the whole life of the program and the last
 * samples fall back. When the series ends with a quick, final decline, the
 * life before it is judged too — if, until that peak, the count never fell
 * back by more than a quarter of its range (or the minimum growth): a batch
 * pool that ramps up and joins again, or bursts, fall back all along and
 * stay judged as sampled. */
void tl_judge_life(const long *t, const long *y, int n, const tl_growth_opts *o, tl_growth *g,
                   int *trimmed, int *peak_idx)
{
    *trimmed = 0;
    *peak_idx = -1;
    tl_judge_growth(t, y, n, o, g);
    if (g->detected || n < 2)
        return;
    /* the final decline: from k, the last sample before it (a plateau at the
     * top stays in the life), to j, where the count settled (the samples of
     * a process left with one thread may follow) */
    int j = n - 1;
    while (j > 0 && y[j - 1] == y[j])
        j--;
    int k = j;
    while (k > 0 && y[k - 1] > y[k])
        k--;
    if (k == j || y[k] <= y[j])
        return;
    long span = t[n - 1] - t[0];
    if (t[j] - t[k] > (span / 4 > 1000 ? span / 4 : 1000))
        return; /* a slow decline: the load tapered off, not a shutdown */
    long lo = y[0], hi = y[0], peak = y[0], drawdown = 0;
    for (int i = 0; i <= k; i++) {
        lo = y[i] < lo ? y[i] : lo;
        hi = y[i] > hi ? y[i] : hi;
        peak = y[i] > peak ? y[i] : peak;
        drawdown = peak - y[i] > drawdown ? peak - y[i] : drawdown;
    }
    if ((double)drawdown > fmax(o->min_growth, 0.25 * (double)(hi - lo)))
        return;
    tl_growth h;
    tl_judge_growth(t, y, k + 1, o, &h);
    if (!h.detected)
        return;
    /* and it rose to the very end: the window's last quarter is above all of
     * its first half (a warm-up that levelled off, then a shutdown, is not) */
    int from = 0;
    while (from < k && t[from] < h.window_start_ms)
        from++;
    int nw = k + 1 - from;
    long first_half_max = y[from];
    for (int i = from; i < from + nw / 2; i++)
        first_half_max = y[i] > first_half_max ? y[i] : first_half_max;
    double *last = tl_xcalloc((size_t)nw, sizeof *last);
    int m = 0;
    for (int i = from + (3 * nw) / 4; i <= k; i++)
        last[m++] = (double)y[i];
    double last_median = tl_median(last, m);
    free(last);
    if (!(last_median > (double)first_half_max))
        return;
    h.n = n;
    h.why = "kept growing until the shutdown joined them";
    *g = h;
    *trimmed = 1;
    *peak_idx = k;
}
