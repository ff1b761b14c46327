/* Version 2 of v1/deadlist22.c (see there). */
#define V2
#include "../v1/deadlist22.c"
