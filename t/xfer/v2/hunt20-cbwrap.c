/* Version 2 of v1/hunt20-cbwrap.c (see there). */
#define V2
#include "../v1/hunt20-cbwrap.c"
