"""Research 8c: Symplify's read-back calls (listings, statuses, a contact's messages)."""

from pytest_bdd import scenarios

scenarios("contact_reads.feature")
