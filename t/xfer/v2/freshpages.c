/* Version 2 of v1/freshpages.c (see there). */
#define V2
#include "../v1/freshpages.c"
