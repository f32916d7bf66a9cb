/* tlt: see tlt.h. */
#include "lib/tlt.h"

#include "lib/files.h"
#include "lib/run.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define READY_TIMEOUT_MS 10000
#define SETTLE_TIMEOUT_MS 10000
#define DUMP_TIMEOUT_MS 5000
#define MAX_PROCS 16
#define TEXT_SHOWN 12000  /* most characters of a dump put in a message */
#define STDERR_SHOWN 3000 /* most characters of stderr put in a message */

static tlt_proc *procs[MAX_PROCS];

/* ---- paths ---- */

static void dirname_in_place(char *path)
{
    char *slash = strrchr(path, '/');
    if (slash && slash != path)
        *slash = 0;
    else if (slash)
        slash[1] = 0;
}

const char *tlt_build_dir(void)
{
    static char dir[PATH_MAX];
    const char *env = getenv("TLT_BUILD_DIR");
    if (env && *env) {
        if (!realpath(env, dir))
            snprintf(dir, sizeof dir, "%s", env);
        return dir;
    }
    ssize_t n = readlink("/proc/self/exe", dir, sizeof dir - 1);
    if (n <= 0)
        return "build";
    dir[n] = 0;
    dirname_in_place(dir); /* build/tests */
    dirname_in_place(dir); /* build */
    return dir;
}

const char *tlt_lib_path(void)
{
    static char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/libthreadleak.so", tlt_build_dir());
    return path;
}

const char *tlt_prog_path(const char *name)
{
    static char path[PATH_MAX + 300];
    snprintf(path, sizeof path, "%s/tests/progs/%s", tlt_build_dir(), name);
    return path;
}

#ifndef TLT_SOURCE_ROOT
#define TLT_SOURCE_ROOT ""
#endif

const char *tlt_source_path(const char *rel)
{
    static char path[PATH_MAX + 300];
    char root[PATH_MAX];
    const char *env = getenv("TLT_SOURCE_DIR");
    if (env && *env) {
        snprintf(root, sizeof root, "%s", env);
    } else if (access(TLT_SOURCE_ROOT "/Makefile", F_OK) == 0) {
        /* where it was built from, wherever BUILD is */
        snprintf(root, sizeof root, "%s", TLT_SOURCE_ROOT);
    } else {
        snprintf(root, sizeof root, "%s", tlt_build_dir());
        dirname_in_place(root);
    }
    snprintf(path, sizeof path, "%s/%s", root, rel);
    return path;
}

const char *tlt_which(const char *name)
{
    static char path[PATH_MAX];
    const char *env = getenv("PATH");
    if (!env)
        return NULL;
    char *copy = strdup(env), *save = NULL;
    const char *found = NULL;
    for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        snprintf(path, sizeof path, "%s/%s", *d ? d : ".", name);
        if (access(path, X_OK) == 0) {
            found = path;
            break;
        }
    }
    free(copy);
    return found;
}

const char *tlt_need(const char *name, const char *why)
{
    const char *path = tlt_which(name);
    if (!path)
        cr_skip_test("%s is not installed (%s)", name, why);
    char *own = strdup(path);
    cr_assert(own);
    return own;
}

int tlt_free_port(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    cr_assert(fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
              getsockname(fd, (struct sockaddr *)&a, &len) == 0);
    close(fd);
    return ntohs(a.sin_port);
}

/* ---- small utilities ---- */

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static void append(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void append(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(*buf + *len, *cap - *len, fmt, ap);
        va_end(ap);
        if (n < 0)
            return;
        if ((size_t)n < *cap - *len) {
            *len += n;
            return;
        }
        *cap = (*cap + n) * 2;
        *buf = realloc(*buf, *cap);
    }
}

/* Reaps the program if it has ended; 1 when it has. */
static int reap(tlt_proc *p, int block)
{
    if (!p->pid)
        return 1;
    int status;
    pid_t r;
    do
        r = waitpid(p->pid, &status, block ? 0 : WNOHANG);
    while (r == -1 && errno == EINTR);
    if (r == p->pid) {
        p->status = status;
        p->pid = 0;
        return 1;
    }
    return 0;
}

