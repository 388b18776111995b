"""The integrator's application code: it knows only the vendors' real base URLs."""

from __future__ import annotations

import httpx

CAPILLARY = "https://eu.api.capillarytech.com"
MESSANGI = "https://elastic.messangi.me"
SYMPLIFY = "https://eu-proxy-1.symplifymail.com/rest"


def send_shipping_sms(auth: dict[str, str], mobile: str) -> httpx.Response:
    return httpx.post(
        f"{CAPILLARY}/v2/communications/sendMessage?channel=sms",
        json={"sms": [{"to": mobile, "body": "Your order has shipped"}]},
        headers=auth,
    )


async def send_promo_sms(auth: dict[str, str], sender: str, to: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=MESSANGI) as client:
        return await client.post(
            "/raven/v2/messages",
            json={"from": sender, "to": to, "text": "20% off", "type": "MT"},
            headers=auth,
        )


def pause_newsletter(token: dict[str, str], account: str, original_id: str, until: str) -> int:
    with httpx.Client(base_url=SYMPLIFY, headers=token) as client:
        answer = client.put(
            f"/{account}/lists/contacts/tempblock",
            json={
                "findBy": "ORIGINALID",
                "listId": "-1",
                "searchValue": original_id,
                "blockUntil": until,
            },
        )
        return answer.status_code


def send_newsletter(token: dict[str, str], account: str, list_id: str) -> int:
    with httpx.Client(base_url=SYMPLIFY, headers=token) as client:
        answer = client.post(
            f"/{account}/lists/{list_id}/send", json={"subject": "News", "body": "Hello"}
        )
        return answer.status_code
