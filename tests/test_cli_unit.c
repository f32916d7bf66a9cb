/* Unit tests of the command's pieces, linked with the sources of src/cli/: the growth
 * statistic on synthetic series (clean and leaking shapes, short and long
 * runs), durations, the series reader, the dump reader (and its refusals),
 * group matching and --ignore, folded stacks. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/run.h"
#include "lib/files.h"
#include "lib/tlt.h"

/* ---- synthetic series ---- */

typedef struct series {
    int n;
    long *t, *y;
} series;

/* n samples, one every dt_ms from dt_ms on, all of them 0. */
static series series_every(int n, long dt_ms)
{
    series s = {n, calloc((size_t)n, sizeof(long)), calloc((size_t)n, sizeof(long))};
    for (int i = 0; i < n; i++)
        s.t[i] = (i + 1) * dt_ms;
    return s;
}

static void series_free(series *s)
{
    free(s->t);
    free(s->y);
}

static unsigned rng_state;
static double rnd(void) /* uniform [0,1), reproducible */
{
    rng_state = rng_state * 1103515245u + 12345u;
    return ((rng_state >> 8) & 0xffffff) / (double)0x1000000;
}

static tl_growth judge(series *s)
{
    tl_growth_opts o;
    tl_growth_defaults(&o);
    tl_growth g;
    tl_judge_growth(s->t, s->y, s->n, &o, &g);
    return g;
}

#define EXPECT_CLEAN(s, what)                                                                      \
    do {                                                                                           \
        tl_growth g_ = judge(&(s));                                                                \
        cr_expect(!g_.detected, "%s: false alarm (p=%g, rise=%g, tail=%g, slope=%g/s)", what,      \
                  g_.p_value, g_.window_growth, g_.tail_rise, g_.per_s);                           \
    } while (0)

#define EXPECT_LEAK(s, what)                                                                       \
    do {                                                                                           \
        tl_growth g_ = judge(&(s));                                                                \
        cr_expect(g_.detected, "%s: missed (%s; p=%g, rise=%g, tail=%g, slope=%g/s)", what,        \
                  g_.why, g_.p_value, g_.window_growth, g_.tail_rise, g_.per_s);                   \
    } while (0)

Test(growth, building_blocks)
{
    double y[] = {1, 2, 3, 4, 5};
    cr_expect_eq(tl_mann_kendall_s(y, 5), 10);
    cr_expect_float_eq(tl_mann_kendall_var(y, 5), 5 * 4 * 15 / 18.0, 1e-9);
    double ties[] = {1, 1, 2};
    cr_expect_eq(tl_mann_kendall_s(ties, 3), 2);
    cr_expect_float_eq(tl_mann_kendall_var(ties, 3), (66 - 18) / 18.0, 1e-9);
    double t[] = {0, 1, 2, 3, 4}, out[] = {0, 1, 2, 3, 100};
    cr_expect_float_eq(tl_theil_sen(t, out, 5), 1.0, 1e-9, "an outlier moves Theil-Sen");
}

Test(growth, too_few_samples_are_not_judged)
{
    series s = series_every(4, 200);
    for (int i = 0; i < 4; i++)
        s.y[i] = 1 + 50 * i;
    tl_growth g = judge(&s);
    cr_expect(!g.judged && !g.detected);
    series_free(&s);
}

Test(growth, clean_fixed_idle_pool)
{
    series s = series_every(15, 200);
    for (int i = 0; i < s.n; i++)
        s.y[i] = 9;
    EXPECT_CLEAN(s, "idle pool");
    series_free(&s);
}

Test(growth, clean_warmup_ramp_then_flat)
{
    /* 3 s at 200 ms: a pool growing a thread every 40 ms for 1 s, then flat */
    series s = series_every(15, 200);
    for (int i = 0; i < s.n; i++)
        s.y[i] = 1 + (s.t[i] < 1000 ? s.t[i] / 40 : 24);
    EXPECT_CLEAN(s, "ramp then flat, short run");
    series_free(&s);
    /* a long run whose ramp takes most of the first half (levels off at 3/5) */
    s = series_every(600, 200);
    for (int i = 0; i < s.n; i++)
        s.y[i] = 10 + (i < 360 ? i / 3 : 120) + (long)(rnd() * 4);
    EXPECT_CLEAN(s, "ramp to 3/5 of the run then flat");
    series_free(&s);
}

