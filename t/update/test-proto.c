/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests of ttstd's wire format (ttstd/proto.h): encoding round trips,
 * every class of malformed input, bounded sizes, descriptor passing over a
 * real socket pair, and a deterministic fuzz of the parser.
 */
#include <check.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proto.h"

static struct ttst_msg m;
static struct ttst_msgbuf b;
static char err[256];

/* Parse the text s as a received message. */
static int parse(const char *s)
{
	size_t len = strlen(s);

	memcpy(m.buf, s, len);
	return ttst_msg_parse(&m, len, err, sizeof err);
}

START_TEST(round_trip)
{
	static const char *const vals[] = {
		"plain", "with space", "100%", "a=b", "line\nbreak", "", "\xc3\xa9t\xc3\xa9",
		"tab\there", "%41 is not decoded twice",
	};
	ttst_msg_init(&b);
	for (size_t i = 0; i < sizeof vals / sizeof *vals; i++)
		ttst_msg_add(&b, "arg", vals[i]);
	ttst_msg_addf(&b, "n", "%d", 42);
	ck_assert(!b.overflow);
	ck_assert_ptr_null(memchr(b.buf, '\n', b.len));
	ck_assert_int_eq(parse(b.buf), 0);
	ck_assert_int_eq(m.nfields, (int)(sizeof vals / sizeof *vals) + 1);
	for (size_t i = 0; i < sizeof vals / sizeof *vals; i++) {
		ck_assert_str_eq(m.key[i], "arg");
		ck_assert_str_eq(m.val[i], vals[i]);
	}
	ck_assert_str_eq(ttst_msg_get(&m, "arg"), "plain"); /* first of a repeated key */
	ck_assert_uint_eq(ttst_msg_u64(&m, "n", 0), 42);
	ck_assert_uint_eq(ttst_msg_u64(&m, "arg", 7), 7); /* not a number: default */
	ck_assert_uint_eq(ttst_msg_u64(&m, "missing", 9), 9);
}
END_TEST

START_TEST(hex_and_newline)
{
	ck_assert_int_eq(parse("root=0x7f00dead n=12\n"), 0);
	ck_assert_uint_eq(ttst_msg_u64(&m, "root", 0), 0x7f00deadULL);
	ck_assert_uint_eq(ttst_msg_u64(&m, "n", 0), 12);
	ck_assert_int_eq(parse(""), 0);
	ck_assert_int_eq(m.nfields, 0);
}
END_TEST

START_TEST(malformed)
{
	static const char *const bad[] = {
		"novalue", "=x", "Key=upper", "k-ey=1", "a=1 b", "a=%4", "a=%zz", "a=%00",
		"a=b\x01", "a=\xff",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		err[0] = '\0';
		ck_assert_msg(parse(bad[i]) < 0, "accepted '%s'", bad[i]);
		ck_assert_msg(err[0] != '\0', "no reason for '%s'", bad[i]);
	}
}
END_TEST

START_TEST(bounds)
{
	char big[TTST_MSG_MAX * 2];

	/* too many fields */
	size_t len = 0;
	for (int i = 0; i < TTST_MSG_FIELDS + 1; i++)
		len += (size_t)sprintf(big + len, "a=%d ", i);
	ck_assert_int_eq(parse(big), -1);
	ck_assert_ptr_nonnull(strstr(err, "fields"));
	/* too long */
	ck_assert_int_eq(ttst_msg_parse(&m, TTST_MSG_MAX + 1, err, sizeof err), -1);
	/* a builder that overflows says so and refuses to send */
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	ttst_msg_init(&b);
	ttst_msg_add(&b, "v", big);
	ck_assert(b.overflow);
	ck_assert_int_eq(ttst_msg_send(-1, &b, -1), -1);
	ck_assert_int_eq(errno, EMSGSIZE);
}
END_TEST

