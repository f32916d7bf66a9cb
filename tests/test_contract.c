/* The contracts between the library and the command, each defined once in
 * src/common: both sides accept and refuse the same values (the cases that
 * once drifted apart are here), and the library never binds a call to a
 * symbol it exports itself. */
#include <criterion/criterion.h>
#include <elf.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/channel.h"
#include "common/env_syntax.h"
#include "common/series_line.h"
#include "lib/cli_exec.h"
#include "lib/tlt.h"
#include "preload/config.h"

TestSuite(contract, .timeout = 60);

static char warned[4096];

static void collect(const char *line)
{
    strncat(warned, line, sizeof warned - strlen(warned) - 2);
    strcat(warned, "\n");
}

static const char *one_var_name, *one_var_value;

static const char *one_var(const char *name)
{
    return strcmp(name, one_var_name) == 0 ? one_var_value : NULL;
}

/* The library's configuration with one variable set; its warnings in `warned`. */
static struct tl_config config_with(const char *name, const char *value)
{
    struct tl_config c;
    warned[0] = 0;
    one_var_name = name;
    one_var_value = value;
    tl_config_parse(&c, one_var, collect, 0);
    return c;
}

Test(contract, signal_syntax)
{
    cr_expect_eq(tl_parse_signal("USR1"), SIGUSR1);
    cr_expect_eq(tl_parse_signal("sigusr2"), SIGUSR2);
    cr_expect_eq(tl_parse_signal("10"), SIGUSR1);
    cr_expect_eq(tl_parse_signal("none"), 0);
    cr_expect_eq(tl_parse_signal("RTMIN+2"), SIGRTMIN + 2);
    cr_expect_eq(tl_parse_signal("RTMAX-1"), SIGRTMAX - 1);
    /* synchronous faults and the uncatchable ones are never ours: sanitizers
     * and runtimes catch SEGV, and a dump must never reach their handler */
    const char *refused[] = {"11", "SEGV", "7",    "8",        "4",       "6", "9", "19",
                             "32", "33",   "0x10", "RTMIN+99", "RTMAX+1", "",  "65"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        cr_expect_eq(tl_parse_signal(refused[i]), -1, "THREADLEAK_SIGNAL=%s accepted", refused[i]);
}

/* THREADLEAK_SIGNAL=11: the library refuses it (one warning, USR1 kept);
 * the command never sends the dump signal at all, so it cannot send 11. */
Test(contract, signal_11_refused_by_the_library)
{
    struct tl_config c = config_with("THREADLEAK_SIGNAL", "11");
    cr_expect_eq(c.signal, SIGUSR1);
    cr_expect(strstr(warned, "THREADLEAK_SIGNAL=11: ") && strstr(warned, "; using USR1\n"), "%s",
              warned);
}

/* One range for THREADLEAK_INTERVAL_MS in the library and for --interval
 * in 'threadleak run' (which passes it on as THREADLEAK_INTERVAL_MS). */
Test(contract, interval_range_same_on_both_sides)
{
    struct {
        const char *ms, *dur;
        int ok;
    } cases[] = {{"5", "5ms", 0},   {"9", "9ms", 0},       {"10", "10ms", 1},
                 {"1000", "1s", 1}, {"3600000", "60m", 1}, {"3600001", "3600001ms", 0},
                 {"0", "0ms", 0}};
    cli_result *r = cli_new();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        long lib = tl_env_interval_ms(cases[i].ms);
        cr_expect_eq(lib >= 0, cases[i].ok, "library: THREADLEAK_INTERVAL_MS=%s", cases[i].ms);
        struct tl_config c = config_with("THREADLEAK_INTERVAL_MS", cases[i].ms);
        cr_expect_eq(c.interval_ms, cases[i].ok ? atol(cases[i].ms) : TL_INTERVAL_MS_DEFAULT);
        cr_expect_eq(warned[0] == 0, cases[i].ok, "%s: %s", cases[i].ms, warned);
        const char *argv[] = {cli_threadleak(), "run", "--interval", cases[i].dur, "--",
                              "/bin/true",      NULL};
        cli_exec(r, NULL, 0, argv, NULL);
        cr_expect_eq(r->status == 2, !cases[i].ok, "threadleak run --interval %s: status %d %s",
                     cases[i].dur, r->status, r->err);
    }
    cli_free(r);
}

