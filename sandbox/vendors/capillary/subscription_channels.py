"""Capillary's subscription channels: one table, which every list of them derives from (the
store's and the fixture's names, the change log's ids, what the reads show, which channels
decide sends).

The engine's subscription rule reads the preferences of the channels in
`sandbox.engine.rules.SUBSCRIPTION_CHANNEL` (MOBILE for SMS, EMAIL for e-mail): those are the
ruled channels, each with the message channel it decides (and #14 notifies on). The others are
recorded and read back, and decide no send.
"""

from __future__ import annotations

from dataclasses import dataclass

from sandbox.engine import Channel
from sandbox.engine.rules import SUBSCRIPTION_CHANNEL


@dataclass(frozen=True)
class SubscriptionChannel:
    # as Capillary's v2 enum spells it, and as the store keeps it
    name: str
    # its `commChannelId` in the subscription change log: mobile 1 and whatsapp 9 are in
    # Capillary's example, the others the sandbox's (x-sandbox-assumed)
    log_id: int
    # as the v1.1 and v2 reads show it (MOBILE reads SMS)
    shown: str

    @property
    def sends(self) -> Channel | None:
        """The message channel whose sends its preference decides; None: recorded only."""
        return _SENDS.get(self.name)


# Capillary's documented order (update-subscription-details' channel enum)
CHANNELS = (
    SubscriptionChannel("MOBILE", 1, "SMS"),
    SubscriptionChannel("EMAIL", 2, "EMAIL"),
    SubscriptionChannel("wechat", 3, "wechat"),
    SubscriptionChannel("whatsapp", 9, "whatsapp"),
    SubscriptionChannel("ios", 4, "ios"),
    SubscriptionChannel("android", 5, "android"),
    SubscriptionChannel("line", 6, "line"),
)
BY_NAME = {channel.name: channel for channel in CHANNELS}
NAMES = tuple(BY_NAME)
_SENDS = {name: channel for channel, name in SUBSCRIPTION_CHANNEL.items()}
if not set(_SENDS) <= set(NAMES):  # (a rule on a channel Capillary does not document)
    raise ValueError(f"ruled subscription channels not in the table: {set(_SENDS) - set(NAMES)}")


def ruled() -> tuple[SubscriptionChannel, ...]:
    """The channels whose preferences decide sends, in the table's order."""
    return tuple(channel for channel in CHANNELS if channel.sends is not None)


def recorded_only() -> tuple[SubscriptionChannel, ...]:
    """The channels whose preferences are recorded and decide nothing, in the table's order."""
    return tuple(channel for channel in CHANNELS if channel.sends is None)


# a channel as a request or a fixture may name it, in any case (v1.1 writes MOBILE `sms`)
SPELLINGS = {
    **{channel.shown.lower(): channel.name for channel in ruled()},
    **{channel.name.lower(): channel.name for channel in CHANNELS},
}
