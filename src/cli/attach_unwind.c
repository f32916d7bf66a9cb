/* Unwinding the threads of an attach snapshot with elfutils' libdwfl, from
 * the registers and stack copies taken while they were stopped (DWARF CFI,
 * frame pointers where there is none), and naming the frames from the same
 * modules: symbol tables (static functions too) and DWARF lines. The
 * command is a process of its own, so it links libdw directly. */
#include <elfutils/libdwfl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "cli/attach.h"
#include "cli/cli.h"
#include "common/symbol_name.h"

struct tl_unwinder {
    tl_attach *a;
    Dwfl *dwfl;
    int next;              /* next_thread's position in a->t */
    tl_attach_thread *cur; /* the thread being unwound: whose stack copy to read */
    char **strings;        /* names handed out, freed at close */
    int n_strings, cap_strings;
};

static char *debuginfo_path;
static const Dwfl_Callbacks proc_callbacks = {
    .find_elf = dwfl_linux_proc_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .debuginfo_path = &debuginfo_path,
};

static pid_t next_thread(Dwfl *dwfl, void *arg, void **thread_argp)
{
    (void)dwfl;
    tl_unwinder *u = arg;
    while (u->next < u->a->n) {
        tl_attach_thread *t = &u->a->t[u->next++];
        if (t->stopped || t->proc_only) {
            *thread_argp = t;
            return t->tid;
        }
    }
    return 0;
}

/* Stack words come from the copy; anything else (deeper frames, signal
 * frames) from the live process. */
static bool memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *arg)
{
    (void)dwfl;
    tl_unwinder *u = arg;
    tl_attach_thread *t = u->cur;
    if (t && addr >= t->stack_lo && addr + sizeof *result <= t->stack_lo + t->stack_len) {
        memcpy(result, t->stack + (addr - t->stack_lo), sizeof *result);
        return true;
    }
    struct iovec local = {result, sizeof *result};
    struct iovec remote = {(void *)(uintptr_t)addr, sizeof *result};
    return process_vm_readv(u->a->pid, &local, 1, &remote, 1, 0) == (ssize_t)sizeof *result;
}

static bool set_initial_registers(Dwfl_Thread *thread, void *thread_arg)
{
    const tl_attach_thread *t = thread_arg;
    if (t->proc_only) {
        /* Only sp and pc are known: the unwinder stops where a frame needs
         * another register it cannot recover from the stack. */
        Dwarf_Word sp = t->sys_sp;
        dwfl_thread_state_register_pc(thread, t->sys_pc);
        return dwfl_thread_state_registers(thread, 7, 1, &sp);
    }
    const struct user_regs_struct *r = &t->regs;
    /* DWARF numbering of x86-64: rax rdx rcx rbx rsi rdi rbp rsp r8-r15 rip. */
    Dwarf_Word regs[17] = {r->rax, r->rdx, r->rcx, r->rbx, r->rsi, r->rdi, r->rbp, r->rsp, r->r8,
                           r->r9,  r->r10, r->r11, r->r12, r->r13, r->r14, r->r15, r->rip};
    dwfl_thread_state_register_pc(thread, r->rip);
    return dwfl_thread_state_registers(thread, 0, 17, regs);
}

static const Dwfl_Thread_Callbacks thread_callbacks = {
    .next_thread = next_thread,
    .memory_read = memory_read,
    .set_initial_registers = set_initial_registers,
};

