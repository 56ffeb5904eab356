"""Draft a case's inventory from its plan: `build/venv/bin/python tests/plan/draft_inventory.py <dir>/<case>
[--workspace NAME]` plans the case (its manifest's var files, then <case>.tfvars if present) against moto
and prints every known planned value, every count and every known output as YAML. Prune the draft
to what the case is about and save it as tests/plan/cases/<dir>/<case>.yaml. A refused plan prints its
diagnostics, from which to pick the `error:` substrings.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from pathlib import Path

import tftest
import yaml
from inventory import draft_inventory
from plan_cases import draft_case
from plan_support import PlanRunner, diagnostics, make_scratch_tree, moto_terraform_env, running_moto


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("case", help="<dir>/<case>, e.g. module/defaults")
    parser.add_argument("--workspace", default="default")
    args = parser.parse_args(argv)
    case = draft_case(args.case, args.workspace)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's request log would drown the output
    logging.getLogger("tftest").setLevel(logging.CRITICAL + 1)  # it logs the failure it raises, printed below
    with tempfile.TemporaryDirectory() as scratch, running_moto() as endpoint:
        runner = PlanRunner(make_scratch_tree(Path(scratch)), moto_terraform_env(endpoint))
        try:
            plan = runner.plan(case)
        except tftest.TerraformTestError as failure:
            print(diagnostics(failure), file=sys.stderr)
            return 1
    header = f"# {case.root}, workspace {case.workspace}, var files: {', '.join(case.var_files) or 'none'}\n"
    sys.stdout.write(header + yaml.safe_dump(draft_inventory(plan), sort_keys=False, width=110))
    return 0


if __name__ == "__main__":
    sys.exit(main())
