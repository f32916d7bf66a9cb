#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "preload/program.h"

static char name[512] = "?";

TL_HIDDEN void tl_program_init(void)
{
    int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    ssize_t n = tl_real.read(fd, name, sizeof name - 1);
    close(fd);
    name[n > 0 ? n : 0] = 0;
    if (!name[0])
        strcpy(name, "?");
}

TL_HIDDEN const char *tl_program_name(void)
{
    return name;
}
