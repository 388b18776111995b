"""The application the documents' pytest examples test (`import my_app` stands for yours): it
knows only Capillary's real host, and tries a send again when the vendor answers 5xx."""

from __future__ import annotations

import httpx

TRIES = 3


def send_shipping_sms(to: str, *, base_url: str, auth: dict[str, str]) -> httpx.Response:
    for _ in range(TRIES):
        answer = httpx.post(
            f"{base_url}/v2/communications/sendMessage?channel=sms",
            json={"sms": [{"to": to, "body": "Your order has shipped"}]},
            headers=auth,
        )
        if answer.status_code < 500:
            break
    return answer
