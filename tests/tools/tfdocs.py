"""Generate the inputs/outputs tables of Terraform READMEs from variables.tf / outputs.tf.

    tfdocs.py --write   rewrite the text between <!-- BEGIN_TF_DOCS --> and <!-- END_TF_DOCS -->
    tfdocs.py --check   exit 1 when a README differs from what --write would produce

A small HCL reader that is enough for top-level `variable` and `output` blocks: it skips strings (with
interpolations), heredocs and comments while matching braces, and reads each block's top-level attributes.
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOCUMENTED_DIRS = (REPO / "modules" / "patch-securityhub",)
BEGIN, END = "<!-- BEGIN_TF_DOCS -->", "<!-- END_TF_DOCS -->"
OPENERS, CLOSERS = "([{", ")]}"
BLOCK_HEADER = re.compile(r'^(variable|output)\s+"([^"]+)"\s*\{', re.MULTILINE)
ATTRIBUTE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_-]*)\s*=(?!=)")


@dataclass(frozen=True)
class Variable:
    name: str
    description: str
    type: str
    default: str | None


@dataclass(frozen=True)
class Output:
    name: str
    description: str


def _skip_string(text: str, i: int) -> int:
    """Index just past the quoted string starting at text[i] == '"' (interpolations may nest strings)."""
    i += 1
    while i < len(text):
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if char == '"':
            return i + 1
        if text.startswith("${", i) or text.startswith("%{", i):
            i = _skip_balanced(text, i + 1)
            continue
        i += 1
    raise ValueError("unterminated string")


def _skip_heredoc(text: str, i: int) -> int:
    match = re.compile(r"<<-?([A-Za-z_]+)\n").match(text, i)
    assert match
    end = re.compile(r"^\s*" + match.group(1) + r"\s*$", re.MULTILINE).search(text, match.end())
    if not end:
        raise ValueError("unterminated heredoc")
    return end.end()


def _skip_comment(text: str, i: int) -> int:
    if text.startswith("/*", i):
        return text.index("*/", i) + 2
    newline = text.find("\n", i)
    return len(text) if newline < 0 else newline


def _skip_atom(text: str, i: int) -> int | None:
    """If text[i] starts a string, heredoc or comment, the index past it; otherwise None."""
    if text[i] == '"':
        return _skip_string(text, i)
    if text.startswith("<<", i) and re.match(r"<<-?[A-Za-z_]+\n", text[i : i + 80]):
        return _skip_heredoc(text, i)
    if text[i] == "#" or text.startswith("//", i) or text.startswith("/*", i):
        return _skip_comment(text, i)
    return None


def _skip_balanced(text: str, i: int) -> int:
    """Index just past the bracket group opening at text[i]."""
    depth = 0
    while i < len(text):
        skipped = _skip_atom(text, i)
        if skipped is not None:
            i = skipped
            continue
        if text[i] in OPENERS:
            depth += 1
        elif text[i] in CLOSERS:
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise ValueError("unbalanced brackets")


def _expression_end(body: str, i: int) -> int:
    """End of the attribute expression starting at body[i]: the first newline outside brackets and strings."""
    while i < len(body):
        skipped = _skip_atom(body, i)
        if skipped is not None:
            if body[i] == "#" or body.startswith("//", i):
                return i  # a line comment ends the expression
            i = skipped
            continue
        if body[i] in OPENERS:
            i = _skip_balanced(body, i)
            continue
        if body[i] == "\n":
            return i
        i += 1
    return i


def top_level_attributes(body: str) -> dict[str, str]:
    """Attributes directly inside a block body (nested blocks such as `validation {}` are skipped)."""
    attributes: dict[str, str] = {}
    i = 0
    while i < len(body):
        line_end = body.find("\n", i)
        line_end = len(body) if line_end < 0 else line_end
        line = body[i:line_end]
        match = ATTRIBUTE.match(line)
        if match:
            start = i + match.end()
            end = _expression_end(body, start)
            attributes[match.group(1)] = body[start:end].strip()
            newline = body.find("\n", end)  # past any trailing comment
            i = len(body) if newline < 0 else newline + 1
            continue
        brace = line.rstrip().endswith("{") and not line.lstrip().startswith(("#", "//"))
        i = _skip_balanced(body, i + line.rindex("{")) if brace else line_end + 1
    return attributes


def blocks(text: str, kind: str) -> list[tuple[str, dict[str, str]]]:
    found = []
    for match in BLOCK_HEADER.finditer(text):
        if match.group(1) != kind:
            continue
        end = _skip_balanced(text, match.end() - 1)
        found.append((match.group(2), top_level_attributes(text[match.end() : end - 1])))
    return found


def hcl_string(expression: str) -> str:
    if not (expression.startswith('"') and expression.endswith('"')):
        return expression
    return re.sub(r'\\(["\\])', r"\1", expression[1:-1]).replace("\\n", " ")


def read_module(directory: Path) -> tuple[list[Variable], list[Output]]:
    variables: list[Variable] = []
    outputs: list[Output] = []
    for path in sorted(directory.glob("*.tf")):
        text = path.read_text()
        for name, attrs in blocks(text, "variable"):
            variables.append(
                Variable(
                    name,
                    hcl_string(attrs.get("description", '""')),
                    attrs.get("type", "any"),
                    attrs.get("default"),
                )
            )
        for name, attrs in blocks(text, "output"):
            outputs.append(Output(name, hcl_string(attrs.get("description", '""'))))
    return sorted(variables, key=lambda v: v.name), sorted(outputs, key=lambda o: o.name)


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _code(text: str) -> str:
    # Multi-line object/list literals separate their members by newlines; keep them apart on one line.
    one_line = re.sub(r"([^\s{(\[,])[ \t]*\n\s*(?=[^\s})\]])", r"\1, ", text)
    return "<code>" + _cell(one_line).replace("<", "&lt;").replace(">", "&gt;") + "</code>"


def render(variables: list[Variable], outputs: list[Output]) -> str:
    lines = [
        BEGIN,
        "## Inputs",
        "",
        "| Name | Description | Type | Default | Required |",
        "|---|---|---|---|:---:|",
    ]
    for v in sorted(variables, key=lambda v: (v.default is not None, v.name)):
        default = "n/a" if v.default is None else _code(v.default)
        required = "yes" if v.default is None else "no"
        lines.append(f"| `{v.name}` | {_cell(v.description)} | {_code(v.type)} | {default} | {required} |")
    lines += ["", "## Outputs", "", "| Name | Description |", "|---|---|"]
    lines += [f"| `{o.name}` | {_cell(o.description)} |" for o in outputs]
    lines.append(END)
    return "\n".join(lines)


def updated_readme(readme: str, table: str) -> str:
    if BEGIN not in readme or END not in readme:
        raise SystemExit(f"README lacks the {BEGIN} / {END} markers")
    head, rest = readme.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return head + table + tail


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true")
    mode.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    drift = False
    for directory in DOCUMENTED_DIRS:
        readme_path = directory / "README.md"
        current = readme_path.read_text()
        wanted = updated_readme(current, render(*read_module(directory)))
        if current == wanted:
            continue
        if args.write:
            readme_path.write_text(wanted)
            print(f"updated {readme_path.relative_to(REPO)}")
        else:
            drift = True
            diff = difflib.unified_diff(
                current.splitlines(), wanted.splitlines(), str(readme_path), "generated", lineterm=""
            )
            print("\n".join(diff))
            print(f"{readme_path.relative_to(REPO)} is out of date: run `make docs`", file=sys.stderr)
    return 1 if drift else 0


if __name__ == "__main__":
    sys.exit(main())
