/* The syntax of the THREADLEAK_* values that both the library and the
 * command read or write (THREADLEAK_SIGNAL, THREADLEAK_INTERVAL_MS, formats,
 * dump stems): one parser each, so the two sides can never disagree. */
#ifndef THREADLEAK_ENV_SYNTAX_H
#define THREADLEAK_ENV_SYNTAX_H

#include <stddef.h>

enum { TL_FORMAT_TEXT = 1, TL_FORMAT_JSON = 2 };

/* THREADLEAK_INTERVAL_MS and `run --interval`: the sampler period. */
enum { TL_INTERVAL_MS_MIN = 10, TL_INTERVAL_MS_MAX = 3600000, TL_INTERVAL_MS_DEFAULT = 1000 };

/* A whole decimal number in [lo, hi] (digits only); -1 when it is not one. */
long tl_env_number(const char *s, long lo, long hi);
/* THREADLEAK_INTERVAL_MS: the period, or -1 when out of range or not a number. */
long tl_env_interval_ms(const char *s);
/* THREADLEAK_SIGNAL: a name with or without SIG, a number, RTMIN+n / RTMAX-n,
 * or none (0). -1 for anything else, and for signals that are not ours to
 * take: uncatchable, synchronous faults (SEGV, BUS, FPE, ILL, ABRT: sanitizers
 * and runtimes catch those) and the C library's reserved real-time ones. */
int tl_parse_signal(const char *s);
/* "text", "json", "text,json" or "json,text": TL_FORMAT_* bits; 0 when bad. */
int tl_parse_formats(const char *s);
/* The name of a TL_FORMAT_* set, as tl_parse_formats reads it; NULL if empty. */
const char *tl_formats_name(int formats);
/* A dump path stem: 0, or -1 when a % is followed by anything but p, n, %. */
int tl_check_stem(const char *s);
/* The path of dump `number` of process pid: stem with %p, %n and %%
 * expanded into out; -1 when it does not fit in size. */
int tl_expand_stem(const char *stem, int pid, int number, char *out, size_t size);

#endif
