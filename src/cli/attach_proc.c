/* What /proc says about a process and its threads, for the attach code
 * that stops them and the code that explains a refusal. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/attach.h"
#include "cli/cli.h"

long tl_attach_status(pid_t pid, const char *key)
{
    char path[64], buf[16384];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    const char *v = tl_read_small(path, buf, sizeof buf) ? NULL : tl_status_field(buf, key);
    return v ? strtol(v, NULL, 10) : -1;
}

int tl_attach_comm(pid_t pid, pid_t tid, char *name, size_t size)
{
    char path[96], line[64];
    snprintf(path, sizeof path, "/proc/%d/task/%d/comm", (int)pid, (int)tid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    int ok = fgets(line, sizeof line, f) != NULL;
    fclose(f);
    if (!ok)
        return -1;
    line[strcspn(line, "\n")] = 0;
    snprintf(name, size, "%s", line);
    return 0;
}
