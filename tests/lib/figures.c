/* See figures.h. */
#include "lib/figures.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/tlt.h"

void tlt_figure(const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "figure: %s\n", line);
    char path[4200];
    snprintf(path, sizeof path, "%s/robust-figures.txt", tlt_build_dir());
    FILE *f = fopen(path, "a");
    if (f) {
        time_t t = time(NULL);
        char ts[32];
        strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", localtime(&t));
        fprintf(f, "%s %s\n", ts, line);
        fclose(f);
    }
}

int tlt_stress(void)
{
    const char *s = getenv("THREADLEAK_STRESS");
    return s && *s && strcmp(s, "0") != 0;
}
