"""Every sentence of an array program's lesson (lesson/arrays.py), in one place, as words.py is for scalars."""

from __future__ import annotations

TITLE = "Reverse-mode AD on arrays"
ARRAY_LEVEL = (
    "array level: each node is a whole array, and each reverse step a vector–Jacobian product "
    "(--elements shows the same program one scalar per node)"
)
TAPE = "The tape: array nodes, their shapes and values"
TAPE_INTRO = (
    "Each operation on arrays is one node, in the order the program ran it; its value is an array "
    "(numpy's meaning: * and + act elementwise and broadcast, @ is the matrix product)."
)
REVERSE = "Reverse pass: vector–Jacobian products"
REVERSE_INTRO = (
    "Each adjoint has the shape of its node. A parent hands its adjoint back through a rule (the "
    "vector–Jacobian product): the full local Jacobian is never built, since the rule costs about as much "
    "as the operation itself."
)
RESULT = "Result: the gradient"
MADE_IN = "made in"
SPARSITY = "The Jacobians of the array nodes, and their sparsity"
SPARSITY_INTRO = (
    "The derivative of a vector with respect to a vector is a matrix: ■ marks an element of the node that "
    "depends on an element of its argument, · one that does not. Finding ∂y_i/∂x_j boils down to tracking "
    "how y_i depends on x_j, and most of these matrices are mostly ·. An array node is named by the program "
    "(W, y) or as ⟨w5⟩, node w5 of the array level's tape (--elements numbers its scalars w1, w2, … anew)."
)


def reverse_of(output: str) -> str:
    return f"Reverse pass for {output}: vector–Jacobian products"


def seed_aside(shape: str, unit: bool = True) -> str:
    if not unit:
        return "the seed you gave: the adjoints are seedᵀ·J, a weighted sum of the outputs' derivatives"
    what = "the output itself: ∂out/∂out = 1" if shape == "scalar" else f"ones of the output's shape ({shape})"
    return f"the seed: {what}"


def seeded_intro(outputs: str) -> str:
    return (
        f"With the seed on {outputs}, each input's adjoint is seedᵀ·J: the derivative of the seed-weighted sum "
        "of the outputs' elements, not ∂(output)/∂(input) itself (that is a Jacobian: see --format json's jacobian)."
    )


def shape_product(result: str, left: str, right: str) -> str:
    return f"[{result} = {left}·{right}]"


def shape_only(result: str) -> str:
    return f"[shape {result}]"


def big_array(shape: str, ndim: int) -> str:
    """An array too big for a box, by its shape: a 5-vector, a 2×3 matrix."""
    return f"{shape}-vector" if ndim == 1 else f"{shape} matrix" if ndim == 2 else f"{shape} array"


def shape_aside(shape: str) -> str:
    """Beside a forward step of the stepper: the node's shape."""
    return "a scalar" if shape == "scalar" else f"shape {shape}"


def broadcast(label: str, shape: str, used: str) -> str:
    return (
        f"{label} ({shape}) was broadcast to {used}: a copy's adjoint is a sum, so the rule's result is added up "
        "over the axes it was copied along"
    )


def index_form(label: str, form: str, rule: str) -> str:
    said = f"In index form, {label}: {form}"
    return f"{said}; {rule}." if rule else f"{said}."


def jacobian_size(parent: str, arg: str, n_parent: int, n_arg: int) -> str:
    return (
        f"The local Jacobian ∂{parent}/∂{arg} would be {n_parent}×{n_arg} = {n_parent * n_arg:,} numbers; the "
        f"vector–Jacobian product gives the {n_arg:,} numbers the adjoint needs, in about the time of the operation, "
        "without building it."
    )


def dot_label(label: str) -> str:
    return label.rstrip("0123456789") + "\u0307" + label[len(label.rstrip("0123456789")) :]


def tangent_seed(name: str) -> str:
    return f"the seed of {name}"


def tangent_title(name: str | None) -> str:
    if not name:
        return "Forward mode: tangents from the seeds"
    return f"Forward mode: tangents seeded with ones on {name} (each its elements' derivatives, added up)"


def gradient_intro(output: str, shape: str, forward_only: bool = False) -> str:
    said = "Each input's gradient has the input's shape (a matrix input's is a matrix)."
    if forward_only:
        said += " It comes from one reverse pass; the tangent passes above give each input's derivative along ones."
    return said


def pattern_caption(node: str, arg: str, nonzero: int, total: int, definition: str) -> str:
    return f"{node} = {definition}: ∂{node}/∂{arg} has {nonzero} of {total} entries that can be nonzero."


def summed(label: str, count: int, shape: str) -> str:
    return (
        f"{label} reaches the output along {count} paths, so its adjoint is the sum of the {count} contributions, "
        f"each of {label}'s shape ({shape})."
    )


def step_done(output: str, gradients: list[tuple[str, str]]) -> str:
    """The stepper's last screen on an array program: each input's gradient (an array shown as its shape
    when it is big)."""
    found = ", ".join(f"∂{output}/∂{name} = {value}" for name, value in gradients)
    return f"Done: {found}. Press q to quit."


def step_done_seeded(output: str, adjoints: list[tuple[str, str]]) -> str:
    """The last screen when the first output is an array: the adjoints its seed gave (seedᵀ·J), not a gradient."""
    found = ", ".join(f"{_bar(name)} = {value}" for name, value in adjoints)
    return f"Done: with the seed on {output}, {found}. Press q to quit."


def _bar(name: str) -> str:
    from .math import bar

    return bar(name)


def mermaid_legend(what: str) -> str:
    """Under the Mermaid diagram of an array program: what its boxes and arrows say."""
    return (
        f"Each box is an array node with its value and its {what} (a big array by its shape); each arrow runs from "
        "an argument to the node computed from it, labelled with the vector–Jacobian rule that carries the node's "
        "adjoint back to the argument."
    )


def edge_title(arg: str, rule: str, position: int) -> str:
    """The tooltip of an array edge in a picture: the rule that adds to the argument's adjoint."""
    return f"{arg} += {rule} (argument {position})"


def worked(target: str, parts: list[str], numbers: list[str], value: str) -> str:
    more = " + …" if len(parts) >= 4 else ""
    return f"On these numbers: {target} = {' + '.join(parts)}{more} = {' + '.join(numbers)}{more} = {value}."


HESSIAN_OF_ELEMENTS = (
    "the Hessian of an array program is traced on its elements (as --elements shows them): forward mode over "
    "the adjoint program, one tangent pass per input element"
)
