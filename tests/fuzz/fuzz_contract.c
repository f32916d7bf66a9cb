/* libFuzzer target: the two readers of src/common that take bytes from the
 * other side, the series line (read by the command) and the request file
 * (read by the library inside the host program). Checks: no crash, and
 * whatever a reader accepts, its writer writes back to the same value. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/channel.h"
#include "common/series_line.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tl_series_line x, y;
    if (tl_series_line_parse((const char *)data, size, &x) == 0) {
        char buf[TL_SERIES_LINE_MAX];
        int n = tl_series_line_format(buf, sizeof buf, &x);
        if (n <= 0 || tl_series_line_parse(buf, (size_t)n - 1, &y) != 0)
            abort();
        if (memcmp(&x, &y, sizeof x) != 0)
            abort();
    }
    static struct tl_request r, back;
    if (tl_request_parse((const char *)data, size, &r) == 0) {
        char buf[TL_REQUEST_MAX];
        int n = tl_request_format(buf, sizeof buf, &r);
        if (n <= 0 || tl_request_parse(buf, (size_t)n, &back) != 0 ||
            strcmp(r.stem, back.stem) != 0 || r.formats != back.formats ||
            r.detail_threads != back.detail_threads)
            abort();
    }
    return 0;
}