tl_unwinder *tl_unwind_open(tl_attach *a, char *err, size_t errlen)
{
    tl_unwinder *u = tl_xcalloc(1, sizeof *u);
    u->a = a;
    u->dwfl = dwfl_begin(&proc_callbacks);
    if (!u->dwfl) {
        snprintf(err, errlen, "libdw: %s", dwfl_errmsg(-1));
        free(u);
        return NULL;
    }
    dwfl_report_begin(u->dwfl);
    int rc = dwfl_linux_proc_report(u->dwfl, a->pid);
    dwfl_report_end(u->dwfl, NULL, NULL);
    if (rc != 0) {
        snprintf(err, errlen, "cannot read the mappings of pid %d: %s", (int)a->pid,
                 rc > 0 ? strerror(rc) : dwfl_errmsg(-1));
        tl_unwind_close(u);
        return NULL;
    }
    if (!dwfl_attach_state(u->dwfl, NULL, a->pid, &thread_callbacks, u)) {
        snprintf(err, errlen, "libdw cannot unwind pid %d: %s", (int)a->pid, dwfl_errmsg(-1));
        tl_unwind_close(u);
        return NULL;
    }
    return u;
}

static int on_frame(Dwfl_Frame *state, void *arg)
{
    tl_attach_thread *t = arg;
    Dwarf_Addr pc;
    bool activation;
    if (!dwfl_frame_pc(state, &pc, &activation) || pc == 0)
        return DWARF_CB_ABORT;
    t->pcs[t->depth++] = pc;
    return t->depth < TL_ATTACH_FRAMES ? DWARF_CB_OK : DWARF_CB_ABORT;
}

static int on_thread(Dwfl_Thread *thread, void *arg)
{
    tl_unwinder *u = arg;
    pid_t tid = dwfl_thread_tid(thread);
    tl_attach_thread *t = NULL;
    for (int i = u->next - 1; i >= 0 && !t; i--) /* next_thread just handed it out */
        if (u->a->t[i].tid == tid)
            t = &u->a->t[i];
    if (!t)
        return DWARF_CB_OK;
    u->cur = t;
    t->depth = 0;
    /* An error ends the stack where the unwinder lost it: keep what it found. */
    dwfl_thread_getframes(thread, on_frame, t);
    if (t->depth == 0)
        t->pcs[t->depth++] = t->proc_only ? t->sys_pc : t->regs.rip;
    u->cur = NULL;
    if ((u->next & 63) == 0)
        tl_attach_reap_late(u->a);
    return DWARF_CB_OK;
}

void tl_unwind_all(tl_unwinder *u)
{
    u->next = 0;
    dwfl_getthreads(u->dwfl, on_thread, u);
}

static const char *keep_string(tl_unwinder *u, char *s)
{
    if (!s)
        return NULL;
    if (u->n_strings == u->cap_strings) {
        u->cap_strings = u->cap_strings ? u->cap_strings * 2 : 64;
        u->strings = tl_xrealloc(u->strings, (size_t)u->cap_strings, sizeof *u->strings);
    }
    return u->strings[u->n_strings++] = s;
}

tl_frame tl_unwind_frame(tl_unwinder *u, uint64_t pc, int activation)
{
    tl_frame f = {.ip = pc};
    /* A return address points after the call: look up the call itself. */
    uint64_t at = activation ? pc : pc - 1;
    Dwfl_Module *m = dwfl_addrmodule(u->dwfl, at);
    if (!m)
        return f;
    const char *mod = dwfl_module_info(m, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
    f.module = keep_string(u, mod ? tl_xstrdup(mod) : NULL);
    GElf_Off off = 0;
    GElf_Sym sym;
    const char *name = dwfl_module_addrinfo(m, at, &off, &sym, NULL, NULL, NULL);
    if (name) {
        f.function = keep_string(u, tl_symbol_name(name));
        f.offset = off + (activation ? 0 : 1);
    }
    Dwfl_Line *line = dwfl_module_getsrc(m, at);
    if (line) {
        int lineno = 0;
        const char *file = dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL);
        f.file = keep_string(u, file ? tl_xstrdup(file) : NULL);
        f.line = lineno;
    }
    return f;
}

void tl_unwind_close(tl_unwinder *u)
{
    if (!u)
        return;
    if (u->dwfl)
        dwfl_end(u->dwfl);
    for (int i = 0; i < u->n_strings; i++)
        free(u->strings[i]);
    free(u->strings);
    free(u);
}