/* The threads of a live program, one line each: state and wchan. */
static void describe_threads(tlt_proc *p, char **buf, size_t *len, size_t *cap)
{
    char path[128];
    snprintf(path, sizeof path, "/proc/%d/task", (int)p->pid);
    DIR *d = opendir(path);
    if (!d)
        return;
    append(buf, len, cap, "--- its threads (/proc: tid comm state wchan) ---\n");
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char file[600], comm[64] = "?", wchan[128] = "?", *stat = NULL, state = '?';
        snprintf(file, sizeof file, "%s/%s/comm", path, e->d_name);
        char *c = tlt_read_file(file, NULL);
        if (c) {
            snprintf(comm, sizeof comm, "%.*s", (int)strcspn(c, "\n"), c);
            free(c);
        }
        snprintf(file, sizeof file, "%s/%s/wchan", path, e->d_name);
        char *w = tlt_read_file(file, NULL);
        if (w) {
            snprintf(wchan, sizeof wchan, "%s", w);
            free(w);
        }
        snprintf(file, sizeof file, "%s/%s/stat", path, e->d_name);
        stat = tlt_read_file(file, NULL);
        if (stat) {
            char *rp = strrchr(stat, ')');
            if (rp && rp[1] && rp[2])
                state = rp[2];
            free(stat);
        }
        append(buf, len, cap, "%s %s %c %s\n", e->d_name, comm, state, wchan);
    }
    closedir(d);
}

