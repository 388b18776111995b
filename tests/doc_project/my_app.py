"""The application the documents' pytest examples test (`import my_app` stands for yours): it
knows only Capillary's real host, takes the credentials as httpx's `auth=` (as the tenant's
`capillary_auth()` is one), and tries a send again when the vendor answers 5xx."""

from __future__ import annotations

import httpx

TRIES = 3


def send_shipping_sms(to: str, *, base_url: str, auth: httpx.Auth) -> httpx.Response:
    for _ in range(TRIES):
        answer = httpx.post(
            f"{base_url}/v2/communications/sendMessage?channel=sms",
            json={"sms": [{"to": to, "body": "Your order has shipped"}]},
            auth=auth,
        )
        if answer.status_code < 500:
            break
    return answer
