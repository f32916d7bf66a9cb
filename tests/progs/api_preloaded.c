/* The API with the library preloaded instead of linked: this program is not
 * linked with -lthreadleak and finds the API with dlsym, as a program that
 * only sometimes runs under threadleak would.
 *
 *   api_preloaded <scenario>           runs one of api_scenarios.h, prints
 *                                      "leaks <n>" then the report
 *   api_preloaded active               prints "active <threadleak_active()>"
 *   api_preloaded dump <stem> <fmts>   prints "dump <threadleak_dump()>"
 *
 * Without the library it prints "api absent" and exits 3. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_scenarios.h"

static void *need(const char *name)
{
    void *f = dlsym(RTLD_DEFAULT, name);
    if (!f) {
        printf("api absent (%s)\n", name);
        exit(3);
    }
    return f;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: api_preloaded <scenario> | active | dump <stem> <formats>\n");
        return 2;
    }
    struct api api;
    *(void **)&api.active = need("threadleak_active");
    *(void **)&api.snapshot_take = need("threadleak_snapshot_take");
    *(void **)&api.snapshot_free = need("threadleak_snapshot_free");
    *(void **)&api.verify_none = need("threadleak_verify_none");
    *(void **)&api.dump = need("threadleak_dump");

    if (strcmp(argv[1], "active") == 0) {
        printf("active %d\n", api.active());
        return 0;
    }
    if (strcmp(argv[1], "dump") == 0 && argc == 4) {
        printf("dump %d\n", api.dump(argv[2], argv[3]));
        return 0;
    }
    FILE *report = tmpfile();
    if (!report)
        return 2;
    int n = api_run_scenario(&api, argv[1], report);
    printf("leaks %d\n", n);
    rewind(report);
    char buf[4096];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, report)) > 0)
        fwrite(buf, 1, got, stdout);
    fflush(stdout);
    _exit(0); /* the scenario's threads may still be blocked */
}
