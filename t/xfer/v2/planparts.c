/* Version 2 of v1/planparts.c (see there). */
#define V2
#include "../v1/planparts.c"
