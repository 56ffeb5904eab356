"""The README generator reads the module faithfully, and --check catches drift."""

from __future__ import annotations

import re

import tfdocs
from psh_stage.paths import ROOT as REPO

MODULE = REPO / "modules" / "patch-securityhub"


def test_every_variable_and_output_is_read_typed_and_described() -> None:
    variables, outputs = tfdocs.read_module(MODULE)
    declared_variables = re.findall(
        r'^variable "([^"]+)"', (MODULE / "variables.tf").read_text(), re.MULTILINE
    )
    declared_outputs = re.findall(r'^output "([^"]+)"', (MODULE / "outputs.tf").read_text(), re.MULTILINE)
    assert sorted(v.name for v in variables) == sorted(declared_variables)
    assert sorted(o.name for o in outputs) == sorted(declared_outputs)
    for variable in variables:
        assert variable.description.strip(), variable.name
        assert variable.type != "any", variable.name
    assert all(o.description.strip() for o in outputs)


def test_reader_handles_nested_blocks_strings_and_heredocs() -> None:
    text = """
variable "odd" {
  description = "has } and { and \\"quotes\\" and ${var.x}" # trailing: comment = "not an attribute"
  type = map(object({
    a = string # } in a comment
  }))
  default = {
    k = { a = "x}" }
  }
  validation {
    condition     = length(var.odd) > 0
    error_message = "type = not an attribute of the variable"
  }
}

output "doc" {
  description = <<-EOT
    a heredoc with } braces
  EOT
  value = "x"
}
"""
    ((name, attrs),) = tfdocs.blocks(text, "variable")
    assert name == "odd"
    assert attrs["description"] == '"has } and { and \\"quotes\\" and ${var.x}"'
    assert tfdocs.hcl_string(attrs["description"]) == 'has } and { and "quotes" and ${var.x}'
    assert attrs["type"].startswith("map(object({") and attrs["type"].endswith("}))")
    assert set(attrs) == {"description", "type", "default"}
    assert attrs["default"].replace(" ", "").replace("\n", "") == '{k={a="x}"}}'
    ((output_name, output_attrs),) = tfdocs.blocks(text, "output")
    assert output_name == "doc" and output_attrs["value"] == '"x"'


def test_check_passes_on_the_repository_and_fails_on_drift() -> None:
    assert tfdocs.main(["--check"]) == 0
    readme = (MODULE / "README.md").read_text()
    table = tfdocs.render(*tfdocs.read_module(MODULE))
    stale = readme.replace("| `enabled` | Master switch", "| `enabled_old_name` | Master switch")
    assert stale != readme
    assert tfdocs.updated_readme(stale, table) == readme
