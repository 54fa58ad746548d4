"""Membership: the grassroots union a member belongs to, verified by the union's list or by its
admin's approval of the member's request."""
