#!/bin/sh
# Prints which of the Debian packages given as PACKAGE:PROBE are missing: the
# probe is a header $CC $CPPFLAGS cannot include (it ends in .h) or a command
# not in PATH. Plain make runs this on every invocation, so it is cheap: one
# preprocessor run when every header is there.
cc=${CC:-cc}
command -v ${cc%% *} >/dev/null 2>&1 || { echo gcc; exit 0; }
missing='' headers=''
for d; do
    case ${d#*:} in
    *.h) headers="$headers $d" ;;
    *) command -v "${d#*:}" >/dev/null 2>&1 || missing="$missing ${d%%:*}" ;;
    esac
done
includes() { for d; do printf '#include <%s>\n' "${d#*:}"; done; }
# $cc and $CPPFLAGS unquoted: they may hold several words.
if [ -n "$headers" ] && ! includes $headers | $cc $CPPFLAGS -E -x c - >/dev/null 2>&1; then
    for d in $headers; do
        includes "$d" | $cc $CPPFLAGS -E -x c - >/dev/null 2>&1 || missing="$missing ${d%%:*}"
    done
fi
echo $missing
