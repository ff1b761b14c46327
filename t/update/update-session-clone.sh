#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# update-session.sh with session processes made by a raw clone(), as
# vsftpd's isolate=YES makes them (syscall(SYS_clone, CLONE_NEWPID |
# CLONE_NEWIPC | SIGCHLD, NULL) as root: each session is pid 1 of a pid
# namespace of its own): libstf makes such a clone a fork, so the sessions
# are processes of the tree like forked ones (listed, kept on their
# version, their listener retired until they end, stopped with the tree).
SESSION_CFLAGS=-DRAW_CLONE
export SESSION_CFLAGS
exec sh "${TSRC:-.}/update-session.sh"
