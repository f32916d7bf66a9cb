/* The request channel between the command (`threadleak dump`, `run`) and
 * the library in a live process; both sides of it are defined here.
 *
 * The library's sampler owns, in the private directory of the process's
 * effective uid, /tmp/threadleak-<euid>/ (mode 0700, owned by that uid,
 * checked like the JVM's hsperfdata directory):
 *
 *   <pid>.ctl  written only by the library: one page, mapped shared. Its
 *              presence says "this process's sampler serves requests"; it
 *              names the process (pid, start time), the period, and holds
 *              the futex word the sampler sleeps on.
 *   <pid>.req  a request, written by the command (aside, then linked into
 *              place, owned by the process's euid, mode 0600), read and
 *              removed by the sampler.
 *
 * The command wakes the sampler with a FUTEX_WAKE on the page's word: no
 * signal is ever sent to the program, so nothing of the program's own
 * (a SIGUSR1 handler, a sigwait loop, an interrupted system call) can be
 * touched by a request. Anyone who can write the request can also signal
 * the process (its own user, or root); a process that dropped privileges
 * announces itself again in the directory of its new uid. <pid> is the
 * process's pid as it sees it (NSpid), /tmp is the process's own (the
 * command looks through /proc/PID/root). */
#ifndef THREADLEAK_CHANNEL_H
#define THREADLEAK_CHANNEL_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

enum {
    TL_CHANNEL_MAGIC = 0x48434c54, /* "TLCH" */
    TL_CHANNEL_VERSION = 1,
    TL_CHANNEL_SIZE = 4096,
    TL_REQUEST_MAX = PATH_MAX + 128,
};

/* flags */
enum {
    TL_CHANNEL_SIGNAL_TAKEN = 1, /* the program installed its own handler for THREADLEAK_SIGNAL */
};

struct tl_channel_page {
    uint32_t magic, version;
    int32_t wake;         /* futex word: 1 = look for a request now */
    int32_t pid;          /* getpid() of the process */
    uint64_t start_ticks; /* its start time, field 22 of /proc/PID/stat */
    int32_t interval_ms;  /* its sampler period */
    int32_t signal;       /* THREADLEAK_SIGNAL, 0 for none */
    uint32_t flags;
    uint32_t served; /* requests served so far */
};

/* "/tmp/threadleak-<uid>"; -1 when it does not fit. */
int tl_channel_dir(char *out, size_t size, unsigned uid);
/* "<pid>.ctl" or "<pid>.req" (kind "ctl" / "req"). */
int tl_channel_file(char *out, size_t size, int pid, const char *kind);
/* The start time (field 22) from the text of /proc/PID/stat; 0 if unreadable. */
uint64_t tl_proc_start_ticks(const char *stat_text);

/* A request: where to write the dump and in which forms. */
struct tl_request {
    char stem[PATH_MAX]; /* absolute, % escapes checked */
    int formats;         /* TL_FORMAT_* */
    int detail_threads;
    int running; /* capture running threads' stacks (`threadleak dump --running`) */
};

/* The request file's body; its length, or -1 when the request is not one
 * tl_request_parse would accept (relative or over-long stem, a newline or a
 * bad % escape in it, bad formats). */
int tl_request_format(char *buf, size_t size, const struct tl_request *r);
/* Lines stem=, format=, detail=, running= (unknown lines skipped: a library
 * older than the command ignores what it cannot do); 0, or -1. */
int tl_request_parse(const char *buf, size_t len, struct tl_request *r);

#endif
