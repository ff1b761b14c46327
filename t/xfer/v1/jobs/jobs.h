/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef JOBS_H
#define JOBS_H

struct job {
	int id;
	int left;
	struct job *next;
};

extern struct job *queue;
extern int total_left;
void work_done(struct job *j);
unsigned work_calls(void);
void jobs_init(void);

#endif
