/* libFuzzer target: the JSON dump reader of `threadleak report` and
 * `threadleak diff` (src/cli/dump_read.c) over arbitrary bytes; what it
 * accepts is rendered again as text and JSON (src/common), and the JSON
 * rendering must parse back. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    tl_dump_file *f = tl_dump_parse((const char *)data, size, err, sizeof err);
    if (!f) {
        if (!err[0] || strchr(err, '\n'))
            abort(); /* a reason is one line */
        return 0;
    }
    tl_dump *d = tl_dump_of(f);
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    tl_write_text(out, d);
    fclose(out);
    free(buf);
    buf = NULL;
    out = open_memstream(&buf, &len);
    tl_write_json(out, d);
    fclose(out);
    tl_dump_file *again = tl_dump_parse(buf, len, err, sizeof err);
    if (!again) {
        fprintf(stderr, "re-rendered dump does not read back: %s\n%s\n", err, buf);
        abort();
    }
    tl_dump_file_free(again);
    free(buf);
    /* as run's verdict and diff see it */
    tl_dump_fold_running(f);
    buf = NULL;
    out = open_memstream(&buf, &len);
    tl_write_text(out, d);
    fclose(out);
    free(buf);
    tl_dump_file_free(f);
    return 0;
}
