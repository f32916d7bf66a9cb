/* The flags of guard.h, in the bottom layer: every other file may read
 * them without depending on the one that sets them. */
#include "preload/guard.h"

TL_HIDDEN __thread int tl_busy;
TL_HIDDEN __thread int tl_exiting;
TL_HIDDEN int tl_enabled;
