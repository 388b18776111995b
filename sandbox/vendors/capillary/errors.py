"""Capillary's error envelopes and one exception class per documented error code."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sandbox.errors import ApiError, Unauthorized, register_envelope

# v1.1 request-level messages (docs: "API status codes")
V11_MESSAGES = {
    400: "Input is invalid, Please check request parameters or input xml/json",
    401: "Please check your username/password or authentication token",
    404: "Incorrect resource",
    405: "Incorrect HTTP Method",
    413: "Input is invalid, Please check request parameters or input xml/json",
}


@register_envelope("capillary-v1.1")
def render_v11(error: ApiError, now: datetime | None = None) -> dict[str, Any]:
    """`{"response": {"status": {...}}}`; the message names the field."""
    message = error.message
    prefix = V11_MESSAGES.get(error.http_status)
    if prefix and prefix not in message:
        message = f"{prefix}: {message}"
    return {
        "response": {"status": {"success": "false", "code": error.http_status, "message": message}}
    }


@register_envelope("capillary-v2")
def render_v2(error: ApiError, now: datetime | None = None) -> dict[str, Any]:
    """`{"errors": [{"status": false, "code", "message"}], "warnings": []}`."""
    return {"errors": [v2_error(error)], "warnings": []}


@register_envelope("capillary-oauth")
def render_oauth(error: ApiError, now: datetime | None = None) -> dict[str, Any]:
    return {"data": None, "errors": [{"code": error.http_status, "message": error.message}]}


def v2_error(error: ApiError) -> dict[str, Any]:
    code = error.vendor_code if error.vendor_code is not None else error.http_status
    return {"status": False, "code": int(code), "message": error.message}


def item_status(
    error: ApiError | None, success_code: int, success_message: str, *, customer_api: bool = False
) -> dict[str, Any]:
    """A v1.1 `item_status`: the item's own success or failure. The customer APIs' examples
    write the code as a string and add an empty warnings list; the others use a number."""
    if error is None:
        status: dict[str, Any] = {
            "success": "true",
            "code": success_code,
            "message": success_message,
        }
    else:
        code = error.vendor_code if error.vendor_code is not None else error.http_status
        status = {"success": "false", "code": int(code), "message": error.message}
    if customer_api:
        status["code"] = str(status["code"])
        status["warnings"] = {"warning": []}
    return status


class CapillaryError(ApiError):
    status = 400


class CredentialsRejected(Unauthorized):
    default_message = "Authentication failed. Please check username and password."


class TokenExpired(Unauthorized):
    code = 498
    default_message = "Token expired"


class OAuthFailed(Unauthorized):
    default_message = "Failed to generate OAuth token"


# --- customers (v2 8xxx, v1.1 1xxx) ------------------------------------------------------


class NoValidIdentifiers(CapillaryError):
    code = 8005
    default_message = "Add failed, No valid identifiers passed"


class CustomerExists(CapillaryError):
    code = 8006
    default_message = "Add failed, Customer already exists for same source"


class CustomerNotFound(CapillaryError):
    code = 8015
    default_message = "Customer not found for the given identifiers"


class InvalidStatusLabel(CapillaryError):
    code = 8086
    default_message = "Status label passed is not valid"


class InvalidMobile(CapillaryError):
    code = 1001
    default_message = "Unable to register. Invalid mobile number."


class InvalidEmail(CapillaryError):
    code = 1002
    default_message = "Unable to register. Invalid email id."


class NoPrimaryIdentifier(CapillaryError):
    code = 1007
    default_message = (
        "Unable to register customer. No valid primary identifier mobile number, "
        "email ID, or external ID passed."
    )


class CustomerNotFoundV11(CapillaryError):
    code = 1012
    default_message = "Cannot find customer with the provided mobile number/external ID/e-mail ID."


class NoIdentifier(CapillaryError):
    code = 1015
    default_message = "No identifier provided to get loyalty users."


class EmailTaken(CapillaryError):
    code = 1016
    default_message = "Unable to register. Email provided already exists for some other user."


class MobileTaken(CapillaryError):
    code = 1032
    default_message = "A customer already exists with the same mobile number."


class ExternalIdTaken(CapillaryError):
    code = 1033
    default_message = "A customer already exists with the same external id."


# --- requests (90xx) ---------------------------------------------------------------------
class NewEmailInvalid(CapillaryError):
    code = 9001
    default_message = "Requested new email ID is invalid"


class NewEmailExists(CapillaryError):
    code = 9002
    default_message = "Requested new email already exists"


class NewExternalIdExists(CapillaryError):
    code = 9003
    default_message = "Requested new External ID already exists"


class NewMobileExists(CapillaryError):
    code = 9005
    default_message = "Requested new mobile already exists"


class OldValueInvalid(CapillaryError):
    code = 9012
    default_message = "Old value is invalid"


class UserNotRegistered(CapillaryError):
    code = 9011
    default_message = "User is not registered"


class InvalidBaseType(CapillaryError):
    code = 9008
    default_message = "Request Base Type is invalid"


class RequestNotFoundV11(CapillaryError):
    code = 9013
    default_message = "Request not found"


class NoCustomerIdentifiers(CapillaryError):
    code = 9019
    default_message = "No customer identifiers passed"


class NewValueInvalid(CapillaryError):
    code = 9024
    default_message = "New value is invalid"


class SameValue(CapillaryError):
    code = 9031
    default_message = "Old value is same as new value"


class NewMobileInvalid(CapillaryError):
    code = 9046
    default_message = "Requested new mobile is invalid"


class RequestNotFound(CapillaryError):
    code = 9050
    default_message = "Request not found"


class InvalidRequestStatus(CapillaryError):
    code = 9052
    default_message = "Invalid request status"


# --- communications (4xxx) ---------------------------------------------------------------


class NoCommunication(CapillaryError):
    code = 4217
    default_message = "No communication passed or Invalid request body"


# --- OTP (6xx) ---------------------------------------------------------------------------
class InvalidOtpChannel(CapillaryError):
    code = 603
    default_message = '"Invalid or Null communication channel value passed"'


class WhatsappTemplateMissing(CapillaryError):
    code = 607
    default_message = "Mandatory template name not passed for whatsapp type channel"


class ZaloTemplateMissing(CapillaryError):
    code = 621
    default_message = "Zalo template identifier cannot be empty"


# --- subscriptions (11xx) ----------------------------------------------------------------
