/* The dump as data: what the preload library builds from its registry and
 * what the command reads back from JSON. Both render it with the same
 * writers (dump_text.c, dump_json.c), so a dump looks the same whoever
 * prints it. Plain structs, owned by whoever built them. */
#ifndef THREADLEAK_MODEL_H
#define THREADLEAK_MODEL_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

enum tl_state { TL_RUNNING, TL_BLOCKED, TL_EXITED, TL_STATE_COUNT };

enum tl_wait {
    TL_WAIT_NONE,
    TL_WAIT_JOIN,
    TL_WAIT_MUTEX,
    TL_WAIT_RWLOCK,
    TL_WAIT_COND,
    TL_WAIT_SEM,
    TL_WAIT_BARRIER,
    TL_WAIT_FUTEX,
    TL_WAIT_SLEEP,
    TL_WAIT_IO,
    TL_WAIT_POLL,
    TL_WAIT_CHILD,
    TL_WAIT_COUNT
};

const char *tl_state_name(int state); /* "running", "blocked", "exited" */
const char *tl_wait_name(int wait);   /* "cond", ...; NULL for TL_WAIT_NONE */
int tl_state_parse(const char *s);    /* -1 when unknown */
int tl_wait_parse(const char *s);     /* TL_WAIT_NONE for NULL, -1 when unknown */

typedef struct tl_frame {
    uint64_t ip;
    const char *function; /* NULL: not known */
    uint64_t offset;      /* ip - function start */
    const char *module;   /* path of the object file, NULL: not known */
    const char *file;     /* source file, NULL: no debug information */
    int line;             /* 0: not known */
    int inlined;          /* a call the compiler inlined at ip: no frame of its own */
} tl_frame;

typedef struct tl_stack {
    int depth;
    tl_frame *frames;
} tl_stack;

typedef char tl_name[16]; /* a thread's name, as the kernel keeps it */
/* What a dump does not know (tl_group.unknown, tl_thread.unknown,
 * tl_counts.unknown): a dump taken with ptrace, without the library, has no
 * creation stacks, no wait durations and no lifecycle counts. Writers put
 * null where a value is unknown, never a made-up one. */
enum {
    TL_UNKNOWN_SPAWN = 1,      /* spawn_stack, creator */
    TL_UNKNOWN_BLOCKED_NS = 2, /* how long the thread has waited */
    TL_UNKNOWN_LIFECYCLE = 4,  /* counts: exited_unjoined, created, joined, detached */
};

/* Who a blocked thread waits for: the holder of its mutex or rwlock, the
 * holder of the mutex its condvar wait passed, or the thread it joins.
 * Read from the lock word at dump time: a hint, never a certainty. */
enum {
    TL_OWNER_GONE = 1,       /* no longer a thread of the process */
    TL_OWNER_DIED = 2,       /* robust mutex: a previous owner died, not made consistent */
    TL_OWNER_UNUSABLE = 4,   /* robust mutex: not recoverable */
    TL_OWNER_READERS = 8,    /* rwlock held by readers, who are not recorded */
    TL_OWNER_UNKNOWN = 16,   /* the lock could not be read (freed, unmapped) */
    TL_OWNER_FOREIGN = 32,   /* process-shared lock held outside this process */
    TL_OWNER_UNTRACKED = 64, /* a thread of the process threadleak does not know */
    /* Not shown: relocking this lock returns EDEADLK at once instead of
     * blocking (error-checking and recursive mutexes, rwlocks), so a
     * thread "waiting" on one it holds is about to return, not stuck. */
    TL_OWNER_NO_SELF_WAIT = 128
};

typedef struct tl_owner {
    int known;      /* 0: nothing to say (not a lock or join wait, or not held) */
    uint64_t mutex; /* cond waits: the mutex passed, 0 otherwise */
    pid_t tid;      /* 0 with TL_OWNER_READERS or TL_OWNER_UNKNOWN */
    char name[16];
    int state; /* TL_RUNNING, TL_BLOCKED, TL_EXITED (also with TL_OWNER_GONE) */
    int wait;
    const char *wait_call;
    uint64_t object;
    int flags;        /* TL_OWNER_* */
    int readers;      /* TL_OWNER_READERS: how many */
    int group;        /* index of the owner's group in the dump, -1 */
    tl_frame at;      /* where it is blocked, or its start routine (ip 0: unknown) */
    tl_frame created; /* exited owners: where they were created (ip 0: unknown) */
} tl_owner;

