/* `threadleak serve [--listen HOST:PORT|unix:PATH]`: an HTTP endpoint on
 * libmicrohttpd for the user's preloaded processes.
 *   /metrics                          Prometheus text format 0.0.4, read from
 *                                     the counters files (no process is touched)
 *   /debug/pprof/threads?pid=N        a fresh dump as a pprof profile
 *   /debug/pprof/threads?pid=N&debug=1  the same as the text dump
 * A dump goes through the request channel `threadleak dump` uses (a request
 * file and a futex wake: no signal is ever sent), and only to a process
 * whose counters file says its library is there. */
#include <errno.h>
#include <limits.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cli/counters.h"
#include "common/clock.h"

static const char index_text[] =
    "threadleak serve\n\n"
    "/metrics                             Prometheus metrics of this user's preloaded processes\n"
    "/debug/pprof/threads?pid=N           a fresh dump of pid N as a pprof profile\n"
    "/debug/pprof/threads?pid=N&debug=1   the same as text\n";

static pthread_mutex_t dump_lock = PTHREAD_MUTEX_INITIALIZER;

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type,
                             void *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, mode);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    enum MHD_Result rc = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result error(struct MHD_Connection *c, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static enum MHD_Result error(struct MHD_Connection *c, unsigned status, const char *fmt, ...)
{
    char *msg;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&msg, fmt, ap);
    va_end(ap);
    if (n < 0)
        return MHD_NO;
    return reply(c, status, "text/plain; charset=utf-8", msg, (size_t)n, MHD_RESPMEM_MUST_FREE);
}

static double now_s(void)
{
    return (double)tl_mono_ns() / 1e9;
}

static enum MHD_Result metrics(struct MHD_Connection *c)
{
    double t0 = now_s();
    struct tl_cfile *procs;
    int n;
    if (tl_counters_list(&procs, &n) != 0)
        return error(c, 500, "cannot read /tmp/threadleak-%u: %s\n", (unsigned)geteuid(),
                     strerror(errno));
    char *body = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&body, &len);
    int rc = m ? tl_write_metrics(m, procs, n, now_s() - t0) : -1;
    if (m && fclose(m))
        rc = -1;
    free(procs);
    if (rc) {
        free(body);
        return error(c, 500, "out of memory\n");
    }
    return reply(c, 200, "text/plain; version=0.0.4; charset=utf-8", body, len,
                 MHD_RESPMEM_MUST_FREE);
}

/* 1 when pid has a fresh counters file: its library is there and serves. */
static int preloaded(int pid)
{
    struct tl_cfile *procs;
    int n, found = 0;
    if (tl_counters_list(&procs, &n) != 0)
        return 0;
    for (int i = 0; i < n; i++)
        found |= procs[i].pid == pid;
    free(procs);
    return found;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t cap = 0;
    *len = 0;
    for (;;) {
        if (*len == cap)
            buf = tl_xrealloc(buf, cap = cap ? 2 * cap : 65536, 1);
        size_t got = fread(buf + *len, 1, cap - *len, f);
        if (got == 0)
            break;
        *len += got;
    }
    fclose(f);
    return buf;
}

/* A fresh dump of pid through the request channel (as `threadleak dump`),
 * in the form asked for: the text dump, or JSON turned into a profile. */
static enum MHD_Result pprof_threads(struct MHD_Connection *c)
{
    const char *pid_s = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "pid");
    const char *debug = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "debug");
    long pid;
    if (!pid_s || tl_parse_long(pid_s, 1, 4194304, &pid))
        return error(c, 400, "give the process as ?pid=N (see threadleak_threads in /metrics)\n");
    int text = debug && strcmp(debug, "0") != 0;
    if (!preloaded((int)pid))
        return error(c, 404,
                     "pid %ld is not a running process of this user under libthreadleak.so "
                     "with a sampler (see /metrics)\n",
                     pid);
    /* One request at a time: a process has one request file, and two
     * scrapes of the same pid must not take each other's dump. A scrape
     * does not wait for ever on a busy sampler. */
    tl_fetch fetch;
    pthread_mutex_lock(&dump_lock);
    int got = tl_fetch_dump((int)pid, text ? "text" : "json", 0, 0, 30000, &fetch);
    pthread_mutex_unlock(&dump_lock);
    if (got == TL_FETCH_NO_DIR)
        return error(c, 500, "%s\n", fetch.err);
    if (got == TL_FETCH_NOT_ASKED || got == TL_FETCH_NO_SAMPLER)
        return error(c, 503, "cannot ask pid %ld for a dump: %s\n", pid, fetch.err);
    enum MHD_Result rc;
    size_t len = 0;
    char *body = got == TL_FETCH_OK ? slurp(fetch.path, &len) : NULL;
    if (!body) {
        rc = error(c, 504, "pid %ld did not answer in time\n", pid);
    } else if (text) {
        rc = reply(c, 200, "text/plain; charset=utf-8", body, len, MHD_RESPMEM_MUST_FREE);
        body = NULL;
    } else {
        char perr[512];
        tl_dump_file *f = tl_dump_parse(body, len, perr, sizeof perr);
        unsigned char *pb = NULL;
        size_t pb_len = 0;
        if (!f || tl_pprof_encode(tl_dump_of(f), 1, &pb, &pb_len))
            rc = error(c, 500, "the dump of pid %ld could not be read: %s\n", pid,
                       f ? "encoding failed" : perr);
        else {
            rc = reply(c, 200, "application/octet-stream", pb, pb_len, MHD_RESPMEM_MUST_FREE);
            pb = NULL;
        }
        free(pb);
        if (f)
            tl_dump_file_free(f);
    }
    free(body);
    if (got == TL_FETCH_OK)
        tl_fetch_done(&fetch);
    return rc;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **state)
{
    (void)cls;
    (void)version;
    (void)upload;
    static int first_call;
    if (*state == NULL) { /* headers only so far: answer when the request is whole */
        *state = &first_call;
        return MHD_YES;
    }
    if (*upload_size)
        return error(c, 413, "no request body expected\n");
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return error(c, 405, "only GET\n");
    if (strcmp(url, "/metrics") == 0)
        return metrics(c);
    if (strcmp(url, "/debug/pprof/threads") == 0)
        return pprof_threads(c);
    if (strcmp(url, "/") == 0)
        return reply(c, 200, "text/plain; charset=utf-8", (void *)index_text, sizeof index_text - 1,
                     MHD_RESPMEM_PERSISTENT);
    return error(c, 404, "no %s here: see /\n", url);
}

