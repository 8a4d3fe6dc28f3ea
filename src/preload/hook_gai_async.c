/* SPDX-License-Identifier: MIT */
/*
 * getaddrinfo_a, gai_suspend, gai_cancel (glibc's asynchronous lookups).
 * glibc runs them on its own threads through its internal getaddrinfo,
 * which our getaddrinfo hook never sees: a name routed via a proxy would
 * go to DNS.  So every request is served here, synchronously, by our
 * getaddrinfo (fake addresses, direct names resolved by libc, denials),
 * before getaddrinfo_a returns:
 *
 *   - each gaicb gets ar_result and its status (what gai_error() reads;
 *     glibc's gai_error only reads that field, so it needs no hook);
 *   - GAI_WAIT returns 0 when the requests are done (their own results
 *     say how each went), as glibc;
 *   - GAI_NOWAIT notifies once all are done, as sevp asks: SIGEV_NONE
 *     nothing, SIGEV_SIGNAL sigqueue() of sigev_signo with sigev_value to
 *     this process (before getaddrinfo_a returns), SIGEV_THREAD a new
 *     detached thread running sigev_notify_function(sigev_value) with
 *     sigev_notify_attributes;
 *   - gai_suspend returns 0 at once when a listed request is done
 *     (EAI_ALLDONE when the list holds none), gai_cancel says EAI_ALLDONE
 *     for a done request; requests libc itself still runs (only from
 *     library code, under the re-entry guard) go to the real functions.
 *
 * The cost: a direct name is resolved on the caller's thread, so
 * GAI_NOWAIT blocks for it as long as getaddrinfo() would.
 */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/log.h"
#include "preload/hooks.h"
#include "preload/init.h"
#include "preload/real.h"

/* A SIGEV_THREAD notification on its way. */
struct gai_note {
	void (*fn)(union sigval);
	union sigval val;
};

static void *gai_note_thread(void *arg)
{
	struct gai_note n = *(struct gai_note *)arg;

	free(arg);
	n.fn(n.val);
	return NULL;
}

/*
 * Notify as @sev asks that the requests are done.  Returns 0 or -errno
 * (the signal or the thread could not be made).
 */
static int gai_notify(const struct sigevent *sev)
{
	struct gai_note *n;
	pthread_t t;
	int rc;

	if (sev == NULL || sev->sigev_notify == SIGEV_NONE)
		return 0;
	if (sev->sigev_notify == SIGEV_SIGNAL)
		return sigqueue(getpid(), sev->sigev_signo, sev->sigev_value)
			       ? -errno
			       : 0;
	if (sev->sigev_notify != SIGEV_THREAD ||
	    sev->sigev_notify_function == NULL)
		return -EINVAL;
	n = malloc(sizeof(*n));
	if (n == NULL)
		return -ENOMEM;
	n->fn = sev->sigev_notify_function;
	n->val = sev->sigev_value;
	rc = pthread_create(&t, sev->sigev_notify_attributes, gai_note_thread,
			    n);
	if (rc != 0) {
		free(n);
		return -rc;
	}
	pthread_detach(t);
	return 0;
}

SOCKSIFY_EXPORT int getaddrinfo_a(int mode, struct gaicb *list[], int nitems,
				  struct sigevent *sevp)
{
	int saved = errno, i, rc;

	HOOK_INIT(getaddrinfo);
	if (hook_passthrough()) {
		if (real.getaddrinfo_a == NULL) {
			errno = ENOSYS;
			return EAI_SYSTEM;
		}
		return real.getaddrinfo_a(mode, list, nitems, sevp);
	}
	if ((mode != GAI_WAIT && mode != GAI_NOWAIT) || nitems < 0 ||
	    (nitems > 0 && list == NULL)) {
		errno = EINVAL;
		return EAI_SYSTEM;
	}
	for (i = 0; i < nitems; i++) {
		struct gaicb *r = list[i];

		if (r == NULL)
			continue;
		r->ar_result = NULL;
		r->__return = getaddrinfo(r->ar_name, r->ar_service,
					  r->ar_request, &r->ar_result);
	}
	if (mode == GAI_NOWAIT) {
		rc = gai_notify(sevp);
		if (rc < 0)
			LOG_ERR("getaddrinfo_a: the lookups are done but the "
				"notification could not be sent (errno %d)",
				-rc);
	}
	errno = saved;
	return 0;
}

SOCKSIFY_EXPORT int gai_suspend(const struct gaicb *const list[], int nitems,
				const struct timespec *timeout)
{
	bool listed = false, running = false;
	int i;

	HOOK_INIT(getaddrinfo);
	for (i = 0; list != NULL && i < nitems; i++) {
		if (list[i] == NULL)
			continue;
		listed = true;
		if (list[i]->__return != EAI_INPROGRESS)
			return 0;
		running = true;
	}
	if (running && real.gai_suspend != NULL)
		return real.gai_suspend(list, nitems, timeout);
	return listed && running ? EAI_SYSTEM : EAI_ALLDONE;
}

SOCKSIFY_EXPORT int gai_cancel(struct gaicb *req)
{
	HOOK_INIT(getaddrinfo);
	if (req != NULL && req->__return != EAI_INPROGRESS)
		return EAI_ALLDONE;
	if (real.gai_cancel == NULL)
		return EAI_ALLDONE;
	return real.gai_cancel(req);
}
