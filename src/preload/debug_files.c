/* Separate debug files, looked for on this machine only: by build-id under
 * /usr/lib/debug/.build-id (libdwfl's own lookup), then by .gnu_debuglink
 * beside the object, in its .debug/ directory and under /usr/lib/debug,
 * kept only when the build-id matches. libdwfl's standard finder goes on
 * to the servers in DEBUGINFOD_URLS: a network connection from inside the
 * profiled process, which threadleak never makes (fetching debug
 * information, if wanted, belongs to the command, off the host). */
#include <fcntl.h>
#include <libelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preload/lib_functions.h"
#include "preload/symbolize.h"

static struct {
    int (*by_build_id)(Dwfl_Module *, void **, const char *, Dwarf_Addr, const char *, const char *,
                       GElf_Word, char **);
    int (*module_build_id)(Dwfl_Module *, const unsigned char **, GElf_Addr *);
    ssize_t (*elf_build_id)(Elf *, const void **);
    Elf *(*elf_begin)(int, Elf_Cmd, Elf *);
    int (*elf_end)(Elf *);
} from_libdw;

static const tl_lib_function build_id_functions[] = {
    TL_LIB_FUNCTION(from_libdw.by_build_id, "dwfl_build_id_find_debuginfo"),
    TL_LIB_FUNCTION(from_libdw.module_build_id, "dwfl_module_build_id"),
    TL_LIB_FUNCTION(from_libdw.elf_build_id, "dwelf_elf_gnu_build_id"),
    TL_LIB_FUNCTION(from_libdw.elf_begin, "elf_begin"),
    TL_LIB_FUNCTION(from_libdw.elf_end, "elf_end"),
};

TL_HIDDEN int tl_debug_files_init(void *libdw)
{
    return tl_lib_resolve(libdw, build_id_functions,
                          sizeof build_id_functions / sizeof *build_id_functions)
               ? -1
               : 0;
}

/* An open descriptor on path when its build-id is the module's. */
static int open_matching(const char *path, const unsigned char *id, int id_len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || id_len <= 0)
        return fd;
    Elf *elf = from_libdw.elf_begin(fd, ELF_C_READ_MMAP, NULL);
    const void *got = NULL;
    ssize_t len = elf ? from_libdw.elf_build_id(elf, &got) : -1;
    int same = len == id_len && memcmp(got, id, (size_t)len) == 0;
    if (elf)
        from_libdw.elf_end(elf);
    if (!same) {
        close(fd);
        return -1;
    }
    return fd;
}

TL_HIDDEN int tl_find_debuginfo_here(Dwfl_Module *mod, void **userdata, const char *modname,
                                     Dwarf_Addr base, const char *file_name,
                                     const char *debuglink_file, GElf_Word debuglink_crc,
                                     char **debuginfo_file_name)
{
    int fd = from_libdw.by_build_id(mod, userdata, modname, base, file_name, debuglink_file,
                                    debuglink_crc, debuginfo_file_name);
    if (fd >= 0 || !debuglink_file || !file_name || strchr(debuglink_file, '/'))
        return fd;
    const unsigned char *id = NULL;
    GElf_Addr vaddr;
    int id_len = from_libdw.module_build_id(mod, &id, &vaddr);
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", file_name);
    char *slash = strrchr(dir, '/');
    if (!slash)
        return -1;
    *slash = 0;
    static const char *const forms[] = {"%s/%s", "%s/.debug/%s", "/usr/lib/debug%s/%s"};
    for (size_t i = 0; i < sizeof forms / sizeof *forms; i++) {
        char path[PATH_MAX];
        if (snprintf(path, sizeof path, forms[i], dir, debuglink_file) >= (int)sizeof path ||
            strcmp(path, file_name) == 0)
            continue;
        fd = open_matching(path, id, id_len);
        if (fd >= 0) {
            *debuginfo_file_name = strdup(path);
            return fd;
        }
    }
    return -1;
}
