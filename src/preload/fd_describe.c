/* Descriptors described: the fd link, and for sockets the addresses the
 * kernel lists by inode in /proc/self/net/{tcp,tcp6,udp,udp6,unix}. Those
 * tables are read at most once per dump, and only when a blocked thread
 * waits on a socket. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preload/fd_describe.h"

struct sock {
    unsigned long inode;
    char what[112];
};

struct tl_sockets {
    struct sock *v;
    size_t n, cap;
};

static const char *const tcp_states[] = {
    "",          "established", "syn-sent",   "syn-recv", "fin-wait1", "fin-wait2",
    "time-wait", "close",       "close-wait", "last-ack", "listening", "closing",
};

static void add(struct tl_sockets *s, unsigned long inode, const char *what)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        struct sock *v = realloc(s->v, cap * sizeof *v);
        if (!v)
            return;
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n].inode = inode;
    snprintf(s->v[s->n].what, sizeof s->v[s->n].what, "%s", what);
    s->n++;
}

/* "0100007F:1F90" (IPv4) or 32 hex digits and a port (IPv6): each 32-bit
 * word is printed by the kernel in host order, so its bytes in memory are
 * the address's. */
static void address(const char *hex, int v6, char *out, size_t size)
{
    unsigned char bytes[16];
    int words = v6 ? 4 : 1;
    for (int w = 0; w < words; w++) {
        char word[9];
        memcpy(word, hex + 8 * w, 8);
        word[8] = 0;
        uint32_t v = (uint32_t)strtoul(word, NULL, 16);
        memcpy(bytes + 4 * w, &v, 4);
    }
    char ip[INET6_ADDRSTRLEN] = "?";
    inet_ntop(v6 ? AF_INET6 : AF_INET, bytes, ip, sizeof ip);
    unsigned port = (unsigned)strtoul(hex + 8 * words + 1, NULL, 16);
    snprintf(out, size, v6 ? "[%s]:%u" : "%s:%u", ip, port);
}

static FILE *open_table(const char *name)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/self/net/%s", name);
    return fopen(path, "re");
}

static void load_inet(struct tl_sockets *s, const char *name, int v6, int tcp)
{
    FILE *f = open_table(name);
    if (!f)
        return;
    char line[512];
    if (!fgets(line, sizeof line, f)) { /* the header */
        fclose(f);
        return;
    }
    while (fgets(line, sizeof line, f)) {
        char local[64], remote[64];
        unsigned st;
        unsigned long inode;
        if (sscanf(line, " %*d: %63s %63s %x %*s %*s %*s %*u %*u %lu", local, remote, &st,
                   &inode) != 4 ||
            inode == 0)
            continue;
        char a[80], b[80], what[200];
        address(local, v6, a, sizeof a);
        address(remote, v6, b, sizeof b);
        const char *proto = tcp ? (v6 ? "tcp6" : "tcp") : (v6 ? "udp6" : "udp");
        if (tcp && st == 0x0a)
            snprintf(what, sizeof what, "%s %s listening", proto, a);
        else if (tcp && st == 0x01)
            snprintf(what, sizeof what, "%s %s -> %s", proto, a, b);
        else if (tcp && st < sizeof tcp_states / sizeof tcp_states[0])
            snprintf(what, sizeof what, "%s %s -> %s %s", proto, a, b, tcp_states[st]);
        else
            snprintf(what, sizeof what, "%s %s", proto, a);
        add(s, inode, what);
    }
    fclose(f);
}

static void load_unix(struct tl_sockets *s)
{
    FILE *f = open_table("unix");
    if (!f)
        return;
    char line[4200];
    if (!fgets(line, sizeof line, f)) {
        fclose(f);
        return;
    }
    while (fgets(line, sizeof line, f)) {
        unsigned long inode;
        int path_at = 0;
        if (sscanf(line, "%*s %*s %*s %*s %*s %*s %lu %n", &inode, &path_at) < 1)
            continue;
        char *path = line + path_at, what[200];
        path[strcspn(path, "\n")] = 0;
        snprintf(what, sizeof what, path_at && *path ? "unix %s" : "unix", path);
        add(s, inode, what);
    }
    fclose(f);
}

static int by_inode(const void *a, const void *b)
{
    const struct sock *x = a, *y = b;
    return x->inode < y->inode ? -1 : x->inode > y->inode;
}

static struct tl_sockets *load(void)
{
    struct tl_sockets *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    load_inet(s, "tcp", 0, 1);
    load_inet(s, "tcp6", 1, 1);
    load_inet(s, "udp", 0, 0);
    load_inet(s, "udp6", 1, 0);
    load_unix(s);
    qsort(s->v, s->n, sizeof *s->v, by_inode);
    return s;
}

static const char *socket_of(const struct tl_sockets *s, unsigned long inode)
{
    size_t lo = 0, hi = s ? s->n : 0;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (s->v[mid].inode < inode)
            lo = mid + 1;
        else if (s->v[mid].inode > inode)
            hi = mid;
        else
            return s->v[mid].what;
    }
    return NULL;
}

TL_HIDDEN char *tl_fd_describe(pid_t tid, uint64_t fd, struct tl_sockets **sockets)
{
    if (fd > INT32_MAX)
        return NULL;
    char path[80], buf[4096];
    snprintf(path, sizeof path, "/proc/self/task/%d/fd/%d", (int)tid, (int)fd);
    ssize_t n = readlink(path, buf, sizeof buf - 1);
    if (n <= 0)
        return NULL;
    buf[n] = 0;
    unsigned long inode;
    if (sscanf(buf, "socket:[%lu]", &inode) == 1) {
        if (!*sockets)
            *sockets = load();
        const char *what = socket_of(*sockets, inode);
        if (what && (size_t)n + 1 + strlen(what) < sizeof buf)
            snprintf(buf + n, sizeof buf - (size_t)n, " %s", what);
    }
    return strdup(buf);
}

TL_HIDDEN void tl_sockets_free(struct tl_sockets *s)
{
    if (s)
        free(s->v);
    free(s);
}
