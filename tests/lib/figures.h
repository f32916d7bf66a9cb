/* Figures the robustness tests measure (counts, times), kept for
 * docs/guarantees.md, and the switch to their long variants. */
#ifndef TLT_FIGURES_H
#define TLT_FIGURES_H

/* Appends a line to <build>/robust-figures.txt (the last run of each test
 * is what the docs quote), and says it on stderr. */
void tlt_figure(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Long variants run under `make stress` (THREADLEAK_STRESS=1). */
int tlt_stress(void);

#endif
