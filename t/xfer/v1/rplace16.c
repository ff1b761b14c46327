/* SPDX-License-Identifier: GPL-3.0-or-later */
/* memcached's per-thread logger, the way its startup makes it in every
 * version (no stf_is_updating() guard): a typed block in a static, also
 * the value of a pthread key (a word the transfer does not rewrite: it
 * pins what it points to).  The old logger is transferred in place into
 * the new startup's (the static points to both), so it lives in the new
 * version's heap, where the library's block points to it: the way back
 * must create it at that address in the reversed version, whose own
 * startup made its logger at the same place of its heap if its heap
 * were where the new version's is (it rolled back: "File exists"). */
#include <poll.h>
#include <pthread.h>
#include "xt.h"

struct logger {
	struct logger *prev, *next;
	pthread_mutex_t mutex;
	unsigned long written;
	char name[16];
};

struct logger *current_logger;  /* not static: kept at -O2 */
static pthread_key_t logger_key;

static void make_logger(void)
{
	current_logger = calloc(1, sizeof(*current_logger));
	pthread_mutex_init(&current_logger->mutex, NULL);
	pthread_key_create(&logger_key, NULL);
	pthread_setspecific(logger_key, current_logger);
}

static void serve(void)
{
	current_logger->written = 12345;
	strcpy(current_logger->name, "worker log");
}

/* A running version parks in its loop's callback of the update
 * descriptor (memcached's, called by libevent), a starting one at the
 * top of its loop: the thread-specific data, labelled by the function
 * holding the point, is not paired forward (the old version's slot goes
 * to no one, and the new version's keeps pointing to its logger, where
 * the old one went), but is backward (the new version and the reversed
 * one both park in main). */
static void on_update(void)
{
	stf_update_point();
}

static void loop(void)
{
	struct pollfd pfd = { stf_update_fd(), POLLIN, 0 };
	for (;;) {
		stf_update_point();
#ifdef V2
		/* started by the update: it committed */
		CHECK(current_logger->written == 12345);
		CHECK(strcmp(current_logger->name, "worker log") == 0);
		CHECK(pthread_getspecific(logger_key) == current_logger);
		XT_V2_RESULT();
#endif
		if (poll(&pfd, 1, -1) > 0)
			on_update();
	}
}

int main(void)
{
	make_logger();
	if (!stf_is_updating())
		serve();
	loop();
}
