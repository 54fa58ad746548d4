"""Organizations: the union federation as a tree (federation → province → city → district or
street → enterprise or community union), the scope every organizer's and admin's role holds on."""
