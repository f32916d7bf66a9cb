/* A symbol table name as a dump shows it. */
#ifndef THREADLEAK_SYMBOL_NAME_H
#define THREADLEAK_SYMBOL_NAME_H

/* "__libc_start_main@@GLIBC_2.34" without its version; C++ and Rust (legacy
 * and v0) names demangled, without parameter lists. malloc'd; NULL for NULL
 * or when out of memory. */
char *tl_symbol_name(const char *raw);

#endif
