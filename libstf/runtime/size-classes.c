/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * size-classes.c - the small blocks' size classes (spans.h): each class's
 * object size, and the tables giving a request's class without a search
 * (block_class, size_class).
 */
#include <stdint.h>

#include "spans.h"

/* 16-byte steps up to 256 B, then 8 classes per doubling: a block
 * wastes at most 1/8 of its class (4 KiB blocks, a page each plus the
 * spare byte: 4,608 B, 5,120 B with 4 classes per doubling).  The second,
 * TRAILER_CLASS, is the first 32 B one's with the entries after the
 * objects (blocks of 16 to 24 B: block_class). */
const uint32_t stf__class_size[NCLASSES] = {
	16, 32, 32, 48, 64, 80, 96, 112, 128,
	144, 160, 176, 192, 208, 224, 240, 256,
	288, 320, 352, 384, 416, 448, 480, 512,
	576, 640, 704, 768, 832, 896, 960, 1024,
	1152, 1280, 1408, 1536, 1664, 1792, 1920, 2048,
	2304, 2560, 2816, 3072, 3328, 3584, 3840, 4096,
	4608, 5120, 5632, 6144, 6656, 7168, 7680, 8192,
	9216, 10240, 11264, 12288, 13312, 14336, 15360, 16384,
};

/* [i]: the class of 16 * i bytes: the first class of 16-byte steps, then
 * the one of its doubling (2^b < n <= 2^(b + 1)) and eighth; past the
 * first, one further for TRAILER_CLASS. */
#define LOG2_BELOW(n) (63 - __builtin_clzl((n) - 1))
#define CLASS_OF(n) ((n) <= 16 ? 0 : (n) <= 256 ? (((n) - 1) >> 4) + 1 : \
	17 + (LOG2_BELOW(n) - 8) * 8 + (((n) - 1 - (1UL << LOG2_BELOW(n))) >> (LOG2_BELOW(n) - 3)))
#define C1(i)   CLASS_OF(16UL * ((i) ? (i) : 1))
#define C4(i)   C1(i), C1((i) + 1), C1((i) + 2), C1((i) + 3)
#define C16(i)  C4(i), C4((i) + 4), C4((i) + 8), C4((i) + 12)
#define C64(i)  C16(i), C16((i) + 16), C16((i) + 32), C16((i) + 48)
#define C256(i) C64(i), C64((i) + 64), C64((i) + 128), C64((i) + 192)
const uint8_t stf__class_of16[SMALL_MAX / 16 + 1] = {
	C256(0), C256(256), C256(512), C256(768), C1(1024)
};
_Static_assert(SMALL_MAX == 16384, "stf__class_of16: 1,025 entries");

/* [n]: block_class(n), one byte left after the block: TRAILER_CLASS for
 * 16 to 24 bytes, else the class of n + 1. */
#define B1(n)   ((n) >= 16 && (n) <= STF_TRAILER_SIZE ? TRAILER_CLASS : CLASS_OF((n) + 1UL))
#define B4(n)   B1(n), B1((n) + 1), B1((n) + 2), B1((n) + 3)
#define B16(n)  B4(n), B4((n) + 4), B4((n) + 8), B4((n) + 12)
#define B64(n)  B16(n), B16((n) + 16), B16((n) + 32), B16((n) + 48)
#define B256(n) B64(n), B64((n) + 64), B64((n) + 128), B64((n) + 192)
const uint8_t stf__block_class_of[BYTE_CLASSES] = {
	B256(0), B256(256), B256(512), B256(768)
};
_Static_assert(BYTE_CLASSES == 1024, "stf__block_class_of: 1,024 entries");
