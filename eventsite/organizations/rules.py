"""The closure table's arithmetic, as pure functions of the rows involved.

A link is (ancestor, descendant, depth); every organization is linked to itself at depth 0.
"""

from __future__ import annotations

from collections.abc import Iterable

Link = tuple[int, int, int]


def links_for_new(new_id: int, parent_ancestry: Iterable[tuple[int, int]]) -> list[Link]:
    """The links a new organization needs: itself, and one to each of its parent's ancestors
    (`parent_ancestry`: (ancestor, depth above the parent) pairs, the parent itself at 0)."""
    return [(new_id, new_id, 0)] + [
        (ancestor, new_id, depth + 1) for ancestor, depth in parent_ancestry
    ]


def may_move(moved_id: int, new_parent_id: int, subtree_ids: Iterable[int]) -> bool:
    """An organization may move under any organization outside its own subtree."""
    return new_parent_id != moved_id and new_parent_id not in set(subtree_ids)


def links_after_move(
    subtree: Iterable[tuple[int, int]],
    old_strict_ancestors: Iterable[int],
    new_parent_ancestry: Iterable[tuple[int, int]],
) -> tuple[set[tuple[int, int]], list[Link]]:
    """Moving an organization with its subtree under a new parent.

    `subtree`: (descendant, depth below the moved organization) pairs, the moved one at 0;
    `old_strict_ancestors`: the organizations above it now; `new_parent_ancestry`: (ancestor,
    depth above the new parent) pairs, the new parent at 0. Returns the (ancestor, descendant)
    pairs to delete and the links to add; links inside the subtree stay as they are.
    """
    subtree = list(subtree)
    removed = {(ancestor, node) for ancestor in old_strict_ancestors for node, _ in subtree}
    added = [
        (ancestor, node, above + 1 + below)
        for ancestor, above in new_parent_ancestry
        for node, below in subtree
    ]
    return removed, added


def tree_order(nodes: Iterable[tuple[int, int | None]]) -> list[int]:
    """The ids of `nodes` ((id, parent id) pairs, siblings in the order wanted) depth first,
    each after its parent; a node whose parent is not among them starts a tree of its own."""
    nodes = list(nodes)
    present = {node for node, _ in nodes}
    children: dict[int | None, list[int]] = {}
    for node, parent in nodes:
        children.setdefault(parent if parent in present else None, []).append(node)
    order: list[int] = []
    stack = list(reversed(children.get(None, [])))
    while stack:
        node = stack.pop()
        order.append(node)
        stack.extend(reversed(children.get(node, [])))
    return order


def may_move_within(
    holds_on_moved_parent: bool, holds_on_new_parent: bool, moved_is_root: bool
) -> bool:
    """An admin moves an organization strictly inside what they administer (they hold admin on
    its parent) under another organization they administer; the root never moves."""
    return not moved_is_root and holds_on_moved_parent and holds_on_new_parent