Test(growth, clean_bursts_fall_back)
{
    /* baseline 4, bursts of 40 caught by some samples, one at the very end */
    series s = series_every(15, 200);
    for (int i = 0; i < s.n; i++)
        s.y[i] = 5 + (i % 3 == 2 ? 40 : 0);
    s.y[s.n - 1] = 45;
    EXPECT_CLEAN(s, "bursts");
    series_free(&s);
    /* a service whose count spiked under heavy traffic and fell back */
    s = series_every(300, 1000);
    for (int i = 0; i < s.n; i++)
        s.y[i] = 48 + (i > 120 && i < 200 ? 250 : 0) + (long)(rnd() * 6);
    EXPECT_CLEAN(s, "traffic spike");
    series_free(&s);
    /* spiked and levelled off at the higher level before the second half */
    s = series_every(300, 1000);
    for (int i = 0; i < s.n; i++)
        s.y[i] = 48 + (i < 100 ? 0 : i < 140 ? (i - 100) * 6 : 240) + (long)(rnd() * 6);
    EXPECT_CLEAN(s, "spike that levelled off");
    series_free(&s);
}

Test(growth, clean_flat_noisy_false_alarm_rate)
{
    /* 500 runs of a flat but noisy count (baseline 6 plus 0..15) */
    int alarms = 0;
    rng_state = 1;
    for (int run = 0; run < 500; run++) {
        series s = series_every(run % 2 ? 15 : 150, 200);
        for (int i = 0; i < s.n; i++)
            s.y[i] = 6 + (long)(rnd() * 16);
        alarms += judge(&s).detected;
        series_free(&s);
    }
    cr_expect_leq(alarms, 2, "%d false alarms in 500 noisy flat runs", alarms);
}

Test(growth, leak_fast_short_run)
{
    /* one thread every 20-50 ms for 3 s, sampled at 200 ms */
    rng_state = 3;
    for (int run = 0; run < 50; run++) {
        series s = series_every(15, 200);
        double acc = 2;
        for (int i = 0; i < s.n; i++) {
            acc += 200.0 / (20 + rnd() * 30);
            s.y[i] = (long)acc;
        }
        EXPECT_LEAK(s, "fast leak");
        series_free(&s);
    }
}

Test(growth, leak_slow_one_a_second_for_a_minute)
{
    series s = series_every(300, 200);
    for (int i = 0; i < s.n; i++)
        s.y[i] = 5 + s.t[i] / 1000;
    EXPECT_LEAK(s, "slow leak");
    series_free(&s);
    /* the same under traffic noise (0..20 short-lived threads) */
    rng_state = 5;
    s = series_every(300, 200);
    for (int i = 0; i < s.n; i++)
        s.y[i] = 5 + s.t[i] / 1000 + (long)(rnd() * 20);
    EXPECT_LEAK(s, "slow leak with noise");
    series_free(&s);
}

Test(growth, leak_climbing_hourly)
{
    /* "12:00 48, 13:00 311, 14:00 579": a sample a minute for two hours */
    series s = series_every(121, 60000);
    for (int i = 0; i < s.n; i++)
        s.y[i] = 48 + (long)(i * 531.0 / 120) + (long)(rnd() * 10);
    EXPECT_LEAK(s, "hourly climb");
    series_free(&s);
}

Test(growth, long_runs_are_reduced_and_still_right)
{
    /* an hour at 200 ms: 18000 samples */
    series s = series_every(18000, 200);
    rng_state = 11;
    for (int i = 0; i < s.n; i++)
        s.y[i] = 30 + (long)(rnd() * 10);
    EXPECT_CLEAN(s, "hour, flat noisy");
    for (int i = 0; i < s.n; i++)
        s.y[i] = 30 + s.t[i] / 60000 + (long)(rnd() * 10); /* one a minute */
    EXPECT_LEAK(s, "hour, one a minute");
    series_free(&s);
}

