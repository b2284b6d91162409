"""Okta's SCIM 2.0 dialect, as Okta documents its provisioning client.

- Users are looked up with ``filter=userName eq "..."`` and paged with
  ``startIndex``/``count``; profile updates are a full ``PUT /Users/{id}`` (carrying
  ``id``, ``meta``, ``groups`` and possibly ``password``, none of which is stored);
  deactivation and reactivation a path-less ``PATCH`` ``replace`` of ``{"active": ...}``.
  Okta never deletes a user.
- Group Push creates a group with ``members: []``, renames it with a path-less
  ``replace`` of ``{"id": ..., "displayName": ...}`` (or a ``PUT``), and changes
  members with ``add`` / ``remove members[value eq "..."]`` / ``replace members``.

All of that is standard SCIM, which the endpoint reads as it comes: the dialect needs
no rewriting. Custom attributes an Okta admin maps under an extension of their own are
kept, not refused, as for Entra.
"""

from __future__ import annotations

from scim2_models import ScimPolicy


def okta_policy() -> ScimPolicy:
    return ScimPolicy(unknown=ScimPolicy.Unknown.keep)
