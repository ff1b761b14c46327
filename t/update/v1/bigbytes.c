/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A program with few heap objects but many bytes: 16 blocks of 4 MiB kept
 * behind `void *` (untyped memory, classified word by word by an update),
 * each word holding a small number.  When the file argv[1] exists the sum
 * of the words is written to argv[2]; argv[2] is written once the state is
 * built, too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <stf.h>

#define NBLOCKS 16
#define WORDS (4 << 20) / sizeof(long)

static void *blocks[NBLOCKS];

static void report(const char *path)
{
	long sum = 0;
	for (int b = 0; b < NBLOCKS; b++)
		for (size_t w = 0; w < WORDS; w++)
			sum += ((long *)blocks[b])[w];
	FILE *out = fopen(path, "w");
	if (out) {
		fprintf(out, "%ld\n", sum);
		fclose(out);
	}
}

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	if (!stf_is_updating()) {
		for (int b = 0; b < NBLOCKS; b++) {
			blocks[b] = malloc(WORDS * sizeof(long));
			if (!blocks[b])
				return 1;
			for (size_t w = 0; w < WORDS; w++)
				((long *)blocks[b])[w] = w % 1000;
		}
		report(argv[2]);
	}
	for (;;) {
		stf_update_point();
		if (access(argv[1], F_OK) == 0) {
			report(argv[2]);
			unlink(argv[1]);
		}
		usleep(10000);
	}
}
