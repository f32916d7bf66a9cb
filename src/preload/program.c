#include <errno.h>
#include <fcntl.h>
#include <linux/prctl.h>
#include <string.h>
#include <unistd.h>

#include "preload/program.h"
#include "preload/real.h"

static char name[512] = "?";
static char comm[17];

TL_HIDDEN void tl_program_init(void)
{
    int saved = errno;
    if (tl_real.prctl)
        tl_real.prctl(PR_GET_NAME, (unsigned long)comm, 0ul, 0ul, 0ul);
    comm[16] = 0;
    errno = saved;
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

TL_HIDDEN const char *tl_program_comm(void)
{
    return comm;
}