Test(contract, series_line_round_trip)
{
    struct tl_series_line x = {4242, 1200, 987654, 57, 5, 52, 3, 1204, 1085, 62}, y;
    char buf[TL_SERIES_LINE_MAX];
    int n = tl_series_line_format(buf, sizeof buf, &x);
    cr_assert(n > 0 && buf[n - 1] == '\n', "%s", buf);
    cr_assert_eq(tl_series_line_parse(buf, (size_t)n - 1, &y), 0, "%s", buf);
    cr_expect(memcmp(&x, &y, sizeof x) == 0, "round trip changed %s", buf);
    cr_expect_eq(tl_series_line_format(buf, 40, &x), -1, "a line that does not fit");
}

Test(contract, series_line_reader)
{
    struct tl_series_line y;
#define OK(s) cr_expect_eq(tl_series_line_parse(s, strlen(s), &y), 0, "refused: %s", s)
#define BAD(s) cr_expect_eq(tl_series_line_parse(s, strlen(s), &y), -1, "accepted: %s", s)
    OK("{\"pid\":1,\"t_ms\":0,\"live\":1}");
    cr_expect_eq(y.mono_ms, -1, "an older line has no mono_ms");
    OK(" { \"pid\" : 7 , \"t_ms\" : 5 , \"live\" : 2 , \"new\" : \"x\\\"y\" , \"b\":true,"
       "\"n\":null, \"f\": 1.5e3 } ");
    cr_expect(y.pid == 7 && y.t_ms == 5 && y.live == 2);
    OK("{\"pid\":4194304,\"t_ms\":9007199254740992,\"live\":0}");
    BAD("{\"pid\":1,\"t_ms\":0}");            /* live missing */
    BAD("{\"pid\":0,\"t_ms\":0,\"live\":1}"); /* pid out of range */
    BAD("{\"pid\":4194305,\"t_ms\":0,\"live\":1}");
    BAD("{\"pid\":1,\"t_ms\":0,\"live\":-1}");               /* negative */
    BAD("{\"pid\":1,\"t_ms\":0,\"live\":1.0}");              /* not whole */
    BAD("{\"pid\":1,\"t_ms\":9007199254740993,\"live\":1}"); /* past 2^53 */
    BAD("{\"pid\":1,\"t_ms\":0,\"live\":01}");
    BAD("{\"pid\":1,\"pid\":2,\"t_ms\":0,\"live\":1}"); /* twice */
    BAD("{\"pid\":1,\"t_ms\":0,\"live\":1} x");
    BAD("{\"pid\":1,\"t_ms\":0,\"live\":1,}");
    BAD("{\"pid\":1,\"t_ms\":0,\"live\":1,\"o\":{}}");
    BAD("[1]");
    BAD("");
#undef OK
#undef BAD
}

Test(contract, request_file_both_sides)
{
    struct tl_request r = {.formats = TL_FORMAT_TEXT | TL_FORMAT_JSON, .detail_threads = 1}, back;
    strcpy(r.stem, "/tmp/x/dump.%p");
    char buf[TL_REQUEST_MAX];
    int n = tl_request_format(buf, sizeof buf, &r);
    cr_assert(n > 0);
    cr_assert_eq(tl_request_parse(buf, (size_t)n, &back), 0, "%s", buf);
    cr_expect_str_eq(back.stem, r.stem);
    cr_expect_eq(back.formats, r.formats);
    cr_expect_eq(back.detail_threads, 1);
    cr_expect_eq(back.running, 0);
    r.running = 1; /* `threadleak dump --running` */
    n = tl_request_format(buf, sizeof buf, &r);
    cr_assert(n > 0 && tl_request_parse(buf, (size_t)n, &back) == 0, "%s", buf);
    cr_expect_eq(back.running, 1, "%s", buf);
    /* what the writer refuses, the reader refuses too */
    const char *stems[] = {"relative/dump", "/tmp/a%q", "/tmp/a\nformat=json", ""};
    for (size_t i = 0; i < sizeof stems / sizeof stems[0]; i++) {
        snprintf(r.stem, sizeof r.stem, "%s", stems[i]);
        cr_expect_eq(tl_request_format(buf, sizeof buf, &r), -1, "writer took %s", stems[i]);
        if (strchr(stems[i], '\n'))
            continue; /* in a body it is two lines: the writer's refusal is the check */
        char body[600];
        int k = snprintf(body, sizeof body, "stem=%s\nformat=text\n", stems[i]);
        cr_expect_eq(tl_request_parse(body, (size_t)k, &back), -1, "reader took %s", stems[i]);
    }
    const char *bodies[] = {"format=text\n", "stem=/a\nformat=xml\n", "stem=/a\ndetail=all\n",
                            "stem=/a\nstem=/b\n"};
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++)
        cr_expect_eq(tl_request_parse(bodies[i], strlen(bodies[i]), &back), -1, "took %s",
                     bodies[i]);
    cr_expect_eq(tl_request_parse("stem=/a\nnew=1\n", 14, &back), 0, "an unknown line is skipped");
    cr_expect_eq(back.formats, TL_FORMAT_TEXT);
}