/* unix:PATH: only the user may connect; a socket an earlier serve left
 * at PATH is replaced. */
static int listen_unix(const char *spec, char *shown, size_t shown_len, char *unix_path,
                       size_t unix_len)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    const char *p = spec + 5;
    if (!*p || strlen(p) >= sizeof a.sun_path) {
        tl_msg("--listen %s: give a socket path of 1 to %zu bytes", spec, sizeof a.sun_path - 1);
        return -1;
    }
    struct stat st;
    if (lstat(p, &st) == 0 && S_ISSOCK(st.st_mode))
        unlink(p); /* a socket left by an earlier serve */
    memcpy(a.sun_path, p, strlen(p) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    mode_t old = umask(0177); /* the socket: the user's only */
    int ok = fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 && listen(fd, 64) == 0;
    umask(old);
    if (!ok) {
        tl_msg("--listen %s: %s", spec, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    snprintf(unix_path, unix_len, "%s", p);
    snprintf(shown, shown_len, "unix:%s", p);
    return fd;
}

/* HOST:PORT or [V6]:PORT. */
static int listen_tcp(const char *spec, char *shown, size_t shown_len)
{
    char host[256];
    const char *colon = strrchr(spec, ':');
    if (!colon || colon == spec || (size_t)(colon - spec) >= sizeof host || !colon[1]) {
        tl_msg("--listen %s: expected HOST:PORT (like 127.0.0.1:9464) or unix:PATH", spec);
        return -1;
    }
    snprintf(host, sizeof host, "%.*s", (int)(colon - spec), spec);
    if (host[0] == '[' && host[strlen(host) - 1] == ']') { /* [::1]:9464 */
        memmove(host, host + 1, strlen(host));
        host[strlen(host) - 1] = 0;
    }
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE}, *res;
    int gai = getaddrinfo(host, colon + 1, &hints, &res);
    if (gai) {
        tl_msg("--listen %s: %s", spec, gai_strerror(gai));
        return -1;
    }
    int one = 1;
    int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
        bind(fd, res->ai_addr, res->ai_addrlen) || listen(fd, 64)) {
        tl_msg("--listen %s: %s", spec, strerror(errno));
        freeaddrinfo(res);
        if (fd >= 0)
            close(fd);
        return -1;
    }
    freeaddrinfo(res);
    struct sockaddr_storage got;
    socklen_t gl = sizeof got;
    char h[NI_MAXHOST], port[NI_MAXSERV];
    if (getsockname(fd, (struct sockaddr *)&got, &gl) == 0 &&
        getnameinfo((struct sockaddr *)&got, gl, h, sizeof h, port, sizeof port,
                    NI_NUMERICHOST | NI_NUMERICSERV) == 0)
        snprintf(shown, shown_len, strchr(h, ':') ? "[%s]:%s" : "%s:%s", h, port);
    else
        snprintf(shown, shown_len, "%s", spec);
    return fd;
}

/* A listening socket for HOST:PORT (PORT 0: any free one) or unix:PATH;
 * the address it got in `shown`. -1 after saying why. */
static int listen_on(const char *spec, char *shown, size_t shown_len, char *unix_path,
                     size_t unix_len)
{
    if (strncmp(spec, "unix:", 5) == 0)
        return listen_unix(spec, shown, shown_len, unix_path, unix_len);
    return listen_tcp(spec, shown, shown_len);
}

int tl_cmd_serve(int argc, char **argv)
{
    const char *listen_spec = "127.0.0.1:9464";
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc)
            listen_spec = argv[++i];
        else if (strncmp(argv[i], "--listen=", 9) == 0)
            listen_spec = argv[i] + 9;
        else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            tl_usage(stdout);
            return TL_EXIT_OK;
        } else {
            tl_msg("serve takes --listen HOST:PORT or --listen unix:PATH, got %s", argv[i]);
            return TL_EXIT_USAGE;
        }
    }
    char shown[300], unix_path[PATH_MAX] = "";
    int fd = listen_on(listen_spec, shown, sizeof shown, unix_path, sizeof unix_path);
    if (fd < 0)
        return TL_EXIT_USAGE;
    /* SIGINT and SIGTERM end it: blocked here so the daemon's threads
     * inherit the mask and sigwait below takes them. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL, 0, NULL,
        NULL, handle, NULL, MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_LIMIT, 32u,
        MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_END);
    if (!d) {
        tl_msg("cannot start the HTTP server on %s", shown);
        close(fd);
        return TL_EXIT_FAIL;
    }
    tl_msg("serving http on %s: /metrics, /debug/pprof/threads?pid=N", shown);
    int sig;
    sigwait(&stop, &sig);
    MHD_stop_daemon(d);
    close(fd);
    if (unix_path[0])
        unlink(unix_path);
    return TL_EXIT_OK;
}
