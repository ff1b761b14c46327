/* Version 2 of v1/huntb23-arenareuse.c (see there). */
#define V2
#include "../v1/huntb23-arenareuse.c"
