/*
 * philoop.c - a loop left by many `continue`s (OpenSSH's moduli.c,
 * prime_test()): the pointer the calls pass is a phi whose arguments are
 * phis of it again, 24 ways at each step.  The plugin follows what each
 * pointer was derived from (gcc-plugin/byte-reads.cc); walked without
 * remembering where it has been, this unit compiled for minutes.
 */
extern const char *const names[];
void use(const char *name);
int scan(int n);

#define SKIP(i, ch)                 \
	if (cur[(i) % 4] == (ch)) { \
		use(cur);           \
		continue;           \
	}

int scan(int n)
{
	const char *cur = names[0];
	int found = 0;

	for (int i = 0; i < n; i++) {
		SKIP(0, 'a') SKIP(1, 'b') SKIP(2, 'c') SKIP(3, 'd')
		SKIP(4, 'e') SKIP(5, 'f') SKIP(6, 'g') SKIP(7, 'h')
		SKIP(8, 'i') SKIP(9, 'j') SKIP(10, 'k') SKIP(11, 'l')
		SKIP(12, 'm') SKIP(13, 'n') SKIP(14, 'o') SKIP(15, 'p')
		SKIP(16, 'q') SKIP(17, 'r') SKIP(18, 's') SKIP(19, 't')
		SKIP(20, 'u') SKIP(21, 'v') SKIP(22, 'w') SKIP(23, 'x')
		found++;
		cur = names[found];
	}
	return found;
}
