/* The functions threadleak wraps, as the next object (glibc) defines them.
 * Every wrapper calls through these pointers; tl_real_init() fills them. */
#ifndef THREADLEAK_REAL_H
#define THREADLEAK_REAL_H

#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <threads.h>
#include <time.h>

#include "preload/visibility.h"

#define tl_likely(x) __builtin_expect(!!(x), 1)
#define tl_unlikely(x) __builtin_expect(!!(x), 0)

typedef void *(*tl_start_fn)(void *);

/* X(return type, name, parameter list) */
#define TL_REAL_FUNCTIONS(X)                                                                       \
    X(int, pthread_create, (pthread_t *, const pthread_attr_t *, tl_start_fn, void *))             \
    X(void, pthread_exit, (void *))                                                                \
    X(int, pthread_detach, (pthread_t))                                                            \
    X(int, pthread_cancel, (pthread_t))                                                            \
    X(int, pthread_join, (pthread_t, void **))                                                     \
    X(int, pthread_tryjoin_np, (pthread_t, void **))                                               \
    X(int, pthread_timedjoin_np, (pthread_t, void **, const struct timespec *))                    \
    X(int, pthread_clockjoin_np, (pthread_t, void **, clockid_t, const struct timespec *))         \
    X(int, pthread_setname_np, (pthread_t, const char *))                                          \
    X(int, thrd_create, (thrd_t *, thrd_start_t, void *))                                          \
    X(void, thrd_exit, (int))                                                                      \
    X(int, thrd_detach, (thrd_t))                                                                  \
    X(int, thrd_join, (thrd_t, int *))                                                             \
    X(int, thrd_sleep, (const struct timespec *, struct timespec *))                               \
    X(int, pthread_mutex_lock, (pthread_mutex_t *))                                                \
    X(int, pthread_mutex_trylock, (pthread_mutex_t *))                                             \
    X(int, pthread_mutex_timedlock, (pthread_mutex_t *, const struct timespec *))                  \
    X(int, pthread_mutex_clocklock, (pthread_mutex_t *, clockid_t, const struct timespec *))       \
    X(int, mtx_lock, (mtx_t *))                                                                    \
    X(int, mtx_trylock, (mtx_t *))                                                                 \
    X(int, mtx_timedlock, (mtx_t *__restrict, const struct timespec *__restrict))                  \
    X(int, pthread_rwlock_rdlock, (pthread_rwlock_t *))                                            \
    X(int, pthread_rwlock_wrlock, (pthread_rwlock_t *))                                            \
    X(int, pthread_rwlock_tryrdlock, (pthread_rwlock_t *))                                         \
    X(int, pthread_rwlock_trywrlock, (pthread_rwlock_t *))                                         \
    X(int, pthread_rwlock_timedrdlock, (pthread_rwlock_t *, const struct timespec *))              \
    X(int, pthread_rwlock_timedwrlock, (pthread_rwlock_t *, const struct timespec *))              \
    X(int, pthread_rwlock_clockrdlock, (pthread_rwlock_t *, clockid_t, const struct timespec *))   \
    X(int, pthread_rwlock_clockwrlock, (pthread_rwlock_t *, clockid_t, const struct timespec *))   \
    X(int, pthread_cond_clockwait,                                                                 \
      (pthread_cond_t *, pthread_mutex_t *, clockid_t, const struct timespec *))                   \
    X(int, cnd_wait, (cnd_t *, mtx_t *))                                                           \
    X(int, cnd_timedwait,                                                                          \
      (cnd_t *__restrict, mtx_t *__restrict, const struct timespec *__restrict))                   \
    X(int, sem_wait, (sem_t *))                                                                    \
    X(int, sem_trywait, (sem_t *))                                                                 \
    X(int, sem_timedwait, (sem_t *, const struct timespec *))                                      \
    X(int, sem_clockwait, (sem_t *, clockid_t, const struct timespec *))                           \
    X(int, pthread_barrier_wait, (pthread_barrier_t *))                                            \
    X(long, syscall, (long, long, long, long, long, long, long))                                   \
    X(unsigned, sleep, (unsigned))                                                                 \
    X(int, usleep, (useconds_t))                                                                   \
    X(int, nanosleep, (const struct timespec *, struct timespec *))                                \
    X(int, clock_nanosleep, (clockid_t, int, const struct timespec *, struct timespec *))          \
    X(int, pause, (void))                                                                          \
    X(int, sigsuspend, (const sigset_t *))                                                         \
    X(int, sigwait, (const sigset_t *, int *))                                                     \
    X(int, sigwaitinfo, (const sigset_t *, siginfo_t *))                                           \
    X(int, sigtimedwait, (const sigset_t *, siginfo_t *, const struct timespec *))                 \
    X(ssize_t, read, (int, void *, size_t))                                                        \
    X(ssize_t, readv, (int, const struct iovec *, int))                                            \
    X(ssize_t, pread, (int, void *, size_t, off_t))                                                \
    X(ssize_t, pread64, (int, void *, size_t, off_t))                                              \
    X(ssize_t, write, (int, const void *, size_t))                                                 \
    X(ssize_t, writev, (int, const struct iovec *, int))                                           \
    X(ssize_t, recv, (int, void *, size_t, int))                                                   \
    X(ssize_t, recvfrom, (int, void *, size_t, int, struct sockaddr *, socklen_t *))               \
    X(ssize_t, recvmsg, (int, struct msghdr *, int))                                               \
    X(ssize_t, send, (int, const void *, size_t, int))                                             \
    X(ssize_t, sendto, (int, const void *, size_t, int, const struct sockaddr *, socklen_t))       \
    X(ssize_t, sendmsg, (int, const struct msghdr *, int))                                         \
    X(int, accept, (int, struct sockaddr *, socklen_t *))                                          \
    X(int, accept4, (int, struct sockaddr *, socklen_t *, int))                                    \
    X(int, connect, (int, const struct sockaddr *, socklen_t))                                     \
    X(int, poll, (struct pollfd *, nfds_t, int))                                                   \
    X(int, ppoll, (struct pollfd *, nfds_t, const struct timespec *, const sigset_t *))            \
    X(int, select, (int, fd_set *, fd_set *, fd_set *, struct timeval *))                          \
    X(int, pselect,                                                                                \
      (int, fd_set *, fd_set *, fd_set *, const struct timespec *, const sigset_t *))              \
    X(int, epoll_wait, (int, struct epoll_event *, int, int))                                      \
    X(int, epoll_pwait, (int, struct epoll_event *, int, int, const sigset_t *))                   \
    X(int, epoll_pwait2,                                                                           \
      (int, struct epoll_event *, int, const struct timespec *, const sigset_t *))                 \
    X(pid_t, wait, (int *))                                                                        \
    X(pid_t, waitpid, (pid_t, int *, int))                                                         \
    X(pid_t, wait3, (int *, int, struct rusage *))                                                 \
    X(pid_t, wait4, (pid_t, int *, int, struct rusage *))                                          \
    X(int, waitid, (idtype_t, id_t, siginfo_t *, int))                                             \
    X(int, prctl, (int, ...))                                                                      \
    X(int, dlclose, (void *))

/* The condition-variable calls exist in two ABIs: resolved by version. */
#define TL_REAL_COND_FUNCTIONS(X)                                                                  \
    X(int, cond_wait, (pthread_cond_t *, pthread_mutex_t *))                                       \
    X(int, cond_timedwait, (pthread_cond_t *, pthread_mutex_t *, const struct timespec *))

struct tl_real {
#define TL_FIELD(ret, name, params) ret(*name) params;
    TL_REAL_FUNCTIONS(TL_FIELD)
    TL_REAL_COND_FUNCTIONS(TL_FIELD)
#define TL_FIELD_OLD(ret, name, params) ret(*name##_old) params;
    TL_REAL_COND_FUNCTIONS(TL_FIELD_OLD)
#undef TL_FIELD
#undef TL_FIELD_OLD
};

TL_HIDDEN extern struct tl_real tl_real;
TL_HIDDEN extern int tl_real_ready;

/* Resolves every pointer once; safe to call from any wrapper, any thread. */
TL_HIDDEN void tl_real_init(void);

static inline void tl_real_ensure(void)
{
    if (tl_unlikely(!__atomic_load_n(&tl_real_ready, __ATOMIC_ACQUIRE)))
        tl_real_init();
}

#endif