/* One thread of a deadlock cycle; owner_tid is the next one's tid. */
typedef struct tl_cycle_thread {
    pid_t tid;
    char name[16];
    int wait;
    const char *wait_call;
    uint64_t object;
    pid_t owner_tid;
    tl_stack stack;
} tl_cycle_thread;

typedef struct tl_deadlock {
    int n;
    tl_cycle_thread *threads;
} tl_deadlock;

/* What became of a running thread's stack capture (THREADLEAK_RUNNING_STACKS,
 * `threadleak dump --running`). */
enum tl_capture {
    TL_CAPTURE_NONE,           /* not asked for, or the thread is not running */
    TL_CAPTURE_OK,             /* current_stack is where it runs */
    TL_CAPTURE_IN_SYSCALL,     /* in a system call threadleak does not wrap: not signalled */
    TL_CAPTURE_SIGNAL_BLOCKED, /* it blocks the signal: not signalled */
    TL_CAPTURE_NO_ANSWER,      /* signalled, did not answer in time */
    TL_CAPTURE_UNAVAILABLE,    /* captures are not possible in this process */
    TL_CAPTURE_SKIPPED,        /* over the number of threads captured per dump */
    TL_CAPTURE_COUNT
};
const char *tl_capture_name(int capture); /* "ok", "in_syscall", ...; NULL for none */
int tl_capture_parse(const char *s);      /* TL_CAPTURE_NONE when unknown */

typedef struct tl_thread {
    pid_t tid;
    tl_name name;
    int state;
    int wait;
    const char *wait_call; /* the primitive, "pthread_cond_wait" */
    uint64_t object;
    const char *target; /* io/poll: what the descriptor is, "pipe:[1234]"; NULL: unknown */
    uint64_t blocked_ns;
    pid_t creator_tid;
    tl_name creator_name;
    tl_stack stack;
    tl_stack spawn_stack;
    unsigned unknown; /* TL_UNKNOWN_* */
    tl_owner owner;
    int capture;                 /* TL_CAPTURE_* */
    const char *capture_syscall; /* TL_CAPTURE_IN_SYSCALL: its name */
    tl_stack current_stack;      /* running threads captured: where they run */
} tl_thread;

typedef struct tl_group {
    int count;
    int state;
    int wait;
    const char *wait_call; /* NULL when the group's calls differ */
    uint64_t object;       /* 0 when absent or when the group's objects differ */
    int objects;           /* how many distinct objects the group waits on */
    const char *target;    /* io/poll with one object: what the descriptor is; NULL */
    uint64_t blocked_min_ns, blocked_max_ns;
    tl_stack stack;
    tl_stack spawn_stack;
    pid_t creator_tid; /* first creator, for the text header */
    const char *creator_name;
    int n_creators;
    pid_t *creator_tids;
    int n_tids;
    pid_t *tids;
    tl_name *names;   /* parallel to tids; NULL when not known */
    const char *name; /* shared by its threads, or a pattern "pool-3-thread-*"; NULL */
    long growth;      /* suspects only: how much the group grew; -1 otherwise */
    int has_main;     /* the process's main thread is one of tids */
    tl_owner owner;   /* when all its threads wait on one object */
    /* When they wait on several: their distinct owners, the first few. */
    int n_owners, more_owners;
    tl_owner *owners;
    unsigned unknown; /* TL_UNKNOWN_* */
    /* Running groups of a dump that captured running stacks: the capture's
     * outcome and where its threads run now (grouped by it). */
    int capture;
    const char *capture_syscall;
    tl_stack current_stack;
} tl_group;

typedef struct tl_counts {
    long live, running, blocked, exited_unjoined;
    long created, joined, detached;
    long by_wait[TL_WAIT_COUNT];
    unsigned unknown; /* TL_UNKNOWN_LIFECYCLE */
} tl_counts;

