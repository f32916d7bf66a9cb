/* Facts about the host process, read once. */
#ifndef THREADLEAK_PROGRAM_H
#define THREADLEAK_PROGRAM_H

#include "preload/visibility.h"

TL_HIDDEN void tl_program_init(void);
TL_HIDDEN const char *tl_program_name(void); /* argv[0] */
/* The name every thread has until one is given: the executable's, as the
 * kernel set it at exec (a group with it shows no name). */
TL_HIDDEN const char *tl_program_comm(void);

#endif
