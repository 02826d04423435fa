"""Schemathesis hooks for `cargo xtask test` (loaded through SCHEMATHESIS_HOOKS=nno_hooks).

Every request gets its own client address in `cf-connecting-ip`, the header the gateway
reads the client IP from (Cloudflare sets it in production; locally the caller does).
The per-IP limits on the authentication endpoints (3 per 10 s, 10 per minute) then meet
each generated request once, so the run exercises the endpoints instead of collecting
429s, while the limits themselves stay exactly as production enforces them (the
end-to-end suite tests them). The addresses come from 10.0.0.0/8, starting at a random
point so that runs one after another within a window do not reuse each other's.
"""

import itertools
import random

import schemathesis

_next = itertools.count(random.randrange(1 << 23))


def _address() -> str:
    n = next(_next) % (1 << 24)
    return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


@schemathesis.hook
def before_call(context, case, **kwargs):
    if case.headers is None:
        case.headers = {}
    case.headers["cf-connecting-ip"] = _address()