Test(growth, min_growth_and_confidence_are_honoured)
{
    series s = series_every(15, 200);
    for (int i = 0; i < s.n; i++)
        s.y[i] = 5 + i / 3; /* +4 over the whole run, +2 over the window */
    tl_growth_opts o;
    tl_growth_defaults(&o);
    tl_growth g;
    tl_judge_growth(s.t, s.y, s.n, &o, &g);
    cr_expect(!g.detected, "a rise below --min-growth is not a leak");
    o.min_growth = 1;
    tl_judge_growth(s.t, s.y, s.n, &o, &g);
    cr_expect(g.detected, "with --min-growth 1 it is (%s)", g.why);
    o.confidence = 0.999999;
    tl_judge_growth(s.t, s.y, s.n, &o, &g);
    cr_expect(!g.detected, "not at a confidence 8 samples cannot reach");
    series_free(&s);
}

Test(growth, exited_unjoined_growth_counts)
{
    /* live flat, exited-unjoined growing: the judged y is their sum */
    series s = series_every(15, 200);
    for (int i = 0; i < s.n; i++)
        s.y[i] = 3 /* live */ + 7 * i /* exited unjoined */;
    EXPECT_LEAK(s, "exited unjoined");
    series_free(&s);
}

/* ---- durations ---- */

