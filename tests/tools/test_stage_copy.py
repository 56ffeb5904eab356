"""The harness stages examples and the module under build/work/ by copying the sources; the copy must be a
mirror, or a `.tf` file deleted from the repo stays part of every staged configuration."""

from __future__ import annotations

from pathlib import Path

from psh_stage.terraform import copy_sources


def test_a_staged_copy_mirrors_the_sources_and_keeps_terraforms_own_files(tmp_path: Path) -> None:
    source, target = tmp_path / "src", tmp_path / "copy"
    (source / "sub").mkdir(parents=True)
    (source / "main.tf").write_text("# main\n")
    (source / "sub" / "kept.tf").write_text("# kept\n")
    copy_sources(source, target)
    (target / "gone.tf").write_text("# deleted from the sources since the last copy\n")
    (target / "old").mkdir()
    (target / "old" / "x.tf").write_text("# a whole directory deleted\n")
    for own in (".terraform/providers/p", "terraform.tfstate", "terraform.tfstate.backup", "a.tfplan"):
        (target / own).parent.mkdir(parents=True, exist_ok=True)
        (target / own).write_text("terraform's\n")
    (target / ".terraform.lock.hcl").write_text("lock\n")
    (source / "main.tf").write_text("# main, changed\n")
    copy_sources(source, target)
    assert not (target / "gone.tf").exists() and not (target / "old").exists()
    assert (target / "main.tf").read_text() == "# main, changed\n"
    assert (target / "sub" / "kept.tf").exists()
    for own in (".terraform/providers/p", "terraform.tfstate", "terraform.tfstate.backup", "a.tfplan"):
        assert (target / own).exists(), own
    assert (target / ".terraform.lock.hcl").exists()