START_TEST(socket_pair)
{
	int sv[2], got, pipefd[2];
	char big[TTST_MSG_MAX + 100];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	ck_assert_int_eq(pipe(pipefd), 0);
	/* a message with a descriptor */
	ttst_msg_init(&b);
	ttst_msg_add(&b, "cmd", "serve");
	ck_assert_int_eq(ttst_msg_send(sv[0], &b, pipefd[1]), 0);
	ck_assert_int_eq(ttst_msg_recv(sv[1], &m, &got, err, sizeof err), 1);
	ck_assert_str_eq(ttst_msg_get(&m, "cmd"), "serve");
	ck_assert_int_ge(got, 0);
	ck_assert(fcntl(got, F_GETFD) & FD_CLOEXEC);
	ck_assert_int_eq(write(got, "z", 1), 1); /* really the pipe */
	char c;
	ck_assert_int_eq(read(pipefd[0], &c, 1), 1);
	ck_assert_int_eq(c, 'z');
	close(got);
	/* an oversized datagram is consumed and reported; the next one works */
	memset(big, 'a', sizeof big);
	ck_assert_int_eq(send(sv[0], big, sizeof big, 0), (ssize_t)sizeof big);
	ttst_msg_init(&b);
	ttst_msg_add(&b, "after", "1");
	ck_assert_int_eq(ttst_msg_send(sv[0], &b, -1), 0);
	ck_assert_int_eq(ttst_msg_recv(sv[1], &m, &got, err, sizeof err), -1);
	ck_assert_int_eq(errno, EBADMSG);
	ck_assert_ptr_nonnull(strstr(err, "longer"));
	ck_assert_int_eq(ttst_msg_recv(sv[1], &m, &got, err, sizeof err), 1);
	ck_assert_str_eq(ttst_msg_get(&m, "after"), "1");
	/* end of stream */
	close(sv[0]);
	ck_assert_int_eq(ttst_msg_recv(sv[1], &m, &got, err, sizeof err), 0);
	close(sv[1]);
	close(pipefd[0]);
	close(pipefd[1]);
}
END_TEST

/* Random inputs never crash the parser; whatever it accepts re-encodes to
 * a message that parses to the same fields. */
START_TEST(fuzz)
{
	static struct ttst_msg again;
	static const char alphabet[] = "ab_z09= %%\n\x01\xff=AF";

	srand(12345);
	for (int iter = 0; iter < 200000; iter++) {
		size_t len = (size_t)rand() % 64;
		for (size_t i = 0; i < len; i++)
			m.buf[i] = rand() % 4 ? alphabet[rand() % (sizeof alphabet - 1)] : (char)rand();
		if (ttst_msg_parse(&m, len, err, sizeof err) < 0)
			continue;
		ttst_msg_init(&b);
		for (int i = 0; i < m.nfields; i++)
			ttst_msg_add(&b, m.key[i], m.val[i]);
		memcpy(again.buf, b.buf, b.len);
		ck_assert_int_eq(ttst_msg_parse(&again, b.len, err, sizeof err), 0);
		ck_assert_int_eq(again.nfields, m.nfields);
		for (int i = 0; i < m.nfields; i++) {
			ck_assert_str_eq(again.key[i], m.key[i]);
			ck_assert_str_eq(again.val[i], m.val[i]);
		}
	}
}
END_TEST

/* What ttst-ctl and ttstd accept as --fault: the kinds, phases and points
 * libstf/fault.c parses. */
START_TEST(fault_specs)
{
	static const char *const ok[] = { "crash", "hang@backward", "leak@forward",
		"corrupt-value:0", "corrupt-pointer@backward:99", "skip-write@forward:123456",
		"wake-library" };
	static const char *const bad[] = { "", "crash@", "crash:1", "leak@backward:2",
		"corrupt-value:", "corrupt-value:1x", "corrupt-value@sideways:1",
		"corrupt-value@forwardx", "corrupt-value:1:2", "explode:1", "wake-library:1" };
	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
		ck_assert_msg(ttst_fault_ok(ok[i]), "%s refused", ok[i]);
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		ck_assert_msg(!ttst_fault_ok(bad[i]), "%s accepted", bad[i]);
}
END_TEST

START_TEST(names)
{
	ck_assert(ttst_name_ok("kvd"));
	ck_assert(ttst_name_ok("kvd-1.0_a"));
	ck_assert(!ttst_name_ok(""));
	ck_assert(!ttst_name_ok(".hidden"));
	ck_assert(!ttst_name_ok("a/b"));
	ck_assert(!ttst_name_ok("a b"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("proto");
	TCase *tc = tcase_create("proto");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, round_trip);
	tcase_add_test(tc, hex_and_newline);
	tcase_add_test(tc, malformed);
	tcase_add_test(tc, bounds);
	tcase_add_test(tc, socket_pair);
	tcase_add_test(tc, fuzz);
	tcase_add_test(tc, names);
	tcase_add_test(tc, fault_specs);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
