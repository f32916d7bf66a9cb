/* JIT-compiled code: two threads each call into a trampoline copied into
 * anonymous executable memory, which calls jit_callee(), which blocks in
 * read. The first trampoline is listed in /tmp/perf-PID.map as
 * jit_trampoline_fn (as java and node write it); the second is not listed
 * and is mapped right after the program's own last mapping, where a
 * symbolizer that trusts module spans would name it after the program. */
#include <sys/mman.h>

#include "waits_common.h"

/* push rbp; mov rbp,rsp; mov rax,rdi; mov rdi,rsi; call rax; pop rbp; ret */
static const unsigned char trampoline[] = {0x55, 0x48, 0x89, 0xe5, 0x48, 0x89, 0xf8,
                                           0x48, 0x89, 0xf7, 0xff, 0xd0, 0x5d, 0xc3};
typedef void (*tramp_fn)(void (*)(void *), void *);

static int fds[2];

static void jit_callee(void *arg)
{
    (void)arg;
    char c;
    while (read(fds[0], &c, 1) == -1 && errno == EINTR) {
    }
}

static void *jit_thread(void *page)
{
    ((tramp_fn)page)(jit_callee, NULL);
    return NULL;
}

/* The end of the last mapping of this executable (and its .bss). */
static void *after_program(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[4096], exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = 0;
    unsigned long lo, hi, end = 0;
    int in_exe = 0;
    while (f && fgets(line, sizeof line, f)) {
        if (sscanf(line, "%lx-%lx", &lo, &hi) != 2)
            continue;
        int mine = strstr(line, exe) != NULL;
        if (mine || (in_exe && lo == end && !strchr(line, '/') && !strchr(line, '[')))
            end = hi, in_exe = 1;
        else
            in_exe = 0;
    }
    if (f)
        fclose(f);
    return (void *)end;
}

static void *jit_page(void *hint)
{
    void *p =
        mmap(hint, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        die("mmap", errno);
    memcpy(p, trampoline, sizeof trampoline);
    return p;
}

int main(void)
{
    if (pipe(fds))
        die("pipe", errno);
    void *listed = jit_page(NULL);
    void *unlisted = jit_page(after_program());
    char path[64];
    snprintf(path, sizeof path, "/tmp/perf-%d.map", (int)getpid());
    FILE *map = fopen(path, "w");
    if (!map)
        die("perf map", errno);
    fprintf(map, "%lx %zx jit_trampoline_fn\n", (unsigned long)listed, sizeof trampoline);
    fclose(map);
    start_thread(jit_thread, listed);
    start_thread(jit_thread, unlisted);
    settle();
    printf("listed %p\nunlisted %p\n", listed, unlisted);
    ready();
    wait_forever();
}
