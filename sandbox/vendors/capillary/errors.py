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
    return _v11(error, error.http_status)


@register_envelope("capillary-v1.1-text")
def render_v11_text(error: ApiError, now: datetime | None = None) -> dict[str, Any]:
    """The v1.1 envelope of the operations whose published answers write every status value
    as a string (communications: sms, email, sendMessage): `"code": "400"`."""
    return _v11(error, str(error.http_status))


def _v11(error: ApiError, code: int | str) -> dict[str, Any]:
    message = error.message
    prefix = V11_MESSAGES.get(error.http_status)
    if prefix and prefix not in message:
        message = f"{prefix}: {message}"
    return {"response": {"status": {"success": "false", "code": code, "message": message}}}


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
    error: ApiError | None,
    success_code: int,
    success_message: str,
    *,
    customer_api: bool = False,
    typed: bool = False,
) -> dict[str, Any]:
    """A v1.1 `item_status`: the item's own success or failure. The customer APIs' examples
    write the code as a string and add an empty warnings list; the others use a number;
    `typed` writes `success` as a boolean too (request/add's examples)."""
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
    if typed:
        status["success"] = error is None
    return status


# Capillary's error codes and their messages, written once. A document field that fails
# validation names its code (`x-sandbox-error-code`) and the answer's message starts with the
# code's message; a handler raises a class below, which names only its code.
# tests/test_error_codes.py ties the two sides: every code here is declared by a document or
# raised by a class, and every declared or raised code is here.
MESSAGES: dict[int, str] = {
    498: "Token expired",
    # OTP (6xx)
    600: '"Invalid or Null action passed"',
    601: '"Invalid or Null entity type passed"',
    602: '"Invalid or Null entity value passed"',
    603: '"Invalid or Null communication channel value passed"',
    604: "No OTP passed",
    607: "Mandatory template name not passed for whatsapp type channel",
    621: "Zalo template identifier cannot be empty",
    # customers, v1.1 (1xxx)
    1001: "Unable to register. Invalid mobile number.",
    1002: "Unable to register. Invalid email id.",
    1003: "Unable to register. Invalid external id.",
    1007: (
        "Unable to register customer. No valid primary identifier mobile number, "
        "email ID, or external ID passed."
    ),
    1012: "Cannot find customer with the provided mobile number/external ID/e-mail ID.",
    1015: "No identifier provided to get loyalty users.",
    1016: "Unable to register. Email provided already exists for some other user.",
    1032: "A customer already exists with the same mobile number.",
    1033: "A customer already exists with the same external id.",
    # subscriptions (11xx)
    1101: "Invalid channel type",
    1102: "Invalid priority type",
    1103: "Invalid scope",
    1104: "Invalid identifier or no identifier passed",
    1106: "Invalid subscription status passed",
    # interactions
    3217: "Source is invalid",
    # communications (4xxx, 403, 8055)
    403: "receiver is invalid",
    4101: "Unable to send message",
    4102: "Unable to find/retrieve SMS",
    4201: "email is missing a subject",
    4202: "Unable to find/retrieve email",
    4203: "Invalid mobile number",
    4208: "Invalid email id",
    4217: "No communication passed or Invalid request body",
    4218: "Invalid path parameter/communication channel",
    8055: "Invalid email ID",
    # customers, v2 (8xxx)
    8003: "Invalid source passed",
    8005: "Add failed, No valid identifiers passed",
    8006: "Add failed, Customer already exists for same source",
    8013: "Lookup, Invalid identifier passed",
    8014: "Error in customer registration: Invalid Primary Id",
    8015: "Customer not found for the given identifiers",
    8086: "Status label passed is not valid",
    # change requests (90xx)
    9001: "Requested new email ID is invalid",
    9002: "Requested new email already exists",
    9003: "Requested new External ID already exists",
    9005: "Requested new mobile already exists",
    9006: "Request Type is invalid",
    9008: "Request Base Type is invalid",
    9011: "User is not registered",
    9012: "Old value is invalid",
    9013: "Request not found",
    9017: "Invalid coupon series",
    9019: "No customer identifiers passed",
    9024: "New value is invalid",
    9028: "Request already exists for same new value",
    9031: "Old value is same as new value",
    9046: "Requested new mobile is invalid",
    9050: "Request not found",
    9052: "Invalid request status",
}


class CapillaryError(ApiError):
    """A refusal with one of Capillary's codes; its message is the code's (MESSAGES)."""

    status = 400

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if isinstance(cls.__dict__.get("code"), int):
            cls.default_message = MESSAGES[cls.code]  # type: ignore[index]


class CredentialsRejected(Unauthorized):
    default_message = "Authentication failed. Please check username and password."


class TokenExpired(Unauthorized):
    code = 498
    default_message = MESSAGES[498]


class OAuthFailed(Unauthorized):
    default_message = "Failed to generate OAuth token"


# --- customers (v2 8xxx, v1.1 1xxx) ------------------------------------------------------
class NoValidIdentifiers(CapillaryError):
    code = 8005


class CustomerExists(CapillaryError):
    code = 8006


class InvalidIdentifier(CapillaryError):
    code = 8013


class CustomerNotFound(CapillaryError):
    code = 8015


class InvalidStatusLabel(CapillaryError):
    code = 8086


class CustomerIdNotFound(CapillaryError):
    """The status log of an id no customer has: 404 "Specified customer ID doesn't exist", as
    Capillary's get-status-log page lists it (its code is the HTTP status)."""

    status = 404
    default_message = "Specified customer ID doesn't exist"


class InvalidMobile(CapillaryError):
    code = 1001


class InvalidEmail(CapillaryError):
    code = 1002


class NoPrimaryIdentifier(CapillaryError):
    code = 1007


class CustomerNotFoundV11(CapillaryError):
    code = 1012


class NoIdentifier(CapillaryError):
    code = 1015


class EmailTaken(CapillaryError):
    code = 1016


class MobileTaken(CapillaryError):
    code = 1032


class ExternalIdTaken(CapillaryError):
    code = 1033


# --- requests (90xx) ---------------------------------------------------------------------
class NewEmailInvalid(CapillaryError):
    code = 9001


class NewEmailExists(CapillaryError):
    code = 9002


class NewExternalIdExists(CapillaryError):
    code = 9003


class NewMobileExists(CapillaryError):
    code = 9005


class OldValueInvalid(CapillaryError):
    code = 9012


class UserNotRegistered(CapillaryError):
    code = 9011


class InvalidBaseType(CapillaryError):
    code = 9008


class RequestNotFoundV11(CapillaryError):
    code = 9013


class NoCustomerIdentifiers(CapillaryError):
    code = 9019


class NewValueInvalid(CapillaryError):
    code = 9024


class SameValue(CapillaryError):
    code = 9031


class NewMobileInvalid(CapillaryError):
    code = 9046


class RequestNotFound(CapillaryError):
    code = 9050


class InvalidRequestStatus(CapillaryError):
    code = 9052


# --- communications (4xxx) ---------------------------------------------------------------


class NoCommunication(CapillaryError):
    code = 4217


# --- OTP (6xx) ---------------------------------------------------------------------------
class InvalidEntityValue(CapillaryError):
    code = 602


class InvalidOtpChannel(CapillaryError):
    code = 603


class WhatsappTemplateMissing(CapillaryError):
    code = 607


class ZaloTemplateMissing(CapillaryError):
    code = 621
