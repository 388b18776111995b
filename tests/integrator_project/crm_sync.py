"""More of the integrator's application code: the same vendors through requests, urllib3 and
sbcommons (the Symplify client on PyPI), with their real base URLs."""

from __future__ import annotations

from typing import Any

import requests
import urllib3
from requests.adapters import HTTPAdapter

CAPILLARY = "https://eu.api.capillarytech.com"
MESSANGI = "https://elastic.messangi.me"


def send_receipt_sms(auth: dict[str, str], mobile: str) -> requests.Response:
    """requests, on a session whose adapter retries a 503 (urllib3's Retry)."""
    retry = urllib3.Retry(total=2, status_forcelist=[503], allowed_methods=None, backoff_factor=0)
    with requests.Session() as session:
        session.mount("https://", HTTPAdapter(max_retries=retry))
        return session.post(
            f"{CAPILLARY}/v2/communications/sendMessage?channel=sms",
            json={"sms": [{"to": mobile, "body": "Your receipt"}]},
            headers=auth,
        )


def send_alert_sms(auth: dict[str, str], sender: str, to: str) -> urllib3.BaseHTTPResponse:
    """urllib3 itself."""
    return urllib3.PoolManager().request(
        "POST",
        f"{MESSANGI}/raven/v2/messages",
        json={"from": sender, "to": to, "text": "Alert", "type": "MT"},
        headers=auth,
    )


def _symplify(token: str, account: str, list_id: int) -> Any:
    from sbcommons.crm.symplify.client import SymplifyClient  # as it is: its own base URL

    return SymplifyClient(token, account, list_id=list_id, delimiter=",")


def import_newsletter_list(token: str, account: str, list_id: int, csv: bytes) -> bool:
    """sbcommons' SymplifyClient (http://www.carmamail.com:80/rest/) replaces the list's
    contacts with the CSV's."""
    with _symplify(token, account, list_id) as client:
        return bool(client.post_list_sync(csv, import_type="REPLACE"))


def clean_newsletter_list(token: str, account: str, list_id: int) -> bool:
    with _symplify(token, account, list_id) as client:
        return bool(client.clean_list())