Test(contract, start_time_from_proc_stat)
{
    /* the command name may hold spaces and parentheses */
    const char *stat = "77 (a) b (c) S 1 77 77 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 "
                       "123456 9999 100";
    cr_expect_eq(tl_proc_start_ticks(stat), 123456);
    cr_expect_eq(tl_proc_start_ticks("garbage"), 0);
}

/* The rule: libthreadleak.so has no dynamic relocation against a symbol it
 * defines and exports. Such a call goes through the PLT and may bind to the
 * library's own wrapper (syscall@plt into our syscall()) or to another
 * object's definition. */
Test(contract, library_never_binds_to_its_own_exports)
{
    const char *lib = tlt_lib_path();
    int fd = open(lib, O_RDONLY);
    cr_assert(fd >= 0, "%s", lib);
    struct stat st;
    cr_assert_eq(fstat(fd, &st), 0);
    const unsigned char *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    cr_assert(m != MAP_FAILED);
    const Elf64_Ehdr *eh = (const void *)m;
    cr_assert(memcmp(eh->e_ident, ELFMAG, SELFMAG) == 0 && eh->e_ident[EI_CLASS] == ELFCLASS64);
    const Elf64_Shdr *sh = (const void *)(m + eh->e_shoff);
    const Elf64_Sym *dynsym = NULL;
    size_t n_sym = 0;
    const char *dynstr = NULL;
    for (int i = 0; i < eh->e_shnum; i++)
        if (sh[i].sh_type == SHT_DYNSYM) {
            dynsym = (const void *)(m + sh[i].sh_offset);
            n_sym = sh[i].sh_size / sizeof *dynsym;
            dynstr = (const char *)(m + sh[sh[i].sh_link].sh_offset);
        }
    cr_assert(dynsym, "no .dynsym in %s", lib);
    char found[4096] = "";
    int relocs = 0;
    for (int i = 0; i < eh->e_shnum; i++) {
        if (sh[i].sh_type != SHT_RELA || sh[i].sh_link == 0 ||
            (const void *)(m + sh[sh[i].sh_link].sh_offset) != (const void *)dynsym)
            continue;
        const Elf64_Rela *r = (const void *)(m + sh[i].sh_offset);
        for (size_t k = 0; k < sh[i].sh_size / sizeof *r; k++) {
            size_t s = ELF64_R_SYM(r[k].r_info);
            relocs++;
            if (s == 0 || s >= n_sym)
                continue;
            const Elf64_Sym *sym = &dynsym[s];
            int bind = ELF64_ST_BIND(sym->st_info);
            if (sym->st_shndx != SHN_UNDEF && (bind == STB_GLOBAL || bind == STB_WEAK) &&
                ELF64_ST_VISIBILITY(sym->st_other) == STV_DEFAULT) {
                strncat(found, dynstr + sym->st_name, sizeof found - strlen(found) - 2);
                strcat(found, " ");
            }
        }
    }
    munmap((void *)m, (size_t)st.st_size);
    cr_expect_gt(relocs, 10, "read no relocations: the check itself is broken");
    cr_expect_str_eq(found, "",
                     "libthreadleak.so calls its own exported symbols through "
                     "relocations: %s",
                     found);
}
