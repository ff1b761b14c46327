/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef JOBS_H
#define JOBS_H

struct job {
	struct job *next;
	long left;
	const char *owner;
	int id;
};

extern struct job *queue;
extern long total_left;
void work_done(struct job *j);
unsigned long work_calls(void);
unsigned long work_done_for(int id);
struct job *job_by_id(int id);
void jobs_init(void);

#endif