/* What a failure message shows about p: the last dump and stderr. */
static const char *context(tlt_proc *p)
{
    size_t len = 0, cap = 4096;
    char *buf = malloc(cap);
    buf[0] = 0;
    if (!p) {
        free(buf);
        return "";
    }
    append(&buf, &len, &cap, "\n=== program %s, pid %d", p->name, (int)p->pid);
    if (!p->pid) {
        const char *st = tlt_status(p->status);
        append(&buf, &len, &cap, " (%s)", st);
    }
    append(&buf, &len, &cap, ", files in %s\n", p->dir);
    if (p->text) {
        size_t n = strlen(p->text);
        append(&buf, &len, &cap, "--- text dump %d ---\n%.*s%s", p->dumps, TEXT_SHOWN, p->text,
               n > TEXT_SHOWN ? "\n[...]\n" : "");
    } else if (p->json) {
        char *js = json_dumps(p->json, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
        if (js) {
            append(&buf, &len, &cap, "--- JSON dump %d (no text dump) ---\n%.*s\n", p->dumps,
                   TEXT_SHOWN, js);
            free(js);
        }
    } else {
        append(&buf, &len, &cap, "--- stdout so far ---\n%.*s\n", (int)p->out_len, p->out);
    }
    char path[512];
    snprintf(path, sizeof path, "%s/stderr", p->dir);
    char *err = tlt_read_file(path, NULL);
    if (err && *err) {
        size_t n = strlen(err);
        const char *shown = n > STDERR_SHOWN ? err + n - STDERR_SHOWN : err;
        append(&buf, &len, &cap, "--- stderr%s ---\n%s\n", n > STDERR_SHOWN ? " (end)" : "", shown);
    }
    free(err);
    free(p->context);
    p->context = buf;
    return buf;
}

void tlt_fail(tlt_proc *p, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cr_assert_fail("%s%s", msg, context(p));
}

void tlt_expect_at(const char *file, int line, tlt_proc *p, int cond, const char *fmt, ...)
{
    if (cond)
        return;
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    tlt_fail(p, "%s:%d: %s", file, line, msg);
}

/* ---- starting and stopping ---- */

static char **make_env(tlt_proc *p, const char *const *extra)
{
    static char preload[PATH_MAX + 16], output[400];
    snprintf(preload, sizeof preload, "LD_PRELOAD=%s", tlt_lib_path());
    snprintf(output, sizeof output, "THREADLEAK_OUTPUT=%s/dump.%%p.%%n", p->dir);
    const char *defaults[] = {preload, output, "THREADLEAK_FORMAT=text,json", NULL};
    return tlt_env(defaults, extra);
}

static int formats_want(const char *const *env, const char *fmt)
{
    const char *value = "text,json";
    for (; env && *env; env++)
        if (!strncmp(*env, "THREADLEAK_FORMAT=", 18))
            value = *env + 18;
    return strstr(value, fmt) != NULL;
}

static int want_text, want_json; /* of the last started program */

static int saw_ready(const tlt_proc *p)
{
    const char *s = p->out;
    while (s && *s) {
        if (!strncmp(s, "ready\n", 6))
            return 1;
        s = strchr(s, '\n');
        if (s)
            s++;
    }
    return 0;
}

/* The main thread's state letter from /proc ('?' when unknown). */
static char main_state(pid_t pid)
{
    char path[64], state = '?';
    snprintf(path, sizeof path, "/proc/%d/task/%d/stat", (int)pid, (int)pid);
    char *stat = tlt_read_file(path, NULL);
    if (stat) {
        char *rp = strrchr(stat, ')');
        if (rp && rp[1] && rp[2])
            state = rp[2];
        free(stat);
    }
    return state;
}

/* "prog arg1 arg2": the base names of the program and of its first two
 * arguments, which is how messages name it. */
static void name_after(tlt_proc *p, const char *const *argv)
{
    const char *base = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
    snprintf(p->name, sizeof p->name, "%s", base);
    for (int i = 1; argv[i] && i < 3; i++) {
        size_t l = strlen(p->name);
        const char *a = strrchr(argv[i], '/') ? strrchr(argv[i], '/') + 1 : argv[i];
        snprintf(p->name + l, sizeof p->name - l, " %s", a);
    }
}

/* The program with stdin /dev/null, stdout into the pipe p->out_fd reads
 * and stderr into p->dir/stderr; it dies with the test process. */
static void spawn(tlt_proc *p, const char *const *argv, const char *const *env)
{
    int out[2];
    if (pipe2(out, O_CLOEXEC))
        cr_assert_fail("pipe: %s", strerror(errno));
    char **envp = make_env(p, env);
    char errpath[300];
    snprintf(errpath, sizeof errpath, "%s/stderr", p->dir);
    pid_t parent = getpid();
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        cr_assert_fail("fork: %s", strerror(errno));
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(126);
        int err = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int in = open("/dev/null", O_RDONLY);
        dup2(in, 0);
        dup2(out[1], 1);
        dup2(err, 2);
        tlt_child_signals_default();
        execve(argv[0], (char *const *)argv, envp);
        if (!strchr(argv[0], '/'))
            execvpe(argv[0], (char *const *)argv, envp);
        dprintf(2, "tlt: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    free(envp);
    close(out[1]);
    p->pid = pid;
    p->out_fd = out[0];
}

/* Until the program printed "ready"; the test fails, saying where its
 * threads are, when it hangs or ends first. */
static void wait_ready(tlt_proc *p)
{
    long deadline = tlt_now_ms() + READY_TIMEOUT_MS;
    while (!saw_ready(p)) {
        long left = deadline - tlt_now_ms();
        if (left <= 0) {
            size_t len = 0, cap = 1024;
            char *threads = malloc(cap);
            threads[0] = 0;
            describe_threads(p, &threads, &len, &cap);
            tlt_fail(p,
                     "%s did not print \"ready\" within %d ms (hung, or stuck under the "
                     "preload library?)\n%s",
                     p->name, READY_TIMEOUT_MS, threads);
        }
        if (!tlt_read_stdout(p, (int)left)) {
            reap(p, 1);
            const char *st = tlt_status(p->status);
            tlt_fail(p, "%s ended before printing \"ready\": %s", p->name, st);
        }
    }
}

tlt_proc *tlt_start_argv(const char *const *argv, const char *const *env)
{
    const char *lib = tlt_lib_path();
    if (access(lib, R_OK))
        cr_assert_fail("%s not found: build the preload library first (make lib)", lib);
    if (strchr(argv[0], '/') && access(argv[0], X_OK))
        cr_assert_fail("%s not found or not executable: build it first (make %s)", argv[0],
                       argv[0]);

    tlt_proc *p = calloc(1, sizeof *p);
    name_after(p, argv);
    tlt_tempdir(p->dir, sizeof p->dir);
    for (int i = 0; i < MAX_PROCS; i++)
        if (!procs[i]) {
            procs[i] = p;
            break;
        }
    want_text = formats_want(env, "text");
    want_json = formats_want(env, "json");
    spawn(p, argv, env);
    wait_ready(p);
    /* After "ready" the main thread goes on to its own wait: let it get
     * there (it sleeps in the kernel) so that a dump finds it waiting. */
    for (long until = tlt_now_ms() + 2000; tlt_now_ms() < until && main_state(p->pid) != 'S';)
        tlt_sleep_ms(2);
    tlt_sleep_ms(10);
    return p;
}

tlt_proc *tlt_start(const char *prog, const char *const *env)
{
    const char *argv[] = {tlt_prog_path(prog), NULL};
    return tlt_start_argv(argv, env);
}

const char *tlt_printed(tlt_proc *p, const char *key)
{
    static char value[256];
    size_t klen = strlen(key);
    for (const char *s = p->out; s && *s;) {
        if (!strncmp(s, key, klen) && s[klen] == ' ') {
            snprintf(value, sizeof value, "%.*s", (int)strcspn(s + klen + 1, "\n"), s + klen + 1);
            return value;
        }
        s = strchr(s, '\n');
        if (s)
            s++;
    }
    tlt_fail(p, "%s printed no \"%s <value>\" line", p->name, key);
    return NULL;
}

const char *tlt_stderr(tlt_proc *p)
{
    char path[300];
    snprintf(path, sizeof path, "%s/stderr", p->dir);
    free(p->err);
    p->err = tlt_read_file(path, NULL);
    if (!p->err)
        p->err = strdup("");
    return p->err;
}

int tlt_read_stdout(tlt_proc *p, int wait_ms)
{
    struct pollfd pfd = {.fd = p->out_fd, .events = POLLIN};
    int r;
    while ((r = poll(&pfd, 1, wait_ms)) > 0 && p->out_len < sizeof p->out - 1) {
        ssize_t n = read(p->out_fd, p->out + p->out_len, sizeof p->out - 1 - p->out_len);
        if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
            return 0;
        if (n > 0) {
            p->out_len += (size_t)n;
            p->out[p->out_len] = 0;
        }
        wait_ms = 0;
    }
    return 1;
}

int tlt_wait_stdout(tlt_proc *p, const char *text, long timeout_ms)
{
    for (long end = tlt_now_ms() + timeout_ms; !strstr(p->out, text);) {
        if (p->out_len >= sizeof p->out - 1)
            return 0; /* full: what is there is all a test can see */
        long left = end - tlt_now_ms();
        if (left <= 0 || !tlt_read_stdout(p, left > 100 ? 100 : (int)left))
            return strstr(p->out, text) != NULL;
    }
    return 1;
}

void tlt_stop(tlt_proc *p)
{
    if (!p)
        return;
    if (p->pid) {
        kill(p->pid, SIGKILL);
        reap(p, 1);
    }
    if (p->out_fd > 0)
        close(p->out_fd);
    tlt_rmtree(p->dir);
    json_decref(p->json);
    free(p->text);
    free(p->context);
    free(p->err);
    for (int i = 0; i < MAX_PROCS; i++)
        if (procs[i] == p)
            procs[i] = NULL;
    free(p);
}

void tlt_cleanup(void)
{
    for (int i = 0; i < MAX_PROCS; i++)
        if (procs[i])
            tlt_stop(procs[i]);
}

void tlt_expect_alive_at(const char *file, int line, tlt_proc *p)
{
    if (reap(p, 0)) {
        const char *st = tlt_status(p->status);
        tlt_fail(p, "%s:%d: %s is no longer running: %s", file, line, p->name, st);
    }
}

/* ---- dumps ---- */

json_t *tlt_wait_dump(tlt_proc *p, int number, const char *reason)
{
    char json_path[400], text_path[400];
    pid_t pid = p->pid;
    snprintf(json_path, sizeof json_path, "%s/dump.%d.%d.json", p->dir, (int)pid, number);
    snprintf(text_path, sizeof text_path, "%s/dump.%d.%d.txt", p->dir, (int)pid, number);
    long deadline = tlt_now_ms() + DUMP_TIMEOUT_MS;
    int have_json = 0, have_text = 0;
    for (;;) {
        have_json = file_exists(json_path);
        have_text = file_exists(text_path);
        if ((have_json || !want_json) && (have_text || !want_text))
            break;
        if (p->pid && reap(p, 0)) {
            const char *st = tlt_status(p->status);
            tlt_fail(p, "%s ended while dump %d was expected: %s", p->name, number, st);
        }
        if (tlt_now_ms() > deadline) {
            char listing[2048] = "";
            DIR *d = opendir(p->dir);
            if (d) {
                struct dirent *e;
                while ((e = readdir(d)))
                    if (e->d_name[0] != '.') {
                        strncat(listing, " ", sizeof listing - strlen(listing) - 1);
                        strncat(listing, e->d_name, sizeof listing - strlen(listing) - 1);
                    }
                closedir(d);
            }
            tlt_fail(p,
                     "dump %d of %s did not appear within %d ms: %s%s%s missing; the "
                     "directory holds:%s",
                     number, p->name, DUMP_TIMEOUT_MS, have_json ? "" : json_path,
                     !have_json && !have_text && want_text ? " and " : "",
                     have_text || !want_text ? "" : text_path, listing);
        }
        tlt_sleep_ms(10);
    }
    p->dumps = number;
    free(p->text);
    p->text = have_text ? tlt_read_file(text_path, NULL) : NULL;
    json_decref(p->json);
    p->json = NULL;
    if (!have_json)
        return NULL;
    json_error_t err;
    p->json = json_load_file(json_path, 0, &err);
    if (!p->json) {
        char *raw = tlt_read_file(json_path, NULL);
        tlt_fail(p, "%s is not valid JSON: %s at line %d column %d\n--- it holds ---\n%.4000s",
                 json_path, err.text, err.line, err.column, raw ? raw : "(unreadable)");
    }
    json_t *d = p->json;
    const char *fmt = json_string_value(json_object_get(d, "format"));
    tlt_expect(p, fmt && !strcmp(fmt, "threadleak-dump"),
               "dump \"format\" is %s, expected \"threadleak-dump\"", fmt ? fmt : "missing");
    tlt_expect(p, json_integer_value(json_object_get(d, "version")) == 1,
               "dump \"version\" is not 1");
    tlt_expect(p, json_integer_value(json_object_get(d, "pid")) == pid,
               "dump \"pid\" is %lld, expected %d",
               (long long)json_integer_value(json_object_get(d, "pid")), (int)pid);
    tlt_expect(p, json_integer_value(json_object_get(d, "dump")) == number,
               "dump \"dump\" is %lld, expected %d",
               (long long)json_integer_value(json_object_get(d, "dump")), number);
    const char *r = json_string_value(json_object_get(d, "reason"));
    tlt_expect(p, !reason || (r && !strcmp(r, reason)), "dump \"reason\" is %s, expected \"%s\"",
               r ? r : "missing", reason ? reason : "");
    tlt_expect(p, json_is_array(json_object_get(d, "groups")), "dump has no \"groups\" array");
    tlt_expect(p, json_is_object(json_object_get(d, "counts")), "dump has no \"counts\" object");
    return p->json;
}

/* How many of the process's threads are not sleeping (state other than S),
 * or -1 when /proc has none of them. */
static int threads_awake(pid_t pid)
{
    char dir[64];
    snprintf(dir, sizeof dir, "/proc/%d/task", (int)pid);
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int awake = 0, seen = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[340], buf[512];
        snprintf(path, sizeof path, "%s/%s/stat", dir, e->d_name);
        int fd = open(path, O_RDONLY);
        if (fd < 0)
            continue; /* exited meanwhile */
        ssize_t n = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (n <= 0)
            continue;
        buf[n] = 0;
        /* "pid (comm) S ...": comm may hold spaces and parentheses. */
        const char *rp = strrchr(buf, ')');
        seen++;
        awake += !(rp && rp[1] == ' ' && rp[2] == 'S');
    }
    closedir(d);
    return seen ? awake : -1;
}

void tlt_settle(tlt_proc *p)
{
    long deadline = tlt_now_ms() + SETTLE_TIMEOUT_MS;
    int quiet = 0;
    while (quiet < 3 && tlt_now_ms() < deadline) {
        int awake = threads_awake(p->pid);
        if (awake < 0)
            return;
        quiet = awake ? 0 : quiet + 1;
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

json_t *tlt_dump(tlt_proc *p)
{
    tlt_expect_alive(p);
    int number = p->dumps + 1;
    if (kill(p->pid, SIGUSR1))
        tlt_fail(p, "kill(%d, SIGUSR1): %s", (int)p->pid, strerror(errno));
    return tlt_wait_dump(p, number, "signal");
}

/* ---- queries ---- */

static json_t *groups(tlt_proc *p)
{
    return p->json ? json_object_get(p->json, "groups") : NULL;
}

json_t *tlt_largest(tlt_proc *p)
{
    return json_array_get(groups(p), 0);
}

static int str_is(json_t *v, const char *s)
{
    if (!s)
        return json_is_null(v);
    return json_is_string(v) && !strcmp(json_string_value(v), s);
}

int tlt_stack_has(json_t *stack, const char *fn)
{
    size_t i;
    json_t *f;
    json_array_foreach(stack, i, f)
    {
        if (str_is(json_object_get(f, "function"), fn))
            return 1;
    }
    return 0;
}

const char *tlt_frame_fn(json_t *stack, int i)
{
    return json_string_value(json_object_get(json_array_get(stack, i), "function"));
}

json_t *tlt_find_group_fn(tlt_proc *p, const char *state, const char *wait, const char *fn)
{
    size_t i;
    json_t *g;
    json_array_foreach(groups(p), i, g)
    {
        if (str_is(json_object_get(g, "state"), state) &&
            str_is(json_object_get(g, "wait"), wait) &&
            (!fn || tlt_stack_has(json_object_get(g, "stack"), fn)))
            return g;
    }
    return NULL;
}

json_t *tlt_find_group(tlt_proc *p, const char *state, const char *wait)
{
    return tlt_find_group_fn(p, state, wait, NULL);
}

json_t *tlt_find_main_group(tlt_proc *p)
{
    size_t i;
    json_t *g;
    json_array_foreach(groups(p), i, g)
    {
        json_t *spawn = json_object_get(g, "spawn_stack");
        if (json_is_array(spawn) && json_array_size(spawn) == 0 &&
            tlt_stack_has(json_object_get(g, "stack"), "main"))
            return g;
    }
    return NULL;
}

long tlt_count(tlt_proc *p, const char *key)
{
    json_t *v = json_object_get(json_object_get(p->json, "counts"), key);
    return json_is_integer(v) ? (long)json_integer_value(v) : -1;
}

long tlt_by_wait(tlt_proc *p, const char *wait)
{
    json_t *by = json_object_get(json_object_get(p->json, "counts"), "by_wait");
    json_t *v = json_object_get(by, wait);
    return json_is_integer(v) ? (long)json_integer_value(v) : 0;
}

long tlt_group_total(tlt_proc *p, const char *state, const char *wait)
{
    long total = 0;
    size_t i;
    json_t *g;
    json_array_foreach(groups(p), i, g)
    {
        if (str_is(json_object_get(g, "state"), state) && str_is(json_object_get(g, "wait"), wait))
            total += (long)json_integer_value(json_object_get(g, "count"));
    }
    return total;
}

/* ---- expectations ---- */

/* A JSON value as a failure message shows it; four may be in use at once. */
static const char *json_shown(json_t *v)
{
    static char buf[4][128];
    static int k;
    char *b = buf[k++ % 4];
    if (!v)
        return "(missing)";
    if (json_is_null(v))
        return "null";
    if (json_is_string(v)) {
        snprintf(b, 128, "\"%s\"", json_string_value(v));
        return b;
    }
    if (json_is_integer(v)) {
        snprintf(b, 128, "%lld", (long long)json_integer_value(v));
        return b;
    }
    return "(not a string or integer)";
}

static const char *group_name(json_t *g)
{
    static char buf[256];
    snprintf(buf, sizeof buf, "group {count %s, state %s, wait %s}",
             json_shown(json_object_get(g, "count")), json_shown(json_object_get(g, "state")),
             json_shown(json_object_get(g, "wait")));
    return buf;
}

static void need_group(const char *file, int line, tlt_proc *p, json_t *g)
{
    if (!p->json)
        tlt_fail(p, "%s:%d: no JSON dump taken yet", file, line);
    if (!g)
        tlt_fail(p, "%s:%d: the expected group is not in the dump", file, line);
}

void tlt_expect_group_at(const char *file, int line, tlt_proc *p, json_t *g, const char *state,
                         const char *wait, long count)
{
    if (!p->json)
        tlt_fail(p, "%s:%d: no JSON dump taken yet", file, line);
    if (!g)
        tlt_fail(p, "%s:%d: expected a group of %ld thread(s) %s%s%s; there is none", file, line,
                 count, state, wait ? " in " : "", wait ? wait : "");
    json_t *c = json_object_get(g, "count");
    if (!str_is(json_object_get(g, "state"), state) || !str_is(json_object_get(g, "wait"), wait) ||
        !json_is_integer(c) || json_integer_value(c) != count)
        tlt_fail(p, "%s:%d: expected a group {count %ld, state \"%s\", wait %s%s%s}, found %s",
                 file, line, count, state, wait ? "\"" : "", wait ? wait : "null", wait ? "\"" : "",
                 group_name(g));
}

void tlt_expect_wait_call_at(const char *file, int line, tlt_proc *p, json_t *g, const char *call)
{
    need_group(file, line, p, g);
    json_t *v = json_object_get(g, "wait_call");
    if (!str_is(v, call))
        tlt_fail(p, "%s:%d: %s: expected \"wait_call\" \"%s\", found %s", file, line, group_name(g),
                 call, json_shown(v));
}

void tlt_expect_object_at(const char *file, int line, tlt_proc *p, json_t *g, const char *addr)
{
    need_group(file, line, p, g);
    json_t *v = json_object_get(g, "object");
    json_t *n = json_object_get(g, "objects");
    if (!json_is_string(v) || strtoull(json_string_value(v), NULL, 16) != strtoull(addr, NULL, 16))
        tlt_fail(p, "%s:%d: %s: expected \"object\" \"%s\" (the program's), found %s", file, line,
                 group_name(g), addr, json_shown(v));
    if (n && (!json_is_integer(n) || json_integer_value(n) != 1))
        tlt_fail(p, "%s:%d: %s: expected \"objects\" 1, found %s", file, line, group_name(g),
                 json_shown(n));
}

static const char *stack_names(json_t *stack)
{
    static char buf[1024];
    size_t len = 0, i;
    json_t *f;
    buf[0] = 0;
    json_array_foreach(stack, i, f)
    {
        const char *fn = json_string_value(json_object_get(f, "function"));
        int n = snprintf(buf + len, sizeof buf - len, "%s#%zu %s", i ? ", " : "", i, fn ? fn : "?");
        if (n < 0 || (size_t)n >= sizeof buf - len)
            break;
        len += n;
    }
    return json_array_size(stack) ? buf : "(empty)";
}

void tlt_expect_frame0_at(const char *file, int line, tlt_proc *p, json_t *g, const char *which,
                          const char *fn)
{
    need_group(file, line, p, g);
    json_t *stack = json_object_get(g, which);
    if (!json_is_array(stack))
        tlt_fail(p, "%s:%d: %s has no \"%s\" array", file, line, group_name(g), which);
    const char *f0 = tlt_frame_fn(stack, 0);
    if (!f0 || strcmp(f0, fn))
        tlt_fail(p, "%s:%d: %s: expected frame #0 of its %s to be %s, found %s", file, line,
                 group_name(g), which, fn, stack_names(stack));
}

void tlt_expect_on_stack_at(const char *file, int line, tlt_proc *p, json_t *g, const char *which,
                            const char *fn)
{
    need_group(file, line, p, g);
    json_t *stack = json_object_get(g, which);
    if (!json_is_array(stack))
        tlt_fail(p, "%s:%d: %s has no \"%s\" array", file, line, group_name(g), which);
    if (!tlt_stack_has(stack, fn))
        tlt_fail(p, "%s:%d: %s: expected a frame named %s on its %s, found %s", file, line,
                 group_name(g), fn, which, stack_names(stack));
}

void tlt_expect_by_wait_at(const char *file, int line, tlt_proc *p, const char *wait, long n)
{
    if (!p->json)
        tlt_fail(p, "%s:%d: no JSON dump taken yet", file, line);
    json_t *by = json_object_get(json_object_get(p->json, "counts"), "by_wait");
    if (!json_is_object(by))
        tlt_fail(p, "%s:%d: the dump has no counts.by_wait object", file, line);
    long got = tlt_by_wait(p, wait);
    if (got != n) {
        char *s = json_dumps(by, JSON_COMPACT);
        tlt_fail(p, "%s:%d: expected counts.by_wait.%s %ld, found %ld (by_wait %s)", file, line,
                 wait, n, got, s ? s : "?");
    }
}

void tlt_expect_count_at(const char *file, int line, tlt_proc *p, const char *key, long n)
{
    if (!p->json)
        tlt_fail(p, "%s:%d: no JSON dump taken yet", file, line);
    long got = tlt_count(p, key);
    if (got != n) {
        char *s = json_dumps(json_object_get(p->json, "counts"), JSON_COMPACT);
        tlt_fail(p, "%s:%d: expected counts.%s %ld, found %ld (counts %s)", file, line, key, n, got,
                 s ? s : "?");
    }
}

void tlt_expect_text_at(const char *file, int line, tlt_proc *p, const char *s)
{
    if (!p->text)
        tlt_fail(p, "%s:%d: no text dump to look for \"%s\" in", file, line, s);
    if (!strstr(p->text, s))
        tlt_fail(p, "%s:%d: expected the text dump to contain \"%s\"", file, line, s);
}

void tlt_expect_no_lib_frames_at(const char *file, int line, tlt_proc *p)
{
    size_t i, j;
    json_t *g, *f;
    const char *which[] = {"stack", "spawn_stack"};
    json_array_foreach(groups(p), i, g)
    {
        for (int w = 0; w < 2; w++) {
            json_array_foreach(json_object_get(g, which[w]), j, f)
            {
                const char *m = json_string_value(json_object_get(f, "module"));
                if (m && strstr(m, "libthreadleak"))
                    tlt_fail(p, "%s:%d: %s: frame #%zu of its %s is in the library itself (%s)",
                             file, line, group_name(g), j, which[w], m);
            }
        }
    }
}

void tlt_expect_sorted_at(const char *file, int line, tlt_proc *p)
{
    size_t i;
    json_t *g;
    long prev = -1;
    json_array_foreach(groups(p), i, g)
    {
        long c = (long)json_integer_value(json_object_get(g, "count"));
        if (prev >= 0 && c > prev)
            tlt_fail(p,
                     "%s:%d: groups are not largest first: group %zu has %ld threads, the one "
                     "before it %ld",
                     file, line, i, c, prev);
        prev = c;
    }
}

json_t *tlt_expect_leak_at(const char *file, int line, tlt_proc *p, const char *state,
                           const char *wait, long count, const char *frame0, const char *spawner)
{
    json_t *g = tlt_largest(p);
    tlt_expect_sorted_at(file, line, p);
    tlt_expect_group_at(file, line, p, g, state, wait, count);
    if (frame0)
        tlt_expect_frame0_at(file, line, p, g, "stack", frame0);
    if (spawner)
        tlt_expect_on_stack_at(file, line, p, g, "spawn_stack", spawner);
    tlt_expect_no_lib_frames_at(file, line, p);
    char header[256];
    if (!strcmp(state, "blocked"))
        snprintf(header, sizeof header, "\n%ld threads \u00b7 blocked in %s ", count, wait);
    else if (!strcmp(state, "exited"))
        snprintf(header, sizeof header, "\n%ld threads \u00b7 exited", count);
    else
        snprintf(header, sizeof header, "\n%ld threads \u00b7 running", count);
    tlt_expect_text_at(file, line, p, header);
    return g;
}

static int collect(pid_t pid, int fd, int timeout_s, char **out)
{
    size_t len = *out ? strlen(*out) : 0, cap = len + 1;
    time_t end = time(NULL) + timeout_s;
    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        if (time(NULL) > end) {
            kill(pid, SIGKILL);
            break;
        }
        if (poll(&p, 1, 200) <= 0)
            continue;
        char buf[4096];
        ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0)
            break;
        if (len + (size_t)n + 1 > cap) {
            cap = (len + (size_t)n + 1) * 2;
            *out = realloc(*out, cap);
        }
        memcpy(*out + len, buf, (size_t)n);
        len += (size_t)n;
        (*out)[len] = 0;
    }
    close(fd);
    int status = -1;
    waitpid(pid, &status, 0);
    return status;
}

int tlt_run_captured(const char *const *argv, void (*setup)(void *), void *arg, int timeout_s,
                     char **out)
{
    int fds[2];
    *out = calloc(1, 1);
    if (pipe(fds) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        dup2(fds[1], 1);
        dup2(fds[1], 2);
        close(fds[0]);
        close(fds[1]);
        if (setup)
            setup(arg);
        execvp(argv[0], (char *const *)argv);
        fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(fds[1]);
    return collect(pid, fds[0], timeout_s, out);
}
