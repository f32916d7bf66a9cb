/* What /proc says about a process and its threads, for the attach code
 * that stops them and the code that explains a refusal. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/attach.h"

long tl_attach_status(pid_t pid, const char *key)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long v = -1;
    size_t klen = strlen(key);
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
            v = strtol(line + klen + 1, NULL, 10);
            break;
        }
    if (f)
        fclose(f);
    return v;
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
