/* Waiting for a child process: wait, waitpid, wait3, wait4, waitid (each
 * has one symbol version in glibc 2.36; __wait and __waitpid are the same
 * functions under older names). A call with WNOHANG never blocks and
 * passes straight through. The object is what is waited for: the pid, 0
 * for any child, -pgid for a process group (tl_child_object). A wait only
 * threadleak's dump signal interrupted is made again. */
#include "preload/wrap.h"

/* waitpid's pid argument as the object: >0 a child, -1 any (0 here, so
 * that an object is "absent"), 0 the caller's group, < -1 a group. */
static uint64_t child_object(pid_t pid)
{
    if (pid == -1)
        return 0;
    if (pid == 0)
        return TL_OBJ_OWN_GROUP;
    return (uint64_t)(int64_t)pid;
}

#define TL_CHILD(name, obj, options, call)                                                         \
    ({                                                                                             \
        tl_real_ensure();                                                                          \
        (options) & WNOHANG ? (call) : TL_WAIT(TL_WAIT_CHILD, name, obj, TL_RESUMED(call));        \
    })

/* Inlined into each exported name: the library never calls its own
 * exports (they would bind through the PLT to whatever comes first). */
static inline __attribute__((always_inline)) pid_t wait_impl(int *status)
{
    return TL_CHILD("wait", 0, 0, tl_real.wait(status));
}

TL_EXPORT pid_t wait(int *status)
{
    return wait_impl(status);
}

TL_EXPORT pid_t __wait(int *status)
{
    return wait_impl(status);
}

static inline __attribute__((always_inline)) pid_t waitpid_impl(pid_t pid, int *status, int options)
{
    return TL_CHILD("waitpid", child_object(pid), options, tl_real.waitpid(pid, status, options));
}

TL_EXPORT pid_t waitpid(pid_t pid, int *status, int options)
{
    return waitpid_impl(pid, status, options);
}

TL_EXPORT pid_t __waitpid(pid_t pid, int *status, int options)
{
    return waitpid_impl(pid, status, options);
}

TL_EXPORT pid_t wait3(int *status, int options, struct rusage *ru)
{
    return TL_CHILD("wait3", 0, options, tl_real.wait3(status, options, ru));
}

TL_EXPORT pid_t wait4(pid_t pid, int *status, int options, struct rusage *ru)
{
    return TL_CHILD("wait4", child_object(pid), options, tl_real.wait4(pid, status, options, ru));
}

static uint64_t waitid_object(idtype_t type, id_t id)
{
    if (type == P_PID)
        return (uint64_t)(int64_t)(pid_t)id;
    if (type == P_PGID)
        return child_object(-(pid_t)id);
    return 0; /* P_ALL, and P_PIDFD (a descriptor, not a pid) */
}

TL_EXPORT int waitid(idtype_t type, id_t id, siginfo_t *info, int options)
{
    return TL_CHILD("waitid", waitid_object(type, id), options,
                    tl_real.waitid(type, id, info, options));
}
