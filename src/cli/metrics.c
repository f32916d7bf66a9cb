/* Prometheus metrics from the counters files, in the text exposition format
 * 0.0.4. Labels: pid and program (the executable's base name) per process,
 * state and wait from fixed lists: cardinality grows with processes only. */
#include <stddef.h>
#include <string.h>

#include "cli/counters.h"

/* A label value: backslash, double quote and newline escaped. */
static void label_value(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\' || *s == '"')
            fprintf(out, "\\%c", *s);
        else if (*s == '\n')
            fputs("\\n", out);
        else
            fputc(*s, out);
    }
}

static void proc_labels(FILE *out, const struct tl_cfile *c)
{
    const char *base = strrchr(c->program, '/');
    fprintf(out, "pid=\"%d\",program=\"", (int)c->pid);
    label_value(out, base ? base + 1 : c->program);
    fputc('"', out);
}

static void family(FILE *out, const char *name, const char *type, const char *help)
{
    fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A family with one sample per process: the int64_t at offset in its
 * counters, left out where it is negative (not known there). */
static void per_proc(FILE *out, const struct tl_cfile *c, int n, const char *name, const char *type,
                     const char *help, size_t offset)
{
    family(out, name, type, help);
    for (int i = 0; i < n; i++) {
        int64_t v = *(const int64_t *)((const char *)&c[i] + offset);
        if (v < 0)
            continue; /* not known for this process */
        fprintf(out, "%s{", name);
        proc_labels(out, &c[i]);
        fprintf(out, "} %lld\n", (long long)v);
    }
}

static void by_state(FILE *out, const struct tl_cfile *c, int n)
{
    family(out, "threadleak_threads", "gauge",
           "Threads of a preloaded process by state: running, blocked, or exited but not yet "
           "joined (its stack still reserved).");
    static const struct {
        const char *state;
        size_t off;
    } states[] = {{"running", offsetof(struct tl_cfile, running)},
                  {"blocked", offsetof(struct tl_cfile, blocked)},
                  {"exited_unjoined", offsetof(struct tl_cfile, exited_unjoined)}};
    for (int i = 0; i < n; i++)
        for (size_t k = 0; k < sizeof states / sizeof *states; k++) {
            fputs("threadleak_threads{", out);
            proc_labels(out, &c[i]);
            fprintf(out, ",state=\"%s\"} %lld\n", states[k].state,
                    (long long)*(const int64_t *)((const char *)&c[i] + states[k].off));
        }
}

static void by_wait(FILE *out, const struct tl_cfile *c, int n)
{
    family(out, "threadleak_threads_blocked", "gauge",
           "Blocked threads of a preloaded process by what they wait on.");
    for (int i = 0; i < n; i++)
        for (int w = 1; w < TL_WAIT_COUNT && w < TL_CFILE_WAITS; w++) {
            fputs("threadleak_threads_blocked{", out);
            proc_labels(out, &c[i]);
            fprintf(out, ",wait=\"%s\"} %lld\n", tl_wait_name(w), (long long)c[i].by_wait[w]);
        }
}

int tl_write_metrics(FILE *out, const struct tl_cfile *c, int n, double scrape_s)
{
    by_state(out, c, n);
    by_wait(out, c, n);
    per_proc(out, c, n, "threadleak_threads_created_total", "counter",
             "Threads the process created since it started.", offsetof(struct tl_cfile, created));
    per_proc(out, c, n, "threadleak_threads_joined_total", "counter",
             "Threads joined since it started.", offsetof(struct tl_cfile, joined));
    per_proc(out, c, n, "threadleak_threads_detached_total", "counter",
             "Threads detached since it started.", offsetof(struct tl_cfile, detached));
    per_proc(out, c, n, "threadleak_threads_peak", "gauge",
             "Most live threads the process's sampler has seen at once.",
             offsetof(struct tl_cfile, peak));
    int any_deadlock = 0;
    for (int i = 0; i < n; i++)
        any_deadlock |= c[i].deadlocked >= 0;
    if (any_deadlock)
        per_proc(out, c, n, "threadleak_threads_deadlocked", "gauge",
                 "Threads in a lock cycle, in processes where that is known.",
                 offsetof(struct tl_cfile, deadlocked));
    family(out, "threadleak_sample_period_seconds", "gauge",
           "How often the process's sampler updates these values.");
    for (int i = 0; i < n; i++) {
        fputs("threadleak_sample_period_seconds{", out);
        proc_labels(out, &c[i]);
        fprintf(out, "} %g\n", c[i].interval_ms / 1000.0);
    }
    family(out, "threadleak_processes", "gauge",
           "Preloaded processes of this user with a fresh counters file.");
    fprintf(out, "threadleak_processes %d\n", n);
    family(out, "threadleak_scrape_duration_seconds", "gauge",
           "Time this scrape took to read the counters files.");
    fprintf(out, "threadleak_scrape_duration_seconds %.6f\n", scrape_s);
    return ferror(out) ? -1 : 0;
}
