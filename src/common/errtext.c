// SPDX-License-Identifier: MIT
/* errtext(): the errno values a connection through a proxy ends with. */
#include "config.h"

#include <errno.h>
#include <stddef.h>

#include "common/errtext.h"

const char *errtext(int err)
{
	switch (err) {
	case ECONNREFUSED:
		return "connection refused";
	case ETIMEDOUT:
		return "timed out";
	case ENETUNREACH:
		return "network unreachable";
	case EHOSTUNREACH:
		return "host unreachable";
	case ECONNRESET:
		return "connection reset";
	case EACCES:
		return "not allowed";
	case EPERM:
		return "operation not permitted";
	case EOPNOTSUPP:
		return "command not supported";
	case EAFNOSUPPORT:
		return "address type not supported";
	case EADDRNOTAVAIL:
		return "address not available";
	case ENOMEM:
		return "out of memory";
	case EMFILE:
	case ENFILE:
		return "too many open files";
	case EPIPE:
		return "connection closed";
	case EPROTO:
		return "protocol error";
	case EINTR:
		return "interrupted";
	default:
		return NULL;
	}
}
