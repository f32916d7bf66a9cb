/* The HTML report: one self-contained page (inline CSS and SVG, no script,
 * nothing fetched when it is viewed) with the thread counts over time, the
 * judged window and trend, the verdict and why, the suspect groups with
 * their stacks, and an icicle graph of the final dump. */
#ifndef THREADLEAK_HTML_H
#define THREADLEAK_HTML_H

#include "cli/cli.h"

typedef struct tl_html_page {
    const char *title;        /* the program, for the heading */
    const tl_dump *dump;      /* the final dump, NULL: none */
    const tl_sample *samples; /* the counts over time */
    int n_samples;            /* 0: no series */
    const tl_growth *growth;  /* the judged window and trend, NULL: not judged */
    const char *verdict;      /* "leak", "clean", NULL: no verdict */
    const char *const *why;   /* one sentence each */
    int n_why;
    const tl_group *groups; /* the suspects, each with its growth */
    int n_groups;
    const char *groups_title; /* "Suspects" or "Groups" */
} tl_html_page;

/* 0, or -1 when out failed. */
int tl_html_write(FILE *out, const tl_html_page *p);

/* `run --html FILE` (html_pages.c): 0, or -1 after saying why. */
struct tl_run_opts;
struct tl_run_result;
struct tl_verdict;
int tl_html_run_write(const char *path, const struct tl_run_opts *o, const struct tl_run_result *r,
                      const struct tl_verdict *v);

#endif
