/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * update-points.h - update-point frames: the locals of a function that
 * holds an update point, passed to libstf by address.
 */
#ifndef STF_UPDATE_POINTS_H
#define STF_UPDATE_POINTS_H

#include "types.h"

/* PLUGIN_PRE_GENERICIZE callback: rewrites each stf__update_point() call of
 * a function into stf__update_point_frame(&unit, frame, &local...). */
void stf_rewrite_update_points (void *gcc_data, void *user_data);

/* Add the frame and local records. */
void stf_collect_frames (stf_blob &blob, stf_types &types);

#endif /* STF_UPDATE_POINTS_H */
