/* A program started with the dump signal ignored (nohup-style) keeps it
 * ignored: it execs itself with SIGUSR1 set to SIG_IGN, and the new image
 * (preloaded again) prints what it finds: "usr1 ignored" or "usr1 <other>". */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "child") == 0) {
        struct sigaction sa;
        sigaction(SIGUSR1, NULL, &sa);
        printf("usr1 %s\n", sa.sa_handler == SIG_IGN   ? "ignored"
                            : sa.sa_handler == SIG_DFL ? "default"
                                                       : "handled");
        printf("ready\n");
        fflush(stdout);
        for (;;)
            pause();
    }
    signal(SIGUSR1, SIG_IGN);
    execl("/proc/self/exe", argv[0], "child", (char *)NULL);
    return 1;
}
