"""Rate limits of the web chat, per visitor and per address, over a moving window (the `limits` library).

Kept in this process's memory: each replica limits what reaches it, which is what protects it; R replicas
behind a load balancer let one visitor or address make up to R times each allowance, and a restart starts the
counts again (docs/security.md, "Throttles", gives the exact effect).
"""

from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter


@dataclass(frozen=True)
class WebLimits:
    """How much one visitor and one address may do."""

    per_visitor: str = "20/minute"  # messages and presses of one visitor
    per_address: str = "60/minute"  # messages and presses from one address, all visitors together
    new_visitors_per_address: str = "10/hour"


class Limiter:
    """Answers "may this go ahead?" and counts it if so."""

    def __init__(self, limits: WebLimits = WebLimits()) -> None:
        self._window = MovingWindowRateLimiter(MemoryStorage())
        self._per_visitor: RateLimitItem = parse(limits.per_visitor)
        self._per_address: RateLimitItem = parse(limits.per_address)
        self._new_visitors: RateLimitItem = parse(limits.new_visitors_per_address)

    def message(self, *, visitor_id: int, address: str) -> bool:
        """A message or press of this visitor from this address (both windows must have room)."""
        if not self._window.test(self._per_visitor, "visitor", str(visitor_id)):
            return False
        if not self._window.hit(self._per_address, "address", address):
            return False
        return self._window.hit(self._per_visitor, "visitor", str(visitor_id))

    def new_visitor(self, *, address: str) -> bool:
        """A new visitor token asked for from this address."""
        return self._window.hit(self._new_visitors, "new", address)
