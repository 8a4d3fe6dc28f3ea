// SPDX-License-Identifier: MIT
/* JSON record of a routed connection (see log_route.h). */
#include "config.h"

#include <stdio.h>
#include <unistd.h>

#include "common/jsonw.h"
#include "common/log.h"
#include "preload/init.h"
#include "preload/log_route.h"

void log_route_json(const struct log_route *r)
{
	char buf[2048], route[300];
	struct jsonw w;

	log_json_begin(&w, buf, sizeof(buf), "connection");
	jsonw_str(&w, "program", socksify_program());
	jsonw_str(&w, "dst", r->dst);
	if (r->route_line > 0)
		snprintf(route, sizeof(route), "%.250s:%d",
			 r->route_file ? r->route_file : "?", r->route_line);
	else
		snprintf(route, sizeof(route), "%.250s",
			 r->route_file ? r->route_file : "?");
	jsonw_str(&w, "route", route);
	jsonw_str(&w, "via", r->via);
	jsonw_str(&w, "proxy", r->proxy);
	jsonw_str(&w, "result", r->result);
	jsonw_i64(&w, "errno", r->err);
	jsonw_secs(&w, "duration", r->ms);
	log_json_emit(r->err ? LOG_LVL_ERR * 16 + 5 : LOG_LVL_INFO * 16 + 2,
		      &w);
}