typedef struct tl_dump {
    int pid;
    const char *program;
    int number;
    const char *reason; /* "signal", "exit", "request", "api" */
    uint64_t time_unix_ns;
    tl_counts counts;
    int n_groups;
    tl_group *groups; /* largest first */
    int n_threads;    /* -1: per-thread detail not recorded */
    tl_thread *threads;
    const char *source;  /* "preload" (also when NULL) or "ptrace" */
    long paused_threads; /* ptrace: threads stopped to take the dump */
    uint64_t pause_ns;   /* ptrace: from the first stop to the last detach */
    long pause_late;     /* ptrace: threads that did not stop within the limit (seen from /proc) */
    long pause_free;     /* ptrace: threads read from /proc without stopping them */
    int n_deadlocks;
    tl_deadlock *deadlocks;
    const char *stacks_unknown; /* why blocked-at stacks are missing; NULL: they are not */
    /* Running-thread captures: asked for; why none were possible (NULL:
     * they were); the threads that did not answer and why (TL_CAPTURE_*);
     * how many were over the limit; system calls a capture restarted. */
    int running_asked;
    const char *running_unavailable;
    int n_unanswered;
    pid_t *unanswered_tids;
    int *unanswered_why;
    long running_skipped;
} tl_dump;

/* Where a wait's object is a file descriptor (io, poll but select), a
 * pid (child), or an address. */
int tl_wait_object_is_fd(int wait, const char *call);
/* The group name of these thread names: the name when all are equal, the
 * pattern with the last run of digits as '*' when that is what they share
 * ("pool-3-thread-*"), else empty. out has room for 20 bytes. */
void tl_names_pattern(const tl_name *names, int n, char out[20]);

/* Writers. Both return 0, or -1 with errno set when the stream failed. */
int tl_write_text(FILE *out, const tl_dump *d);
int tl_write_group_text(FILE *out, const tl_group *g);
/* Stacks in text (dump_text_stack.c), in columns fitted to one stack, or
 * to several that line up (a group's stack and its creation stack):
 * tl_columns_fit each from TL_COLUMNS_START, then tl_write_frames_in. */
typedef struct {
    size_t fn, where;
} tl_columns;
#define TL_COLUMNS_START ((tl_columns){20, 16}) /* the narrowest */
void tl_columns_fit(tl_columns *c, const tl_stack *s);
void tl_write_frames_in(FILE *out, const tl_stack *s, const tl_columns *c);
void tl_write_frames_text(FILE *out, const tl_stack *s); /* in columns of its own */
const char *tl_base_name(const char *path);              /* after the last '/'; NULL for NULL */
int tl_write_json(FILE *out, const tl_dump *d);
int tl_write_group_json(FILE *out, const tl_group *g);
/* Below every part of the JSON dump (dump_json_stack.c). */
int tl_write_frame_json(FILE *out, const tl_frame *f);
int tl_write_stack_json(FILE *out, const tl_stack *s);
void tl_write_json_string(FILE *out, const char *s);
/* Running-stack captures (dump_running.c): the dump's line(s) about them,
 * a running group's header when it was captured (1) or nothing (0), the
 * line under a group that could not be, and their JSON members. */
void tl_write_running_text(FILE *out, const tl_dump *d);
int tl_write_running_header(FILE *out, const tl_group *g);
void tl_write_capture_note(FILE *out, const tl_group *g);
void tl_write_capture_json(FILE *out, int capture, const char *syscall, const tl_stack *current);
void tl_write_running_json(FILE *out, const tl_dump *d);
/* Where a group's threads are: where they run when that was captured,
 * else the stack (blocked-at, or a running thread's start routine). */
const tl_stack *tl_group_where(const tl_group *g);

/* Lock owners and deadlock cycles (dump_owner_text.c, dump_owner_json.c). */
void tl_write_owner_text(FILE *out, const char *indent, int wait, const tl_owner *o);
void tl_write_deadlocks_text(FILE *out, const tl_dump *d);
void tl_write_owners_text(FILE *out, const tl_group *g); /* the group's owner lines */
void tl_write_owner_json(FILE *out, const tl_owner *o);
const char *tl_owner_flag_name(int bit); /* a TL_OWNER_* bit's JSON name; NULL: not shown */
void tl_write_deadlocks_json(FILE *out, const tl_dump *d);

#endif
