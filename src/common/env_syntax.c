#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/env_syntax.h"

static const struct {
    const char *name;
    int number;
} signal_names[] = {
    {"HUP", SIGHUP},   {"INT", SIGINT},       {"QUIT", SIGQUIT}, {"TRAP", SIGTRAP},
    {"USR1", SIGUSR1}, {"USR2", SIGUSR2},     {"PIPE", SIGPIPE}, {"ALRM", SIGALRM},
    {"TERM", SIGTERM}, {"CHLD", SIGCHLD},     {"CONT", SIGCONT}, {"TSTP", SIGTSTP},
    {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},     {"URG", SIGURG},   {"XCPU", SIGXCPU},
    {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH},
    {"IO", SIGIO},     {"PWR", SIGPWR},       {"SYS", SIGSYS},
};

long tl_env_number(const char *s, long lo, long hi)
{
    if (!s || !*s)
        return -1;
    long v = 0;
    for (const char *p = s; *p; p++) {
        if (!isdigit((unsigned char)*p) || v > hi)
            return -1;
        v = v * 10 + (*p - '0');
    }
    return v >= lo && v <= hi ? v : -1;
}

long tl_env_interval_ms(const char *s)
{
    return tl_env_number(s, TL_INTERVAL_MS_MIN, TL_INTERVAL_MS_MAX);
}

static int ours_to_take(long n)
{
    return !(n == SIGKILL || n == SIGSTOP || n == SIGSEGV || n == SIGBUS || n == SIGFPE ||
             n == SIGILL || n == SIGABRT || (n > 31 && n < SIGRTMIN));
}

int tl_parse_signal(const char *s)
{
    if (!s || !*s)
        return -1;
    if (strcasecmp(s, "none") == 0)
        return 0;
    long n = tl_env_number(s, 1, SIGRTMAX);
    if (n > 0)
        return ours_to_take(n) ? (int)n : -1;
    if (strncasecmp(s, "SIG", 3) == 0)
        s += 3;
    for (size_t i = 0; i < sizeof signal_names / sizeof signal_names[0]; i++)
        if (strcasecmp(s, signal_names[i].name) == 0)
            return signal_names[i].number;
    if (strncasecmp(s, "RTMIN", 5) == 0 || strncasecmp(s, "RTMAX", 5) == 0) {
        int base = toupper((unsigned char)s[3]) == 'I' ? SIGRTMIN : SIGRTMAX;
        const char *rest = s + 5;
        if (!*rest)
            return base;
        long off = tl_env_number(rest + 1, 0, SIGRTMAX - SIGRTMIN);
        if (off < 0 || (base == SIGRTMIN && rest[0] != '+') || (base == SIGRTMAX && rest[0] != '-'))
            return -1;
        int v = base == SIGRTMIN ? base + (int)off : base - (int)off;
        return v >= SIGRTMIN && v <= SIGRTMAX ? v : -1;
    }
    return -1;
}

int tl_parse_formats(const char *s)
{
    if (!s)
        return 0;
    if (strcmp(s, "text") == 0)
        return TL_FORMAT_TEXT;
    if (strcmp(s, "json") == 0)
        return TL_FORMAT_JSON;
    if (strcmp(s, "text,json") == 0 || strcmp(s, "json,text") == 0)
        return TL_FORMAT_TEXT | TL_FORMAT_JSON;
    return 0;
}

const char *tl_formats_name(int formats)
{
    switch (formats) {
    case TL_FORMAT_TEXT:
        return "text";
    case TL_FORMAT_JSON:
        return "json";
    case TL_FORMAT_TEXT | TL_FORMAT_JSON:
        return "text,json";
    default:
        return NULL;
    }
}

int tl_check_stem(const char *s)
{
    for (const char *p = s; *p; p++) {
        if (*p != '%')
            continue;
        p++;
        if (*p != 'p' && *p != 'n' && *p != '%')
            return -1;
    }
    return 0;
}

int tl_expand_stem(const char *stem, int pid, int number, char *out, size_t size)
{
    size_t n = 0;
    for (const char *p = stem; *p; p++) {
        char buf[24];
        const char *add = buf;
        if (*p == '%' && p[1] == 'p') {
            snprintf(buf, sizeof buf, "%d", pid);
            p++;
        } else if (*p == '%' && p[1] == 'n') {
            snprintf(buf, sizeof buf, "%d", number);
            p++;
        } else if (*p == '%' && p[1] == '%') {
            add = "%";
            p++;
        } else {
            buf[0] = *p;
            buf[1] = 0;
        }
        size_t len = strlen(add);
        if (n + len + 1 > size)
            return -1;
        memcpy(out + n, add, len);
        n += len;
    }
    out[n] = 0;
    return 0;
}