Test(duration, units)
{
    long ms;
    cr_expect(tl_parse_duration("200ms", &ms) == 0 && ms == 200);
    cr_expect(tl_parse_duration("1.5s", &ms) == 0 && ms == 1500);
    cr_expect(tl_parse_duration("2m", &ms) == 0 && ms == 120000);
    cr_expect(tl_parse_duration("0s", &ms) == 0 && ms == 0);
    const char *bad[] = {"10", "5x", "-1s", "", "s", "1 s", "1.5.2s", "0.1ms", "1e400s", "1sm"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        cr_expect(tl_parse_duration(bad[i], &ms) == -1, "accepted \"%s\"", bad[i]);
}

/* ---- series ---- */

Test(series, lines_pids_incarnations_and_torn_tail)
{
    char path[] = "/tmp/tl-series-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    const char *text =
        "{\"pid\":10,\"t_ms\":200,\"live\":2,\"running\":1,\"blocked\":1,\"exited_unjoined\":0,"
        "\"created\":1,\"joined\":0,\"detached\":0}\n"
        "{\"pid\":11,\"t_ms\":200,\"live\":5}\n"
        "not json\n"
        "{\"pid\":10,\"t_ms\":400,\"live\":\"3\"}\n"
        "{\"pid\":10,\"t_ms\":400,\"live\":3,\"exited_unjoined\":2}\n"
        "{\"pid\":10,\"t_ms\":100,\"live\":1}\n" /* exec: t_ms went back */
        "{\"pid\":10,\"t_ms\":300,\"li";         /* torn */
    cr_assert(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    tl_series s = {0};
    cr_assert_eq(tl_series_poll(&s, path), 0);
    cr_expect_eq(s.bad_lines, 2);
    cr_assert_eq(s.n, 3, "pid 10, pid 11, pid 10 after exec");
    tl_proc_series *p = tl_series_find(&s, 10);
    cr_assert(p);
    cr_expect_eq(p->incarnation, 1);
    cr_expect_eq(p->n, 1);
    cr_expect_eq(s.procs[0].n, 2);
    cr_expect_eq(s.procs[0].s[1].exited_unjoined, 2);
    /* the torn line completes later */
    const char *rest = "ve\":4}\n";
    cr_assert(write(fd, rest, strlen(rest)) == (ssize_t)strlen(rest));
    cr_assert_eq(tl_series_poll(&s, path), 0);
    cr_expect_eq(p->n, 2);
    cr_expect_eq(p->s[1].live, 4);
    close(fd);
    unlink(path);
    tl_series_free(&s);
    tl_series none = {0};
    cr_expect_eq(tl_series_poll(&none, "/nonexistent/series.jsonl"), 0);
}

/* ---- the dump reader ---- */

static char *slurp(const char *rel)
{
    return tlt_must_read(tlt_source_path(rel));
}

static tl_dump_file *parse(const char *text, char *err)
{
    return tl_dump_parse(text, strlen(text), err, 512);
}

/* A dump of tests/data, which must read; *text is its text (free it). */
static tl_dump_file *parse_data(const char *rel, char **text)
{
    char err[512];
    *text = slurp(rel);
    tl_dump_file *f = parse(*text, err);
    cr_assert(f, "%s: %s", rel, err);
    return f;
}

Test(dump_read, reads_a_dump)
{
    char *text;
    tl_dump_file *f = parse_data("tests/data/cli_new.json", &text);
    tl_dump *d = tl_dump_of(f);
    cr_expect_eq(d->pid, 4242);
    cr_expect_str_eq(d->reason, "exit");
    cr_expect_eq(d->n_groups, 5);
    cr_expect_eq(d->groups[0].count, 117);
    cr_expect_eq(d->groups[0].wait, TL_WAIT_COND);
    cr_expect_eq(d->groups[0].object, 0x5581a2c0);
    cr_expect_str_eq(d->groups[0].stack.frames[0].function, "chan_send");
    cr_expect_eq(d->groups[0].stack.frames[0].line, 38);
    cr_expect_eq(d->groups[0].creator_tid, 4242);
    cr_expect(d->groups[4].has_main);
    cr_expect(!d->groups[0].has_main);
    cr_expect_eq(d->n_threads, -1);
    cr_expect_eq(d->groups[0].growth, -1);
    tl_dump_file_free(f);
    free(text);
}

/* A dump with running stacks groups running threads by where they run;
 * judging and diffs fold those back into one group per (stack, creation
 * stack), or a spinning leak would look like groups coming and going. */
Test(dump_read, running_groups_fold_for_judging)
{
    char *text;
    tl_dump_file *f = parse_data("tests/data/running_split.json", &text);
    tl_dump *d = tl_dump_of(f);
    cr_assert_eq(d->n_groups, 4);
    cr_expect(d->running_asked);
    cr_expect_eq(d->groups[1].capture, TL_CAPTURE_OK);
    cr_expect_str_eq(d->groups[1].current_stack.frames[0].function, "spin_here");
    cr_expect_eq(d->groups[2].capture, TL_CAPTURE_IN_SYSCALL);
    cr_expect_str_eq(d->groups[2].capture_syscall, "semtimedop");
    tl_dump_fold_running(f);
    cr_assert_eq(d->n_groups, 3);
    cr_expect_eq(d->groups[1].count, 3, "the two spin_here groups are one");
    cr_expect_eq(d->groups[1].n_tids, 3);
    cr_expect_eq(d->groups[1].tids[2], 4301);
    cr_expect_eq(d->groups[1].current_stack.depth, 0, "no one place they all run");
    cr_expect_eq(d->groups[2].count, 1, "another creation stack stays apart");
    cr_expect_eq(d->groups[0].owner.group, 1, "the owner's group follows the fold");
    tl_dump_file_free(f);
    free(text);
}

/* Replace the first occurrence of `from` in the valid dump by `to`. */
static char *mutate(const char *from, const char *to)
{
    char *text = slurp("tests/data/cli_old.json");
    char *at = strstr(text, from);
    cr_assert(at, "test bug: \"%s\" not in the dump", from);
    size_t n = strlen(text) - strlen(from) + strlen(to) + 1;
    char *out = malloc(n);
    snprintf(out, n, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
    free(text);
    return out;
}

static void expect_refused(const char *from, const char *to, const char *msg_part)
{
    char err[512] = "";
    char *text = mutate(from, to);
    tl_dump_file *f = parse(text, err);
    cr_expect(!f, "accepted a dump with %s -> %s", from, to);
    tl_dump_file_free(f);
    cr_expect(strstr(err, msg_part), "error \"%s\" does not say \"%s\"", err, msg_part);
    cr_expect(!strchr(err, '\n'), "error is not one line: %s", err);
    free(text);
}

Test(dump_read, refuses_bad_input_with_one_line)
{
    expect_refused("\"format\": \"threadleak-dump\"", "\"format\": \"x\"", "not a threadleak");
    expect_refused("\"version\": 1", "\"version\": 2", "version");
    expect_refused("\"pid\": 4242", "\"pid\": \"4242\"", "pid: expected an integer");
    expect_refused("\"pid\": 4242", "\"pid\": 99999999999", "pid: expected an integer");
    expect_refused("\"pid\": 4242,", "", "pid: missing");
    expect_refused("\"count\": 10", "\"count\": -1", "groups[0].count");
    expect_refused("\"count\": 10", "\"count\": 1e3", "groups[0].count");
    expect_refused("\"state\": \"blocked\"", "\"state\": \"sleeping\"", "groups[0].state");
    expect_refused("\"wait\": \"cond\"", "\"wait\": \"spin\"", "groups[0].wait");
    expect_refused("\"ip\": \"0x555500000209\"", "\"ip\": 5", "groups[0].stack[0].ip");
    expect_refused("\"ip\": \"0x555500000209\"", "\"ip\": \"0x12345678901234567\"",
                   "groups[0].stack[0].ip");
    expect_refused("\"function\": \"chan_send\"", "\"function\": 7", "groups[0].stack[0].function");
    expect_refused("\"line\": 38", "\"line\": 1000000000000", "groups[0].stack[0].line");
    expect_refused("\"tids\": [", "\"tids\": [-5,", "groups[0].tids[0]");
    expect_refused("\"counts\": {", "\"counts\": 3, \"x\": {", "counts: expected an object");
    expect_refused("\"groups\": [", "\"groups\": 5, \"zz\": [", "groups: expected an array");
    expect_refused("\"live\": 17", "\"live\": 17, \"live\": 18", "duplicate");
    char err[512];
    cr_expect(!parse("[1,2]", err));
    cr_expect(strstr(err, "top level"), "%s", err);
    cr_expect(!parse("{\"format\":\"threadleak-dump\"", err));
    cr_expect(strstr(err, "not valid JSON"), "%s", err);
    cr_expect(!parse("", err));
}

Test(dump_read, refuses_huge_stacks)
{
    size_t cap = 5000 * 64 + 4096, n = 0;
    char *text = malloc(cap);
    n += (size_t)snprintf(text + n, cap - n,
                          "{\"format\":\"threadleak-dump\",\"version\":1,\"pid\":1,\"program\":"
                          "null,\"dump\":1,\"time_unix_ns\":0,\"counts\":{\"live\":1,"
                          "\"running\":1,\"blocked\":0,\"exited_unjoined\":0,\"created\":0,"
                          "\"joined\":0},\"groups\":[{\"count\":1,\"state\":\"running\","
                          "\"wait\":null,\"object\":null,\"blocked_ns\":null,\"stack\":[");
    for (int i = 0; i < 5000; i++)
        n += (size_t)snprintf(text + n, cap - n, "%s{\"ip\":\"0x1\",\"function\":null}",
                              i ? "," : "");
    n += (size_t)snprintf(text + n, cap - n,
                          "],\"spawn_stack\":[],\"creator_tids\":[],\"tids\":[1]}]}");
    char err[512];
    cr_expect(!tl_dump_parse(text, n, err, sizeof err));
    cr_expect(strstr(err, "more than the 4096 allowed"), "%s", err);
    free(text);
}

Test(dump_read, survives_random_damage)
{
    char *good = slurp("tests/data/cli_old.json");
    size_t len = strlen(good);
    char *text = malloc(len + 1);
    rng_state = 99;
    int accepted = 0;
    for (int i = 0; i < 3000; i++) {
        memcpy(text, good, len + 1);
        int flips = 1 + (int)(rnd() * 4);
        for (int k = 0; k < flips; k++)
            text[(size_t)(rnd() * len)] = "0-9\"{}[],:ax\\ \x01\xff"[(int)(rnd() * 16)];
        size_t cut = rnd() < 0.2 ? (size_t)(rnd() * len) : len;
        char err[512];
        tl_dump_file *f = tl_dump_parse(text, cut, err, sizeof err);
        if (f) {
            accepted++;
            FILE *null = fopen("/dev/null", "w");
            tl_write_text(null, tl_dump_of(f));
            tl_write_json(null, tl_dump_of(f));
            tl_write_folded(null, tl_dump_of(f), 1);
            fclose(null);
            tl_dump_file_free(f);
        } else {
            cr_expect(err[0] && !strchr(err, '\n'));
        }
    }
    cr_log_info("%d of 3000 damaged dumps still valid", accepted);
    free(text);
    free(good);
}

/* ---- matching, --ignore, folded ---- */

Test(match, groups_by_stacks_and_ignore_globs)
{
    char err[512];
    char *a = slurp("tests/data/cli_old.json"), *b = slurp("tests/data/cli_new.json");
    tl_dump_file *fa = parse(a, err), *fb = parse(b, err);
    cr_assert(fa && fb, "%s", err);
    tl_dump *o = tl_dump_of(fa), *n = tl_dump_of(fb);
    cr_expect_eq(tl_group_find(o, &n->groups[0]), 0, "chan_send group");
    cr_expect_eq(tl_group_find(o, &n->groups[1]), -1, "compute_hash is new");
    cr_expect_eq(tl_group_find(o, &n->groups[3]), 2, "unnamed frame matched by address");
    char *g1[] = {"chan_*"}, *g2[] = {"handle_request"}, *g3[] = {"fetch"}, *g4[] = {"start_pool"};
    cr_expect(tl_group_ignored(&n->groups[0], g1, 1), "blocked stack");
    cr_expect(tl_group_ignored(&n->groups[0], g2, 1), "creation stack");
    cr_expect(!tl_group_ignored(&n->groups[0], g3, 1), "globs match whole names");
    cr_expect(!tl_group_ignored(&n->groups[0], g4, 1));
    cr_expect(!tl_group_ignored(&n->groups[0], NULL, 0));
    tl_dump_file_free(fa);
    tl_dump_file_free(fb);
    free(a);
    free(b);
}

Test(report, folded_lines)
{
    char err[512];
    char *a = slurp("tests/data/cli_new.json");
    tl_dump_file *f = parse(a, err);
    cr_assert(f, "%s", err);
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    tl_write_folded(out, tl_dump_of(f), 1);
    fclose(out);
    cr_expect(strstr(buf, "__libc_start_main;main;handle_request;[new thread];__clone3;"
                          "start_thread;fetch_metadata;chan_send;[cond] 117\n"),
              "%s", buf);
    cr_expect(strstr(buf, "__libc_start_main;main;serve_forever;[sleep] 1\n"), "%s", buf);
    free(buf);
    out = open_memstream(&buf, &len);
    tl_write_folded(out, tl_dump_of(f), 0);
    fclose(out);
    cr_expect(strstr(buf, "\n__clone3;start_thread;compute_hash;[running] 5\n"), "%s", buf);
    free(buf);
    tl_dump_file_free(f);
    free(a);
}

/* Growth over the life of the program: a leak the runtime joins at its
 * shutdown is judged on the life before the drop; a sawtooth (a batch pool
 * that ramps to 30 and joins, every 1.5 s), bursts and a ramp that levels
 * off are not growth, whatever sample they end on. */
static int life(series *s, int *trimmed)
{
    tl_growth_opts o;
    tl_growth_defaults(&o);
    tl_growth g;
    int peak;
    tl_judge_life(s->t, s->y, s->n, &o, &g, trimmed, &peak);
    return g.detected;
}

Test(growth, judged_on_the_life_before_a_shutdown_drop)
{
    int trimmed;
    series s = series_every(18, 200); /* 4 -> 60 in 3.4 s, then interpreter exit joins them */
    for (int i = 0; i < 17; i++)
        s.y[i] = 4 + i * 56 / 16;
    s.y[17] = 1;
    EXPECT_CLEAN(s, "as sampled, the drop hides it");
    cr_expect(life(&s, &trimmed) && trimmed, "the life before the drop grew");
    series_free(&s);
    series q = series_every(21, 200); /* the same, then samples of the one thread left */
    for (int i = 0; i < 17; i++)
        q.y[i] = 4 + i * 56 / 16;
    for (int i = 17; i < 21; i++)
        q.y[i] = 1;
    cr_expect(life(&q, &trimmed) && trimmed, "a quiet tail after the drop hides nothing");
    series_free(&q);

    for (int phase = 0; phase < 8; phase++) { /* sawtooth, ending anywhere in a cycle */
        series w = series_every(20 + phase, 200);
        for (int i = 0; i < w.n; i++)
            w.y[i] = 1 + (i % 8) * 4;
        w.y[w.n - 1] = 1;
        cr_expect(!life(&w, &trimmed), "batch pool, phase %d: false alarm", phase);
        series_free(&w);
    }
    series b = series_every(30, 200); /* bursts back to a baseline of 4, then exit */
    for (int i = 0; i < 30; i++)
        b.y[i] = i % 3 == 1 ? 44 : 4;
    b.y[29] = 1;
    cr_expect(!life(&b, &trimmed), "bursts: false alarm");
    series_free(&b);
    series u = series_every(10, 200); /* a short run: start-up ramp 1 -> 11, a little flat, exit */
    long startup[] = {1, 1, 3, 6, 9, 11, 11, 11, 11, 2};
    memcpy(u.y, startup, sizeof startup);
    cr_expect(!life(&u, &trimmed), "start-up ramp then shutdown: false alarm");
    series_free(&u);
    series r = series_every(30, 200); /* warm-up ramp to 24 that levels off, then exit */
    for (int i = 0; i < 30; i++)
        r.y[i] = i < 12 ? 2 + 2 * i : 24;
    r.y[29] = 1;
    cr_expect(!life(&r, &trimmed), "levelled-off ramp: false alarm");
    series_free(&r);
}

/* ---- the wait-for graph (src/common/waitfor.c) ---- */

#include "common/waitfor.h"

Test(waitfor, cycles_and_the_chains_leading_into_them)
{
    /* 0 -> 1 -> 2 -> 0 a cycle; 3 -> 0 leads into it; 4 -> 4 waits for
     * itself; 5 -> 6 -> 7 -> 6 a cycle behind a chain; 8 waits for nobody;
     * 9 -> 8 waits for a thread that is not stuck. */
    int next[] = {1, 2, 0, 0, 4, 6, 7, 6, -1, 8};
    int cycle[10];
    int n = tl_waitfor_cycles(next, 10, cycle);
    cr_assert_eq(n, 3);
    cr_expect(cycle[0] >= 0 && cycle[0] == cycle[1] && cycle[1] == cycle[2]);
    cr_expect_eq(cycle[3], -1);
    cr_expect(cycle[4] >= 0 && cycle[4] != cycle[0]);
    cr_expect_eq(cycle[5], -1);
    cr_expect(cycle[6] >= 0 && cycle[6] == cycle[7] && cycle[6] != cycle[4]);
    cr_expect_eq(cycle[8], -1);
    cr_expect_eq(cycle[9], -1);
}

Test(waitfor, the_same_deadlock_in_two_dumps)
{
    tl_cycle_thread a[] = {{.tid = 10, .object = 0x100}, {.tid = 11, .object = 0x200}};
    tl_cycle_thread b[] = {{.tid = 11, .object = 0x200}, {.tid = 10, .object = 0x100}};
    tl_cycle_thread c[] = {{.tid = 11, .object = 0x300}, {.tid = 10, .object = 0x100}};
    tl_deadlock da = {2, a}, db = {2, b}, dc = {2, c};
    cr_expect(tl_deadlock_same(&da, &db), "order does not matter");
    cr_expect(!tl_deadlock_same(&da, &dc), "another object is another deadlock");
    tl_dump d = {.n_deadlocks = 1, .deadlocks = &dc};
    cr_expect_eq(tl_deadlock_find(&d, &da), -1);
    d.deadlocks = &db;
    cr_expect_eq(tl_deadlock_find(&d, &da), 0);
}
