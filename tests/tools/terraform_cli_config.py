"""Write the project's own Terraform CLI config and print its path.

Terraform is pointed at it with TF_CLI_CONFIG_FILE. When a filesystem mirror of the AWS provider is on disk
(no registry on this machine), the config installs providers from it; otherwise it is empty and Terraform uses
the registry as usual. A shared plugin cache under build/ keeps repeated `terraform init` fast.

Mirror search order: $PSH_TF_PROVIDER_MIRROR, then the usual implied-mirror and image locations.
"""

from __future__ import annotations

import glob
import os
import sys
from pathlib import Path

MIRROR_CANDIDATES = (
    "/opt/tf-plugins",
    "~/.terraform.d/plugins",
    "~/.local/share/terraform/plugins",
    "/usr/local/share/terraform/plugins",
    "/usr/share/terraform/plugins",
)


def find_mirror() -> str | None:
    candidates = [os.environ.get("PSH_TF_PROVIDER_MIRROR", ""), *MIRROR_CANDIDATES]
    for candidate in filter(None, candidates):
        path = Path(candidate).expanduser()
        if glob.glob(str(path / "registry.terraform.io/hashicorp/aws/*/*/terraform-provider-aws*")):
            return str(path)
    return None


def render(mirror: str | None, plugin_cache: Path) -> str:
    lines = [f'plugin_cache_dir = "{plugin_cache}"', "plugin_cache_may_break_dependency_lock_file = true", ""]
    if mirror:
        lines += [
            "provider_installation {",
            "  filesystem_mirror {",
            f'    path    = "{mirror}"',
            '    include = ["registry.terraform.io/*/*"]',
            "  }",
            "  direct {",
            '    exclude = ["registry.terraform.io/*/*"]',
            "  }",
            "}",
        ]
    return "\n".join(lines) + "\n"


def main() -> int:
    build = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "build")
    plugin_cache = build / "terraform-plugin-cache"
    plugin_cache.mkdir(parents=True, exist_ok=True)
    config = build / "terraformrc"
    text = render(find_mirror(), plugin_cache.resolve())
    if not config.exists() or config.read_text() != text:
        config.write_text(text)
    print(config.resolve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
