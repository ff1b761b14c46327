/* Version 2 of v1/huntb23-packtyped.c (see there). */
#define V2
#include "../v1/huntb23-packtyped.c"
