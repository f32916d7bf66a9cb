/* Which of the library's symbols other objects see. The library is built
 * with -fvisibility=hidden; TL_HIDDEN says so where a declaration is shared
 * between its files (no PLT call, no relocation a program could
 * interpose), TL_EXPORT marks the wrappers and the API. */
#ifndef THREADLEAK_VISIBILITY_H
#define THREADLEAK_VISIBILITY_H

#define TL_HIDDEN __attribute__((visibility("hidden")))
#define TL_EXPORT __attribute__((visibility("default")))

#endif
