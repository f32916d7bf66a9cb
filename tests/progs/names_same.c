/* What the program sees of the wrappers of names_*: prctl, the child
 * waits and dlclose, bare and preloaded must print the same lines. Each
 * line is a call and what it returned, errno included. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define SAY(what, call)                                                                            \
    do {                                                                                           \
        errno = 0;                                                                                 \
        long rc_ = (long)(call);                                                                   \
        printf("%s -> %ld errno %d\n", what, rc_, rc_ < 0 ? errno : 0);                            \
    } while (0)

static pid_t child_exiting(int code)
{
    pid_t p = fork();
    if (p == 0)
        _exit(code);
    return p;
}

static void *named(void *arg)
{
    (void)arg;
    char name[32] = {0};
    errno = 0;
    SAY("prctl(PR_SET_NAME, \"worker\")", prctl(PR_SET_NAME, "worker", 0, 0, 0));
    SAY("prctl(PR_GET_NAME)", prctl(PR_GET_NAME, name, 0, 0, 0));
    printf("name %s\n", name);
    SAY("prctl(PR_SET_NAME, 16 chars)", prctl(PR_SET_NAME, "abcdefghijklmnopq", 0, 0, 0));
    SAY("prctl(PR_GET_NAME)", prctl(PR_GET_NAME, name, 0, 0, 0));
    printf("name %s\n", name);
    errno = 0;
    SAY("prctl(PR_SET_NAME, bad pointer)", prctl(PR_SET_NAME, (char *)8, 0, 0, 0));
    SAY("prctl(-1)", prctl(-1, 0, 0, 0, 0));
    SAY("prctl(PR_GET_DUMPABLE)", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
    SAY("pthread_setname_np(too long)",
        -pthread_setname_np(pthread_self(), "a name far too long for it"));
    return NULL;
}

int main(int argc, char **argv)
{
    (void)argc;
    setvbuf(stdout, NULL, _IONBF, 0);
    pthread_t t;
    pthread_create(&t, NULL, named, NULL);
    pthread_join(t, NULL);

    int status = 0;
    errno = 0;
    SAY("waitpid(no children)", waitpid(-1, &status, 0));
    SAY("wait(no children)", wait(&status));
    siginfo_t info;
    SAY("waitid(P_ALL, no children)", waitid(P_ALL, 0, &info, WEXITED));
    SAY("waitpid(bad options)", waitpid(-1, &status, 0x12345678));
    pid_t c = child_exiting(3);
    usleep(100000);
    pid_t got = waitpid(c, (int *)8, 0); /* a bad status pointer: EFAULT (the child is reaped) */
    printf("waitpid(bad status) -> %s errno %d\n", got == c ? "child" : "-1", got < 0 ? errno : 0);
    got = waitpid(c, &status, WNOHANG);
    printf("waitpid(WNOHANG) -> %s status %d\n", got == c ? "child" : "other", status);
    c = child_exiting(4);
    struct rusage ru;
    got = wait4(c, &status, 0, &ru);
    printf("wait4 -> %s status %d\n", got == c ? "child" : "other", status);
    c = child_exiting(5);
    got = wait3(&status, 0, NULL);
    printf("wait3 -> %s status %d\n", got == c ? "child" : "other", status);
    c = child_exiting(6);
    memset(&info, 0, sizeof info);
    int rc = waitid(P_PID, (id_t)c, &info, WEXITED);
    printf("waitid -> %d si_pid %s si_status %d\n", rc, info.si_pid == c ? "child" : "other",
           info.si_status);

    char self[4096], path[4200];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    self[n > 0 ? n : 0] = 0;
    snprintf(path, sizeof path, "%s/lib_a.so", dirname(self));
    void *h1 = dlopen(path, RTLD_NOW), *h2 = dlopen(path, RTLD_NOW);
    printf("dlopen twice -> %s\n", h1 && h1 == h2 ? "same handle" : "?");
    printf("dlclose -> %d\n", dlclose(h1));
    printf("still loaded -> %d\n", dlopen(path, RTLD_NOW | RTLD_NOLOAD) != NULL);
    dlclose(h2); /* the NOLOAD reference */
    printf("dlclose -> %d\n", dlclose(h2));
    printf("unloaded -> %d\n", dlopen(path, RTLD_NOW | RTLD_NOLOAD) == NULL);
    printf("dlerror -> %s\n", dlerror() ? "set" : "none");
    (void)argv;
    return 0;
}
