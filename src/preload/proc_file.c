/* Small /proc files of this process read whole, through the real read():
 * below every other layer, for the dumps, the captures and the channel. */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "preload/proc_file.h"
#include "preload/real.h"

TL_HIDDEN int tl_task_file(pid_t tid, const char *what, char *buf, size_t size)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d/%s", (int)tid, what);
    return tl_proc_file(path, buf, size);
}

TL_HIDDEN int tl_proc_file(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = tl_real.read(fd, buf, size - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = 0;
    return 0;
}
