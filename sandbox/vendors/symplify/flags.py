"""A contact's opt-outs and bounces, one table: each flag as stored (only when set), as the
ContactDTO names it, the channel it concerns, the listing it puts the contact in
(`GET .../contacts/{unsubscribed|bounced}`), the date the server stamps when it is set (epoch
ms, dropped with the flag), that date's ContactDTO name, and how the web outbox reads it.
Everything that reads or writes a flag derives what it needs from FLAGS.

Opt-outs are set by calls (the update, POST .../contacts, a trigger's optOut, an import's
column); a bounce is state a tenant document declares (the sandbox delivers nothing, so
nothing bounces by itself). A mobile bounce is dated like the others (`mobile_invalidated`),
but no ContactDTO field for that date is published (Symplify's has `dateOfInvalidation` for
the e-mail address only): the web outbox and `lastbounce` show it, the ContactDTO does not.
"""

from __future__ import annotations

from typing import NamedTuple

from sandbox.engine import Channel


class Flag(NamedTuple):
    stored: str  # the contact's field, stored only when set
    dto: str  # its ContactDTO name
    channel: Channel
    listing: str  # the listing it puts the contact in: "unsubscribed" or "bounced"
    dated: str  # the stored field of the date it was set (epoch ms)
    dto_date: str | None  # that date's ContactDTO name (None: none is published)
    label: str  # how the web outbox reads it


FLAGS = (
    Flag(
        "unsubscribed",
        "unsubscribed",
        Channel.EMAIL,
        "unsubscribed",
        "opt_out_date",
        "optOutDate",
        "opted out of e-mail",
    ),
    Flag(
        "mobile_unsubscribed",
        "mobileUnsubscribed",
        Channel.SMS,
        "unsubscribed",
        "opt_out_mobile_date",
        "optOutMobileDate",
        "opted out of SMS",
    ),
    Flag(
        "bounced",
        "bounced",
        Channel.EMAIL,
        "bounced",
        "invalidated",
        "dateOfInvalidation",
        "e-mail bounced",
    ),
    Flag(
        "mobile_bounced",
        "mobileBounced",
        Channel.SMS,
        "bounced",
        "mobile_invalidated",
        None,
        "SMS bounced",
    ),
)
# the flags by listing, then by channel: OF["unsubscribed"][Channel.SMS] is mobileUnsubscribed
OF: dict[str, dict[Channel, Flag]] = {}
for _flag in FLAGS:
    OF.setdefault(_flag.listing, {})[_flag.channel] = _flag
# a channel's opt-out (what the decision's contact opt-out rule reads), and its bounce
OPT_OUTS = OF["unsubscribed"]
BOUNCES = OF["bounced"]
# the fields a contact has none of unless it opted out or bounced
STORED = frozenset(flag.stored for flag in FLAGS)
