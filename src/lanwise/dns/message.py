"""A whole DNS message: header fields and the four sections (RFC 1035 §4.1)."""

from __future__ import annotations

from dataclasses import dataclass

from lanwise.dns.constants import Flag
from lanwise.dns.record import Question, Record
from lanwise.errors import UsageError

__all__ = ["Message"]

# Plain ints: ``int & IntFlag`` goes through the enum machinery (microseconds per
# test), and the engine reads these bits for every packet it receives.
_QR = int(Flag.QR)
_TC = int(Flag.TC)
_AA = int(Flag.AA)


@dataclass(frozen=True, slots=True)
class Message:
    """A parsed or to-be-built message.

    ``flags`` is the 16-bit header flags word (QR, opcode, AA, TC, RD, RA, Z,
    AD, CD, rcode), as :class:`~lanwise.dns.Flag` bits plus the opcode and
    rcode fields; the properties below read its parts.
    """

    id: int = 0
    flags: int = 0
    questions: tuple[Question, ...] = ()
    answers: tuple[Record, ...] = ()
    authorities: tuple[Record, ...] = ()
    additionals: tuple[Record, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.id, int) or not 0 <= self.id <= 0xFFFF:
            raise UsageError("id", "an integer from 0 to 65535", self.id)
        if not isinstance(self.flags, int) or not 0 <= self.flags <= 0xFFFF:
            raise UsageError("flags", "an integer from 0 to 65535", self.flags)
        object.__setattr__(self, "id", int(self.id))
        object.__setattr__(self, "flags", int(self.flags))  # a plain int, as parsed
        for section in ("questions", "answers", "authorities", "additionals"):
            value = getattr(self, section)
            if not isinstance(value, tuple):
                object.__setattr__(self, section, tuple(value))

    @property
    def is_response(self) -> bool:
        """QR bit: this is a response (RFC 1035 §4.1.1)."""
        return bool(self.flags & _QR)

    @property
    def is_truncated(self) -> bool:
        """TC bit; in an mDNS query, more known answers follow (RFC 6762 §7.2)."""
        return bool(self.flags & _TC)

    @property
    def authoritative(self) -> bool:
        """AA bit (RFC 6762 §18.4: set in every mDNS response)."""
        return bool(self.flags & _AA)

    @property
    def opcode(self) -> int:
        """The 4-bit opcode (RFC 6762 §18.3: mDNS messages use 0)."""
        return (self.flags >> 11) & 0xF

    @property
    def rcode(self) -> int:
        """The 4-bit response code (RFC 6762 §18.11: mDNS messages use 0)."""
        return self.flags & 0xF

    @property
    def records(self) -> tuple[Record, ...]:
        """Answers, authorities and additionals, in packet order."""
        return self.answers + self.authorities + self.additionals
