/* Before starting anything: find the program the way execvp would, make
 * sure the preload can work on it (an executable, dynamically linked, not
 * set-id), and find the library. Every failure is one line that says what
 * to do. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"

int tl_elf_is_static(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    /* libelf reads either class; not ELF is a script or something exec
     * will refuse: 0 */
    elf_version(EV_CURRENT);
    Elf *e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
    GElf_Ehdr eh;
    size_t n;
    int result = 0;
    if (e && elf_kind(e) == ELF_K_ELF && gelf_getehdr(e, &eh) &&
        (eh.e_type == ET_EXEC || eh.e_type == ET_DYN) && elf_getphdrnum(e, &n) == 0) {
        result = 1;
        for (size_t i = 0; i < n && i < 4096; i++) {
            GElf_Phdr ph;
            if (!gelf_getphdr(e, (int)i, &ph))
                break;
            if (ph.p_type == PT_INTERP)
                result = 0;
        }
    }
    elf_end(e);
    close(fd);
    return result;
}

/* The interpreter of a "#!" script, or "" when it is none. */
static void shebang(const char *path, char *out, size_t n)
{
    out[0] = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    char buf[256];
    ssize_t got = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (got < 3 || buf[0] != '#' || buf[1] != '!')
        return;
    buf[got] = 0;
    char *p = buf + 2;
    p += strspn(p, " \t");
    size_t len = strcspn(p, " \t\r\n");
    if (len && len < n) {
        memcpy(out, p, len);
        out[len] = 0;
    }
}

static int check_file(const char *shown, const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        tl_msg("%s: %s: check the path", shown, strerror(errno));
        return -1;
    }
    if (S_ISDIR(st.st_mode)) {
        tl_msg("%s is a directory, not a program: give the program's path", shown);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        tl_msg("%s is not a regular file: give the program's path", shown);
        return -1;
    }
    if (access(path, X_OK) != 0) {
        tl_msg("%s is not executable: make it so with chmod +x %s", shown, path);
        return -1;
    }
    if ((st.st_mode & (S_ISUID | S_ISGID)) && geteuid() != 0 &&
        (((st.st_mode & S_ISUID) && st.st_uid != geteuid()) ||
         ((st.st_mode & S_ISGID) && st.st_gid != getegid()))) {
        tl_msg("%s is set-user-ID or set-group-ID: the dynamic loader ignores LD_PRELOAD for it; "
               "run a copy without the set-id bit",
               shown);
        return -1;
    }
    int st_static = tl_elf_is_static(path);
    if (st_static == 1) {
        tl_msg("%s is a static binary (no ELF interpreter): LD_PRELOAD cannot work there; "
               "link it dynamically (without -static) to run it under threadleak",
               shown);
        return -1;
    }
    char interp[256];
    shebang(path, interp, sizeof interp);
    if (interp[0] && tl_elf_is_static(interp) == 1) {
        tl_msg("%s runs under %s, a static binary (no ELF interpreter): LD_PRELOAD cannot work "
               "there; use a dynamically linked interpreter",
               shown, interp);
        return -1;
    }
    return 0;
}

int tl_resolve_program(const char *prog, char *out, size_t outlen)
{
    if (!*prog) {
        tl_msg("empty program name: give the program after --, as in threadleak run -- ./server");
        return -1;
    }
    if (strchr(prog, '/')) {
        if (check_file(prog, prog))
            return -1;
        snprintf(out, outlen, "%s", prog);
        return 0;
    }
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = "/usr/local/bin:/usr/bin:/bin";
    char cand[PATH_MAX], denied[PATH_MAX] = "";
    for (const char *p = path;;) {
        size_t len = strcspn(p, ":");
        if (len == 0)
            snprintf(cand, sizeof cand, "%s", prog);
        else
            snprintf(cand, sizeof cand, "%.*s/%s", (int)len, p, prog);
        struct stat st;
        if (stat(cand, &st) == 0 && S_ISREG(st.st_mode)) {
            if (access(cand, X_OK) == 0) {
                if (check_file(prog, cand))
                    return -1;
                snprintf(out, outlen, "%s", cand);
                return 0;
            }
            if (!denied[0])
                snprintf(denied, sizeof denied, "%s", cand);
        }
        if (!p[len])
            break;
        p += len + 1;
    }
    if (denied[0]) {
        tl_msg("%s is not executable: make it so with chmod +x %s", denied, denied);
        return -1;
    }
    tl_msg("%s: program not found in PATH: check the name, or give its path (./%s)", prog, prog);
    return -1;
}

static int usable_lib(const char *cand, char *out, size_t outlen)
{
    char real[PATH_MAX];
    if (access(cand, R_OK) != 0 || !realpath(cand, real))
        return 0;
    struct stat st;
    if (stat(real, &st) != 0 || !S_ISREG(st.st_mode))
        return 0;
    snprintf(out, outlen, "%s", real);
    return 1;
}

static int lib_path_ok(const char *p)
{
    if (strpbrk(p, ": \t\n")) {
        tl_msg("library path %s has a colon or a space, which LD_PRELOAD cannot carry: "
               "move the library or pass --lib with another path",
               p);
        return -1;
    }
    return 0;
}

int tl_find_lib(const char *opt, char *out, size_t outlen)
{
    if (opt) {
        if (!usable_lib(opt, out, outlen)) {
            tl_msg("library not found: --lib %s: %s; build it with make, or give the path of "
                   "libthreadleak.so",
                   opt, access(opt, F_OK) ? "no such file" : "not a readable file");
            return -1;
        }
        return lib_path_ok(out);
    }
    const char *env = getenv("THREADLEAK_LIB");
    if (env && *env) {
        if (!usable_lib(env, out, outlen)) {
            tl_msg("library not found: THREADLEAK_LIB=%s: %s; fix the variable or unset it", env,
                   access(env, F_OK) ? "no such file" : "not a readable file");
            return -1;
        }
        return lib_path_ok(out);
    }
    char self[PATH_MAX], cand1[PATH_MAX + 32], cand2[PATH_MAX + 32];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) {
        tl_msg("library not found: cannot read /proc/self/exe; pass --lib PATH or set "
               "THREADLEAK_LIB");
        return -1;
    }
    self[n] = 0;
    char *slash = strrchr(self, '/');
    if (slash)
        *slash = 0;
    snprintf(cand1, sizeof cand1, "%s/libthreadleak.so", self);
    snprintf(cand2, sizeof cand2, "%s/../lib/libthreadleak.so", self);
    if (usable_lib(cand1, out, outlen) || usable_lib(cand2, out, outlen))
        return lib_path_ok(out);
    tl_msg("library not found: tried %s and %s; build it with make, or pass --lib PATH or set "
           "THREADLEAK_LIB",
           cand1, cand2);
    return -1;
}
