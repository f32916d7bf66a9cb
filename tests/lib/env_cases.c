/* See env_cases.h. The bad values are those of real mistakes (a name where
 * a number goes, a unit, a sign, the wrong case, a trailing comma) and of
 * hostile input (empty, 5000 bytes, not UTF-8). A value is shown as it came,
 * bytes that are not printable as \xNN, cut after 60 characters. */
#include "lib/env_cases.h"

#define HUGE 5000

static char huge_digits[HUGE + 1], huge_path[HUGE + 1];

__attribute__((constructor)) static void fill_huge(void)
{
    for (int i = 0; i < HUGE; i++) {
        huge_digits[i] = '9';
        huge_path[i] = 'a';
    }
}

const struct tlt_env_case tlt_env_cases[] = {
    {"THREADLEAK_SIGNAL", "",
     "THREADLEAK_SIGNAL=: not a catchable signal name or number, or none; using USR1"},
    {"THREADLEAK_SIGNAL", huge_digits,
     "THREADLEAK_SIGNAL="
     "999999999999999999999999999999999999999999999999999999999999..."
     ": not a catchable signal name or number, or none; using USR1"},
    {"THREADLEAK_SIGNAL", "-1",
     "THREADLEAK_SIGNAL=-1: not a catchable signal name or number, or none; using USR1"},
    {"THREADLEAK_SIGNAL", "not-a-number",
     "THREADLEAK_SIGNAL=not-a-number: not a catchable signal name or number, or none; using USR1"},
    {"THREADLEAK_SIGNAL", "\xff\xfe\xc3(",
     "THREADLEAK_SIGNAL=\\xff\\xfe\\xc3(: not a catchable signal name or number, or none; using "
     "USR1"},
    {"THREADLEAK_SIGNAL", "KILL",
     "THREADLEAK_SIGNAL=KILL: not a catchable signal name or number, or none; using USR1"},
    {"THREADLEAK_SIGNAL", "0x10",
     "THREADLEAK_SIGNAL=0x10: not a catchable signal name or number, or none; using USR1"},
    {"THREADLEAK_SIGNAL", "SIGRTMIN+99",
     "THREADLEAK_SIGNAL=SIGRTMIN+99: not a catchable signal name or number, or none; using USR1"},
    {"THREADLEAK_SIGNAL", "11",
     "THREADLEAK_SIGNAL=11: not a catchable signal name or number, or none; using USR1"},
    {"THREADLEAK_SIGNAL", "SEGV",
     "THREADLEAK_SIGNAL=SEGV: not a catchable signal name or number, or none; using USR1"},
    {"THREADLEAK_SIGNAL", "32",
     "THREADLEAK_SIGNAL=32: not a catchable signal name or number, or none; using USR1"},
    {"THREADLEAK_SIGNAL", "33",
     "THREADLEAK_SIGNAL=33: not a catchable signal name or number, or none; using USR1"},
    {"THREADLEAK_SIGNAL", "USR2", NULL},
    {"THREADLEAK_SIGNAL", "sigusr2", NULL},
    {"THREADLEAK_SIGNAL", "12", NULL},
    {"THREADLEAK_SIGNAL", "RTMIN", NULL},
    {"THREADLEAK_SIGNAL", "RTMAX-1", NULL},
    {"THREADLEAK_SIGNAL", "none", NULL},
    {"THREADLEAK_OUTPUT", "", "THREADLEAK_OUTPUT=: empty; using threadleak.%p.%n"},
    {"THREADLEAK_OUTPUT", huge_path,
     "THREADLEAK_OUTPUT="
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa..."
     ": path too long; using threadleak.%p.%n"},
    {"THREADLEAK_OUTPUT", "-1", NULL},
    {"THREADLEAK_OUTPUT", "not-a-number", NULL},
    {"THREADLEAK_OUTPUT", "\xff\xfe\xc3(", NULL},
    {"THREADLEAK_OUTPUT", "dump.%p.%n", NULL},
    {"THREADLEAK_OUTPUT", "%%p-%n", NULL},
    {"THREADLEAK_OUTPUT", "dump.%x",
     "THREADLEAK_OUTPUT=dump.%x: only %p, %n and %% may follow %; using threadleak.%p.%n"},
    {"THREADLEAK_OUTPUT", "dump%",
     "THREADLEAK_OUTPUT=dump%: only %p, %n and %% may follow %; using threadleak.%p.%n"},
    {"THREADLEAK_SERIES", "", "THREADLEAK_SERIES=: empty; using none"},
    {"THREADLEAK_SERIES", huge_path,
     "THREADLEAK_SERIES="
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa..."
     ": path too long; using none"},
    {"THREADLEAK_SERIES", "-1", NULL},
    {"THREADLEAK_SERIES", "not-a-number", NULL},
    {"THREADLEAK_SERIES", "\xff\xfe\xc3(", NULL},
    {"THREADLEAK_FORMAT", "", "THREADLEAK_FORMAT=: not text, json or text,json; using text"},
    {"THREADLEAK_FORMAT", huge_digits,
     "THREADLEAK_FORMAT="
     "999999999999999999999999999999999999999999999999999999999999..."
     ": not text, json or text,json; using text"},
    {"THREADLEAK_FORMAT", "-1", "THREADLEAK_FORMAT=-1: not text, json or text,json; using text"},
    {"THREADLEAK_FORMAT", "not-a-number",
     "THREADLEAK_FORMAT=not-a-number: not text, json or text,json; using text"},
    {"THREADLEAK_FORMAT", "\xff\xfe\xc3(",
     "THREADLEAK_FORMAT=\\xff\\xfe\\xc3(: not text, json or text,json; using text"},
    {"THREADLEAK_FORMAT", "xml", "THREADLEAK_FORMAT=xml: not text, json or text,json; using text"},
    {"THREADLEAK_FORMAT", "text,",
     "THREADLEAK_FORMAT=text,: not text, json or text,json; using text"},
    {"THREADLEAK_FORMAT", "TEXT",
     "THREADLEAK_FORMAT=TEXT: not text, json or text,json; using text"},
    {"THREADLEAK_FORMAT", "json", NULL},
    {"THREADLEAK_FORMAT", "text,json", NULL},
    {"THREADLEAK_FORMAT", "json,text", NULL},
    {"THREADLEAK_DETAIL", "", "THREADLEAK_DETAIL=: not groups or threads; using groups"},
    {"THREADLEAK_DETAIL", huge_digits,
     "THREADLEAK_DETAIL="
     "999999999999999999999999999999999999999999999999999999999999..."
     ": not groups or threads; using groups"},
    {"THREADLEAK_DETAIL", "-1", "THREADLEAK_DETAIL=-1: not groups or threads; using groups"},
    {"THREADLEAK_DETAIL", "not-a-number",
     "THREADLEAK_DETAIL=not-a-number: not groups or threads; using groups"},
    {"THREADLEAK_DETAIL", "\xff\xfe\xc3(",
     "THREADLEAK_DETAIL=\\xff\\xfe\\xc3(: not groups or threads; using groups"},
    {"THREADLEAK_DETAIL", "thread",
     "THREADLEAK_DETAIL=thread: not groups or threads; using groups"},
    {"THREADLEAK_DETAIL", "all", "THREADLEAK_DETAIL=all: not groups or threads; using groups"},
    {"THREADLEAK_DETAIL", "threads", NULL},
    {"THREADLEAK_DETAIL", "groups", NULL},
    {"THREADLEAK_INTERVAL_MS", "",
     "THREADLEAK_INTERVAL_MS=: not a whole number from 10 to 3600000; using 1000"},
    {"THREADLEAK_INTERVAL_MS", huge_digits,
     "THREADLEAK_INTERVAL_MS="
     "999999999999999999999999999999999999999999999999999999999999..."
     ": not a whole number from 10 to 3600000; using 1000"},
    {"THREADLEAK_INTERVAL_MS", "-1",
     "THREADLEAK_INTERVAL_MS=-1: not a whole number from 10 to 3600000; using 1000"},
    {"THREADLEAK_INTERVAL_MS", "not-a-number",
     "THREADLEAK_INTERVAL_MS=not-a-number: not a whole number from 10 to 3600000; using 1000"},
    {"THREADLEAK_INTERVAL_MS", "\xff\xfe\xc3(",
     "THREADLEAK_INTERVAL_MS=\\xff\\xfe\\xc3(: not a whole number from 10 to 3600000; using 1000"},
    {"THREADLEAK_INTERVAL_MS", "5",
     "THREADLEAK_INTERVAL_MS=5: not a whole number from 10 to 3600000; using 1000"},
    {"THREADLEAK_INTERVAL_MS", "9",
     "THREADLEAK_INTERVAL_MS=9: not a whole number from 10 to 3600000; using 1000"},
    {"THREADLEAK_INTERVAL_MS", "3600001",
     "THREADLEAK_INTERVAL_MS=3600001: not a whole number from 10 to 3600000; using 1000"},
    {"THREADLEAK_INTERVAL_MS", "1e3",
     "THREADLEAK_INTERVAL_MS=1e3: not a whole number from 10 to 3600000; using 1000"},
    {"THREADLEAK_INTERVAL_MS", "10", NULL},
    {"THREADLEAK_INTERVAL_MS", "3600000", NULL},
    {"THREADLEAK_EXIT_DUMP", "", "THREADLEAK_EXIT_DUMP=: not a whole number from 0 to 1; using 0"},
    {"THREADLEAK_EXIT_DUMP", huge_digits,
     "THREADLEAK_EXIT_DUMP="
     "999999999999999999999999999999999999999999999999999999999999..."
     ": not a whole number from 0 to 1; using 0"},
    {"THREADLEAK_EXIT_DUMP", "-1",
     "THREADLEAK_EXIT_DUMP=-1: not a whole number from 0 to 1; using 0"},
    {"THREADLEAK_EXIT_DUMP", "not-a-number",
     "THREADLEAK_EXIT_DUMP=not-a-number: not a whole number from 0 to 1; using 0"},
    {"THREADLEAK_EXIT_DUMP", "\xff\xfe\xc3(",
     "THREADLEAK_EXIT_DUMP=\\xff\\xfe\\xc3(: not a whole number from 0 to 1; using 0"},
    {"THREADLEAK_EXIT_DUMP", "2",
     "THREADLEAK_EXIT_DUMP=2: not a whole number from 0 to 1; using 0"},
    {"THREADLEAK_EXIT_DUMP", "yes",
     "THREADLEAK_EXIT_DUMP=yes: not a whole number from 0 to 1; using 0"},
    {"THREADLEAK_EXIT_DUMP", " 1",
     "THREADLEAK_EXIT_DUMP= 1: not a whole number from 0 to 1; using 0"},
    {"THREADLEAK_EXIT_DUMP", "0", NULL},
    {"THREADLEAK_EXIT_DUMP", "1", NULL},
    {"THREADLEAK_COUNTERS", "", "THREADLEAK_COUNTERS=: not a whole number from 0 to 1; using 1"},
    {"THREADLEAK_COUNTERS", huge_digits,
     "THREADLEAK_COUNTERS="
     "999999999999999999999999999999999999999999999999999999999999..."
     ": not a whole number from 0 to 1; using 1"},
    {"THREADLEAK_COUNTERS", "-1",
     "THREADLEAK_COUNTERS=-1: not a whole number from 0 to 1; using 1"},
    {"THREADLEAK_COUNTERS", "not-a-number",
     "THREADLEAK_COUNTERS=not-a-number: not a whole number from 0 to 1; using 1"},
    {"THREADLEAK_COUNTERS", "\xff\xfe\xc3(",
     "THREADLEAK_COUNTERS=\\xff\\xfe\\xc3(: not a whole number from 0 to 1; using 1"},
    {"THREADLEAK_COUNTERS", "2", "THREADLEAK_COUNTERS=2: not a whole number from 0 to 1; using 1"},
    {"THREADLEAK_COUNTERS", "no",
     "THREADLEAK_COUNTERS=no: not a whole number from 0 to 1; using 1"},
    {"THREADLEAK_COUNTERS", "0", NULL},
    {"THREADLEAK_COUNTERS", "1", NULL},
    {"THREADLEAK_FRAMES", "", "THREADLEAK_FRAMES=: not a whole number from 1 to 128; using 32"},
    {"THREADLEAK_FRAMES", huge_digits,
     "THREADLEAK_FRAMES="
     "999999999999999999999999999999999999999999999999999999999999..."
     ": not a whole number from 1 to 128; using 32"},
    {"THREADLEAK_FRAMES", "-1", "THREADLEAK_FRAMES=-1: not a whole number from 1 to 128; using 32"},
    {"THREADLEAK_FRAMES", "not-a-number",
     "THREADLEAK_FRAMES=not-a-number: not a whole number from 1 to 128; using 32"},
    {"THREADLEAK_FRAMES", "\xff\xfe\xc3(",
     "THREADLEAK_FRAMES=\\xff\\xfe\\xc3(: not a whole number from 1 to 128; using 32"},
    {"THREADLEAK_FRAMES", "0", "THREADLEAK_FRAMES=0: not a whole number from 1 to 128; using 32"},
    {"THREADLEAK_FRAMES", "129",
     "THREADLEAK_FRAMES=129: not a whole number from 1 to 128; using 32"},
    {"THREADLEAK_FRAMES", "+5", "THREADLEAK_FRAMES=+5: not a whole number from 1 to 128; using 32"},
    {"THREADLEAK_FRAMES", "1", NULL},
    {"THREADLEAK_FRAMES", "128", NULL},
    {"THREADLEAK_LOG", "", "THREADLEAK_LOG=: not quiet, warn or debug; using warn"},
    {"THREADLEAK_LOG", huge_digits,
     "THREADLEAK_LOG="
     "999999999999999999999999999999999999999999999999999999999999..."
     ": not quiet, warn or debug; using warn"},
    {"THREADLEAK_LOG", "-1", "THREADLEAK_LOG=-1: not quiet, warn or debug; using warn"},
    {"THREADLEAK_LOG", "not-a-number",
     "THREADLEAK_LOG=not-a-number: not quiet, warn or debug; using warn"},
    {"THREADLEAK_LOG", "\xff\xfe\xc3(",
     "THREADLEAK_LOG=\\xff\\xfe\\xc3(: not quiet, warn or debug; using warn"},
    {"THREADLEAK_LOG", "verbose", "THREADLEAK_LOG=verbose: not quiet, warn or debug; using warn"},
    {"THREADLEAK_LOG", "QUIET", "THREADLEAK_LOG=QUIET: not quiet, warn or debug; using warn"},
    {"THREADLEAK_LOG", "warn", NULL},
};

const size_t tlt_env_case_count = sizeof tlt_env_cases / sizeof tlt_env_cases[0];
