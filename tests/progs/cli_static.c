/* A static binary (linked with -static, see the Makefile): the preload
 * cannot work on it and threadleak run must say so. */
#include <stdio.h>

int main(void)
{
    puts("static");
    return 0;
}
